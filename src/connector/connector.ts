import type { z } from 'zod';
import type { ModelRecordInput } from '../model/record.js';
import type { ConnectorContext } from './context.js';
import type { ConnectorVocabulary } from './vocabulary.js';

/** What a collector is for, shown in `--help`, docs and coverage. One collector ≈ one API object type. */
export interface CollectorDescriptor {
  /** Stable name, stored with each record and in coverage (e.g. `app-installations`). */
  readonly name: string;
  readonly description: string;
  /** The permission / scope the scanner needs for it, for docs and error hints. */
  readonly requires?: string;
}

/**
 * A platform connector. It declares its config schema and collectors, and turns a tenant into a stream
 * of model records. It reports per-collector coverage through `ctx.coverage` (status, requests, notes);
 * a collector that throws must be recorded as failed, not abort the whole stream.
 *
 * Connectors are self-contained: a fourth platform can ship as its own npm package that default-exports
 * a `Connector` and is listed under `plugins:` in grantscope.yaml.
 */
export interface Connector<Config = unknown> {
  /** Config section name and registry id (e.g. `github`). */
  readonly id: string;
  /** Platform id stamped on every record (e.g. `github`). */
  readonly platform: string;
  readonly title: string;
  /** zod schema for this connector's config section. */
  readonly configSchema: z.ZodType<Config>;
  readonly collectors: readonly CollectorDescriptor[];
  /**
   * Labels of the identity kinds and credential types it emits, and its defaults for rule settings.
   * Without one, its kinds print as their ids and the rules' own defaults apply.
   */
  readonly vocabulary?: ConnectorVocabulary;
  /** The tenant id this config targets (org login, tenant id, customer id), known before scanning. */
  tenantOf(config: Config): string;
  /** Scan one tenant. Records may arrive in any order; the scan is stored atomically at the end. */
  scan(config: Config, ctx: ConnectorContext): AsyncIterable<ModelRecordInput>;
}

/** Helper for type inference in connector modules. */
export function defineConnector<Config>(connector: Connector<Config>): Connector<Config> {
  return connector;
}

/**
 * A connector of any config type, for registries. (`Connector<unknown>` would not do: the config type
 * appears in `scan`'s parameters, so a `Connector<GithubConfig>` is not a `Connector<unknown>`.)
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AnyConnector = Connector<any>;
