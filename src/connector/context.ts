import type { LimitFunction } from 'p-limit';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../log/progress.js';
import type { RecordType } from '../model/index.js';
import type { IdentityBundle } from '../store/store.js';
import type { ConnectorState } from './connector-state.js';
import type { CoverageTracker } from './coverage.js';
import type { HttpPolicy } from './http.js';

export interface Clock {
  now(): Date;
  /** Wait, honouring `signal`. Tests replace it to avoid real sleeps. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * What to do when a signal aborts, for every sleep on it, behind one listener per signal: connectors
 * sleep on the scan's one signal (pacing waits, back-offs), often many at once, and a listener per
 * sleep would number the sleepers (Node warns past 10) and, with `once` alone, stay after each sleep.
 */
const sleepersBySignal = new WeakMap<AbortSignal, Set<() => void>>();

function onAbort(signal: AbortSignal, wake: () => void): () => void {
  let sleepers = sleepersBySignal.get(signal);
  if (!sleepers) {
    const all = new Set<() => void>();
    sleepers = all;
    sleepersBySignal.set(signal, all);
    signal.addEventListener(
      'abort',
      () => {
        for (const w of [...all]) w();
        all.clear();
      },
      { once: true },
    );
  }
  sleepers.add(wake);
  return () => sleepers.delete(wake);
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const forget = signal
        ? onAbort(signal, () => {
            clearTimeout(t);
            reject(signal.reason);
          })
        : () => false;
      const t = setTimeout(() => {
        forget();
        resolve();
      }, ms);
    }),
};

/**
 * The previous snapshot of the tenant being scanned, read-only. For sources that cannot list everything
 * every time — e.g. grants rebuilt from an audit log that only reaches back six months — so that a
 * connector can tell "aged out of the log" from "removed".
 */
export interface PreviousSnapshot {
  /** The newest stored scan that included this tenant, or null if it was never scanned. */
  readonly scanId: number | null;
  readonly scannedAt: string | null;
  /**
   * This tenant's identities with their grants and credentials in that scan. `types` names the record
   * types the caller reads (default all), `collectors` the collectors whose records it reads (default
   * all): the others may be left out, which saves reading and parsing them. `fields` names the
   * top-level record fields the caller reads (default all): records may then hold only those (and
   * `type`), and grants and credentials come in no particular order (`SnapshotReadFilter.fields`).
   */
  bundles(filter?: {
    kinds?: string[];
    types?: RecordType[];
    collectors?: string[];
    fields?: string[];
  }): AsyncIterable<IdentityBundle>;
}

export const NO_PREVIOUS_SNAPSHOT: PreviousSnapshot = {
  scanId: null,
  scannedAt: null,
  async *bundles() {},
};

/** Everything a connector gets from the engine. Connectors must not reach for globals instead. */
export interface ConnectorContext {
  readonly logger: Logger;
  readonly progress: Progress;
  /** Bounds concurrent API calls for this connector (p-limit). */
  readonly limit: LimitFunction;
  readonly http: HttpPolicy;
  readonly clock: Clock;
  /** Record per-collector status, request counts and notes here. */
  readonly coverage: CoverageTracker;
  /** Aborted when the user interrupts the scan. */
  readonly signal: AbortSignal;
  /** Directory that relative paths in the config (key files) are resolved against. */
  readonly configDir: string;
  /** The tenant's previous snapshot (empty on a first scan). */
  readonly previous: PreviousSnapshot;
  /**
   * Values kept from the previous scan of this tenant (delta links, read times) and set for the next.
   * Absent where no store is behind the scan: read everything in full then.
   */
  readonly state?: ConnectorState;
}
