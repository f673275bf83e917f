import type { ScanSummary } from '../store/store.js';

/**
 * HTTP statuses that say "not now" rather than "not allowed": a timeout, throttling, a server or gateway
 * error. A read refused for them may succeed a little later; a 401/403/404 will not until someone acts.
 */
export function isTransientStatus(status: number | null): boolean {
  return status === 408 || status === 429 || (status !== null && status >= 500 && status <= 599);
}

/** Why a stored scan is incomplete, as the queue decides whether another attempt could complete it. */
export interface Incompleteness {
  /** Every failed collector failed with a transient status: a retry may complete the scan. */
  transient: boolean;
  /** `source/collector (status)` of each failed collector, for the job's message. */
  failed: string[];
}

/**
 * How an `incomplete` scan failed. Only when *every* failed collector met a transient status is it worth
 * a retry: one missing permission keeps every retry incomplete, and the stored scan already carries the
 * failed collectors' earlier records over.
 */
export function incompleteness(scan: ScanSummary): Incompleteness {
  const failed = scan.sources.flatMap((s) =>
    s.collectors.filter((c) => c.status === 'failed').map((c) => ({ source: s.source, c })),
  );
  return {
    transient: failed.length > 0 && failed.every(({ c }) => isTransientStatus(c.httpStatus)),
    failed: failed.map(({ source, c }) => `${source}/${c.collector} (${c.httpStatus ?? 'no HTTP status'})`),
  };
}
