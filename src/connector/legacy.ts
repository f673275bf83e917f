import type { z } from 'zod';
import type { ModelRecordInput } from '../model/record.js';
import type { ConnectorContext } from './context.js';
import type { ConnectorVocabulary } from './vocabulary.js';

/**
 * Transitional, while the built-in connectors move onto the collector runner (issue 11): a connector
 * that drives its own collectors through `scan`. The engine runs it as before. Deleted once no
 * connector uses it; new connectors are `Connector` declarations.
 */
export interface LegacyConnector<Config = unknown> {
  readonly id: string;
  readonly platform: string;
  readonly title: string;
  readonly configSchema: z.ZodType<Config>;
  readonly collectors: readonly { name: string; description: string; requires?: string }[];
  readonly vocabulary?: ConnectorVocabulary;
  tenantOf(config: Config): string;
  scan(config: Config, ctx: ConnectorContext): AsyncIterable<ModelRecordInput>;
}

/** The old descriptor shape of a collector. */
export interface LegacyCollectorDescriptor {
  readonly name: string;
  readonly description: string;
  readonly requires?: string;
}

export function defineLegacyConnector<Config>(connector: LegacyConnector<Config>): LegacyConnector<Config> {
  return connector;
}
