import { AsyncLocalStorage } from 'node:async_hooks';
import { z } from 'zod';
import {
  ApiError,
  ConfigError,
  CredentialSourceError,
  describeError,
  TenantNotFoundError,
} from '../errors.js';
import { scrubText } from '../log/redact.js';
import { Timestamp } from '../model/common.js';

/**
 * - `complete`: the collector listed everything it is responsible for.
 * - `skipped`: not applicable to this tenant (e.g. no SAML SSO); counts as complete with nothing found.
 * - `unavailable`: the data exists but this tenant cannot give it (licence missing). Not a scan failure,
 *   but its records are not compared, so nothing is reported as removed.
 * - `failed`: an error stopped the collector. The scan is incomplete (exit code 3) and its records are
 *   carried over from the previous scan instead of being reported as removed.
 */
export const CollectorStatus = z.enum(['complete', 'skipped', 'unavailable', 'failed']);
export type CollectorStatus = z.infer<typeof CollectorStatus>;

/** Statuses whose records can be trusted as the full truth for removals. */
export function isAuthoritative(status: CollectorStatus): boolean {
  return status === 'complete' || status === 'skipped';
}

/**
 * A collector that read only what changed since an earlier scan (a Graph delta link, a Reports read
 * since the last scan). The store carries over its records that it did not emit again, instead of
 * closing them, and closes only the records it names as removed.
 */
export const IncrementalCoverage = z.object({
  /** The scan whose stored state (delta link, read time) this read continued from. */
  since: z.number().int().positive(),
  /** Keys (`recordKey`) of this collector's records that the changes say are gone. */
  removed: z.array(z.string()).default([]),
});
export type IncrementalCoverage = z.infer<typeof IncrementalCoverage>;

export const CollectorCoverage = z.object({
  collector: z.string(),
  status: CollectorStatus,
  /** Why it failed / was skipped; no secrets. */
  reason: z.string().nullable().default(null),
  /** HTTP status of the failing call, when there was one. */
  httpStatus: z.number().int().nullable().default(null),
  /** The API call that failed (`GET /orgs/{org}/installations`). */
  api: z.string().nullable().default(null),
  requests: z.number().int().nonnegative().default(0),
  items: z.number().int().nonnegative().default(0),
  startedAt: Timestamp.nullable().default(null),
  finishedAt: Timestamp.nullable().default(null),
  notes: z.array(z.string()).default([]),
  /** Set when the collector ran incrementally; absent for a full read. */
  incremental: IncrementalCoverage.optional(),
});
export type CollectorCoverage = z.infer<typeof CollectorCoverage>;

/**
 * A failure that ended the whole tenant's scan (the tenant does not exist, the host cannot be reached,
 * credentials refused): said once for the tenant instead of once per collector.
 */
export const TenantFailure = z.object({
  /** The platform said the tenant does not exist (a wrong org, tenant id or customer id). */
  notFound: z.boolean(),
  /** A few words: `organisation not found`, `tenant not found`, `customer not found`, `tenant not scanned`. */
  summary: z.string(),
  reason: z.string(),
  /** The collector that met it, or null when it came before any collector ran (signing in). */
  collector: z.string().nullable(),
});
export type TenantFailure = z.infer<typeof TenantFailure>;

/**
 * Whether a failed collector failed because of the tenant's failure: it met it, or was not reached after
 * it, or failed with it (a failing `connect`).
 */
export function fromTenantFailure(c: CollectorCoverage, failure: TenantFailure): boolean {
  return (
    c.status === 'failed' &&
    (c.collector === failure.collector ||
      c.reason === failure.reason ||
      c.reason === `not reached: ${failure.reason}`)
  );
}

export const CoverageReport = z.object({
  connector: z.string(),
  platform: z.string(),
  tenant: z.string(),
  status: z.enum(['complete', 'incomplete']),
  /** Set when one failure stopped the whole tenant; its collectors' reasons say "not reached" or the same. */
  tenantFailure: TenantFailure.optional(),
  requests: z.number().int().nonnegative(),
  collectors: z.array(CollectorCoverage),
});
export type CoverageReport = z.infer<typeof CoverageReport>;

const currentCollector = new AsyncLocalStorage<string>();

/** The collector whose code is running now (set by `CoverageTracker.run`), for request attribution. */
export function activeCollector(): string | undefined {
  return currentCollector.getStore();
}

let scansAttributing = 0;

/**
 * A scan starts running collectors; the function returned says it has ended. When no scan of the
 * process is running any more, request attribution is switched off: in Node 20 an AsyncLocalStorage
 * that has run keeps a hook on every promise the process makes (about three times the cost of each),
 * and the analysis and outputs after the scan make hundreds of thousands. `attributeTo` switches it on
 * again. Counted, so that a worker's concurrent scans keep theirs until the last one ends.
 */
export function beginAttribution(): () => void {
  scansAttributing += 1;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    scansAttributing -= 1;
    if (scansAttributing === 0) currentCollector.disable();
  };
}

/** Run `fn` with its requests counted for `collector` (see `CoverageTracker.countRequest`). */
export function attributeTo<T>(collector: string, fn: () => Promise<T>): Promise<T> {
  return currentCollector.run(collector, fn);
}

/**
 * Records what each collector did. The runner (`runner.ts`) opens and closes each collector's entry;
 * requests made through the context's `fetch` inside its fetch are attributed to it automatically.
 */
export class CoverageTracker {
  private readonly entries = new Map<string, CollectorCoverage>();
  private readonly unattributed = { requests: 0 };
  /**
   * A configuration problem (missing key file, unset environment variable, bad setting) seen by any
   * collector. It is the user's to fix, not a partial scan: the engine aborts the scan on it.
   */
  fatal: ConfigError | CredentialSourceError | null = null;
  private tenantFailure: TenantFailure | null = null;

  constructor(
    readonly connector: string,
    readonly platform: string,
    readonly tenant: string,
    private readonly clock: () => Date = () => new Date(),
    declared: readonly string[] = [],
  ) {
    for (const name of declared) this.entry(name);
  }

  private entry(collector: string): CollectorCoverage {
    let e = this.entries.get(collector);
    if (!e) {
      e = CollectorCoverage.parse({ collector, status: 'failed', reason: 'did not run' });
      this.entries.set(collector, e);
    }
    return e;
  }

  /** A collector starts: complete unless it fails or says otherwise (skip, unavailable). */
  begin(collector: string): void {
    const e = this.entry(collector);
    e.startedAt = this.clock().toISOString();
    e.status = 'complete';
    e.reason = null;
  }

  end(collector: string): void {
    this.entry(collector).finishedAt = this.clock().toISOString();
  }

  fail(collector: string, err: unknown): void {
    if (err instanceof ConfigError || err instanceof CredentialSourceError) this.fatal ??= err;
    const e = this.entry(collector);
    e.status = 'failed';
    e.reason = describeError(err);
    if (err instanceof ApiError) {
      e.httpStatus = err.status;
      e.api = [err.detail.method, err.detail.path].filter(Boolean).join(' ') || err.api;
    } else {
      // A plugin's error (thrown without importing the engine) may carry the HTTP status as `status`,
      // which the queue needs to tell a throttled read (retry) from a refused one (do not).
      const status = (err as { status?: unknown } | null)?.status;
      if (Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 599)
        e.httpStatus = status as number;
    }
  }

  /**
   * Fail every collector (used when the whole connector stops). Even collectors that finished are
   * failed: a connector may assemble records after its collectors ran, so what was emitted may be
   * partial, and failed collectors' records are carried over rather than reported as removed.
   */
  failAll(err: unknown): void {
    for (const e of this.entries.values()) {
      const failedOnItsOwn = e.status === 'failed' && e.startedAt != null;
      if (e.status !== 'skipped' && !failedOnItsOwn) this.fail(e.collector, err);
    }
  }

  /**
   * One failure ended the tenant's scan (see `Connector.stopsTenant`; a failing `connect`). The first one
   * is kept: what followed from it is not news.
   */
  stopTenant(err: unknown, collector: string | null = null): void {
    this.tenantFailure ??= {
      notFound: err instanceof TenantNotFoundError,
      summary: err instanceof TenantNotFoundError ? `${err.subject} not found` : 'tenant not scanned',
      reason: describeError(err),
      collector,
    };
  }

  skip(collector: string, reason: string): void {
    const e = this.entry(collector);
    e.status = 'skipped';
    e.reason = reason;
  }

  unavailable(collector: string, reason: string, httpStatus: number | null = null): void {
    const e = this.entry(collector);
    e.status = 'unavailable';
    e.reason = reason;
    e.httpStatus = httpStatus;
  }

  /**
   * The collector read only the changes since scan `since`: its records not emitted again are carried
   * over, and those with a key in `removed` are closed. Call it once the changes were read; a
   * collector that then fails still carries everything over (failed wins).
   */
  incremental(collector: string, since: number, removed: readonly string[] = []): void {
    const e = this.entry(collector);
    const earlier = e.incremental?.removed ?? [];
    e.incremental = { since, removed: [...earlier, ...removed] };
    this.note(collector, `incremental: changes since scan #${since}, ${removed.length} record(s) removed`);
  }

  note(collector: string, text: string): void {
    this.entry(collector).notes.push(text);
  }

  countItems(collector: string, n = 1): void {
    this.entry(collector).items += n;
  }

  countRequest(collector = activeCollector()): void {
    if (collector) this.entry(collector).requests += 1;
    else this.unattributed.requests += 1;
  }

  status(collector: string): CollectorStatus | undefined {
    return this.entries.get(collector)?.status;
  }

  /**
   * The coverage of every collector. Reasons, APIs and notes can quote API error bodies, so they pass
   * through the same secret scrubbing as logs before anything stores or prints them.
   */
  report(): CoverageReport {
    const scrub = (text: string | null) => (text === null ? null : scrubText(text));
    const collectors = [...this.entries.values()].map((e) => ({
      ...e,
      reason: scrub(e.reason),
      api: scrub(e.api),
      notes: e.notes.map(scrubText),
    }));
    const stopped = this.tenantFailure;
    return {
      connector: this.connector,
      platform: this.platform,
      tenant: this.tenant,
      status: collectors.some((c) => c.status === 'failed') ? 'incomplete' : 'complete',
      ...(stopped ? { tenantFailure: { ...stopped, reason: scrubText(stopped.reason) } } : {}),
      requests: collectors.reduce((n, c) => n + c.requests, 0) + this.unattributed.requests,
      collectors,
    };
  }
}
