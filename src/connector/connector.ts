import type { z } from 'zod';
import type { ModelRecordInput } from '../model/record.js';
import type { AccessCapability } from './access.js';
import type { Collector } from './collector.js';
import type { ConnectorContext } from './context.js';
import type { ConnectorVocabulary } from './vocabulary.js';

/**
 * A platform connector: a declaration the engine runs. It names its config schema, opens a session on
 * a tenant (`connect`: credentials, clients) and lists its collectors; the engine's runner
 * (`runner.ts`) runs them in dependency order, keeps per-collector coverage and decides what a failure
 * means. A connector never drives its own collectors.
 *
 * Connectors are self-contained: a fourth platform can ship as its own npm package that default-exports
 * a `Connector` and is listed under `plugins:` in grantscope.yaml. It needs nothing from the engine at
 * run time: the declaration is plain data and functions.
 */
export interface Connector<Config = unknown, Session = unknown> extends AccessCapability<Config> {
  /** Config section name and registry id (e.g. `github`). */
  readonly id: string;
  /** Platform id stamped on every record (e.g. `github`). */
  readonly platform: string;
  readonly title: string;
  /** zod schema for this connector's config section. */
  readonly configSchema: z.ZodType<Config>;
  /**
   * Labels of the identity kinds and credential types it emits, and its defaults for rule settings.
   * Without one, its kinds print as their ids and the rules' own defaults apply.
   */
  readonly vocabulary?: ConnectorVocabulary;
  /** The tenant id this config targets (org login, tenant id, customer id), known before scanning. */
  tenantOf(config: Config): string;
  /**
   * Open a scan of one tenant: credentials, API clients, shared state. If it throws, every collector
   * fails with that error (a configuration error stops the scan; anything else makes it incomplete).
   */
  connect(config: Config, ctx: ConnectorContext): Promise<Session>;
  /** In the order they start when nothing else decides (put the costly fan-outs last). */
  readonly collectors: readonly Collector<Session>[];
  /**
   * How many collectors may fetch at once (default: every one that is ready), or how many for a
   * tenant's config.
   */
  readonly concurrency?: number | ((config: Config) => number);
  /**
   * Whether a collector's failure ends the tenant's scan (an unreachable host, credentials refused, the
   * tenant not found): the reason to give the collectors not yet started, or null to go on. An error
   * (e.g. `TenantNotFoundError`) gives its message and keeps its type for the tenant-level report.
   */
  stopsTenant?(error: unknown, collector: string): string | Error | null;
}

/** Helper for type inference in connector modules. */
export function defineConnector<Config, Session>(
  connector: Connector<Config, Session>,
): Connector<Config, Session> {
  return connector;
}

/**
 * A connector of any config type, for registries. (`Connector<unknown>` would not do: the config type
 * appears in `connect`'s parameters, so a `Connector<GithubConfig>` is not a `Connector<unknown>`.)
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AnyConnector = Connector<any, any>;

/** Records a scan of one tenant produces (see `scanTenant` in runner.ts). */
export type RecordStream = AsyncIterable<ModelRecordInput>;
