import type { ScanAnalysis } from '../analysis/analyse.js';
import type { ConfiguredConnector, LoadedConfig } from '../config/config.js';
import { systemClock } from '../connector/context.js';
import { deferredModule } from '../deferred-module.js';
import type { Governance } from '../governance/model.js';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../log/progress.js';
import type { Policy } from '../policy/index.js';
import type { SnapshotStore } from '../store/store.js';
import { TOOL_VERSION } from '../version.js';
import { runScan, type ScanOutcome } from './run-scan.js';
import type { ResumePlan } from './scan-journal.js';

export interface ScanAndAnalyseOptions {
  store: SnapshotStore;
  config: LoadedConfig;
  /** The configured tenants to scan (all of the config's, or those picked by --only or a queued job). */
  connectors: readonly ConfiguredConnector[];
  policy: Policy;
  governance: Governance;
  /** Evaluate time-based rules as of this time; default the scan's start. */
  asOf?: (scanStartedAt: Date) => Date;
  label: string | null;
  /** Where the response journal lives (beside a SQLite file); null for none. */
  journalDir: string | null;
  resume: ResumePlan | null;
  fullResync: boolean;
  logger: Logger;
  progress: Progress;
  signal: AbortSignal;
  /** Called once the scan sends its first request (see `RunScanOptions.onFirstRequest`). */
  onFirstRequest?: () => void;
}

export interface ScanAndAnalysis extends ScanOutcome {
  analysis: ScanAnalysis;
}

/**
 * What `grantscope scan` does and a queue worker does for each job: scan the given tenants into one
 * stored snapshot, then diff it and record its findings. One code path, so that a scan run by a
 * worker is the same scan the command runs.
 */
export async function scanAndAnalyse(options: ScanAndAnalyseOptions): Promise<ScanAndAnalysis> {
  const { config, store } = options;
  // The diff, the rules and the findings' bookkeeping: loaded while the scan waits on its first answers.
  const analysisModule = deferredModule(() => import('../analysis/analyse.js'));
  const outcome = await runScan({
    store,
    connectors: options.connectors,
    configDir: config.dir,
    http: {
      caFile: config.caFile,
      timeoutMs: config.settings.http.timeoutSeconds * 1000,
      retry: {
        maxRetries: config.settings.http.maxRetries,
        maxDelayMs: config.settings.http.maxRetryWaitSeconds * 1000,
      },
      userAgent: `grantscope/${TOOL_VERSION}`,
    },
    concurrency: config.settings.concurrency,
    logger: options.logger,
    progress: options.progress,
    clock: systemClock,
    signal: options.signal,
    toolVersion: TOOL_VERSION,
    label: options.label,
    journal: options.journalDir ? { dir: options.journalDir, resume: options.resume } : null,
    fullResync: options.fullResync,
    governanceHash: options.governance.hash || null,
    onFirstRequest: () => {
      analysisModule.preload();
      options.onFirstRequest?.();
    },
  });
  const { analyseScan } = await analysisModule.load();
  const started = new Date(outcome.scan.startedAt);
  const analysis = await analyseScan(store, outcome.scan, {
    policy: options.policy,
    asOf: options.asOf ? options.asOf(started) : started,
    vocabulary: config.vocabulary,
    governance: options.governance,
    progress: options.progress,
    full: options.fullResync,
  });
  return { ...outcome, analysis };
}
