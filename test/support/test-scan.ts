import { silentLogger } from '../../src/log/logger.js';
import { silentProgress } from '../../src/log/progress.js';
import { type RunScanOptions, runScan } from '../../src/scan/run-scan.js';

/**
 * `runScan` as the connector tests run it against the emulator: its CA, quick retries, four requests
 * in flight, nothing logged, a clock that does not sleep, tool version `test`. Any option given wins.
 */
export function runTestScan(
  options: Pick<RunScanOptions, 'store' | 'connectors' | 'configDir'> & {
    caFile: string;
  } & Partial<RunScanOptions>,
) {
  const { caFile, ...given } = options;
  return runScan({
    http: { caFile, retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 } },
    concurrency: 4,
    logger: silentLogger,
    progress: silentProgress,
    clock: { now: () => new Date(), sleep: async () => {} },
    signal: new AbortController().signal,
    toolVersion: 'test',
    ...given,
  });
}
