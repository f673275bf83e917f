import type { LimitFunction } from 'p-limit';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../log/progress.js';
import type { CoverageTracker } from './coverage.js';
import type { HttpPolicy } from './http.js';

export interface Clock {
  now(): Date;
  /** Wait, honouring `signal`. Tests replace it to avoid real sleeps. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          reject(signal.reason);
        },
        { once: true },
      );
    }),
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
}
