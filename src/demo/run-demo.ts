import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseScan, holdFindings, type ScanAnalysis } from '../analysis/analyse.js';
import { resolvePolicy } from '../analysis/policy-source.js';
import { loadConfig } from '../config/config.js';
import { systemClock } from '../connector/context.js';
import type { CoverageReport } from '../connector/coverage.js';
import { loadConnectors } from '../connector/registry.js';
import { loadGovernance } from '../governance/load.js';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../log/progress.js';
import { demoWorld } from '../package-root.js';
import { runScan } from '../scan/run-scan.js';
import { openStore } from '../store/open.js';
import type { ScanSummary } from '../store/store.js';
import type { SyncResult } from '../tickets/sync.js';
import { TOOL_VERSION } from '../version.js';
import { writeClientConfig } from './client-config.js';
import { writeDemoGovernance } from './governance-demo.js';
import { type EmulatorPackage, withEmulator } from './load-emulator.js';
import { startLocalJira, syncConfiguredSinks } from './local-jira.js';

export interface DemoOptions {
  /** Working directory for config, credentials and the database (default: a new temp dir). */
  dir?: string;
  logger: Logger;
  progress: Progress;
  /** Called as each phase starts, for the CLI's running commentary. */
  onPhase?: (text: string) => void;
}

export interface DemoScan {
  scan: ScanSummary;
  coverage: CoverageReport[];
  analysis: ScanAnalysis;
}

export interface DemoResult {
  dir: string;
  configFile: string;
  /** The dated governance file the demo wrote and applied. */
  governanceFile: string;
  database: string;
  emulatorOrigin: string;
  requests: number;
  first: DemoScan;
  second: DemoScan;
  /** The ticket lifecycle against the local Jira (project SEC), after each scan. */
  tickets: { jiraOrigin: string; first: SyncResult[]; second: SyncResult[] };
}

/**
 * The demo: start the emulator on the built-in organisation, write a config for it, scan, switch to the
 * changed organisation, scan again, and analyse both. Nothing outside this process is started.
 */
export function runDemo(options: DemoOptions): Promise<DemoResult> {
  return withEmulator((emulator) => demoOn(emulator, options));
}

async function demoOn(emulator: EmulatorPackage, options: DemoOptions): Promise<DemoResult> {
  const phase = options.onPhase ?? (() => {});
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'grantscope-demo-'));
  phase('Starting the local emulators (GitHub, Microsoft Graph, Google APIs; Jira for tickets)…');
  const emu = await emulator.startEmulator({ world: demoWorld('demo') });
  // One Jira ticket per partner identity, so an app with several problems opens one ticket.
  const jira = await startLocalJira(dir, emulator, { group: 'identity' }).catch(async (err) => {
    await emu.stop();
    throw err;
  });
  try {
    // The governance file (owners, approvals, an exception, a retired vendor, a review), dated from today.
    const governanceFile = writeDemoGovernance(dir, new Date());
    const written = writeClientConfig(emu, dir, {
      governance: 'governance.yaml',
      tickets: { sinks: [jira.entry] },
    });
    const governance = loadGovernance(governanceFile);
    // Each demo starts from an empty database, so that its diff is the demo's own change.
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${written.database}${suffix}`, { force: true });
    const connectors = await loadConnectors([], { configFile: written.configFile });
    const config = loadConfig(written.configFile, connectors);
    const store = await openStore(config.database);
    const policy = resolvePolicy(null, config.vocabulary);
    const scanOnce = async (label: string, fullResync = false): Promise<DemoScan> => {
      const outcome = await runScan({
        store,
        connectors: config.connectors,
        configDir: config.dir,
        http: { caFile: config.caFile, timeoutMs: 30_000, userAgent: `grantscope/${TOOL_VERSION} (demo)` },
        concurrency: config.settings.concurrency,
        logger: options.logger,
        progress: options.progress,
        clock: systemClock,
        signal: new AbortController().signal,
        toolVersion: TOOL_VERSION,
        label,
        fullResync,
      });
      const analysis = await analyseScan(store, outcome.scan, {
        policy,
        asOf: new Date(outcome.scan.startedAt),
        vocabulary: config.vocabulary,
        governance,
      });
      // The demo prints after the store is closed: its (few) findings are held in memory.
      return {
        scan: outcome.scan,
        coverage: outcome.coverage,
        analysis: { ...analysis, findings: await holdFindings(analysis.findings) },
      };
    };
    try {
      phase(`Scanning "${emu.world().name}"…`);
      const first = await scanOnce('demo: first scan');
      phase('Opening tickets in the local Jira (grantscope tickets sync)…');
      const ticketsFirst = await syncConfiguredSinks(written.configFile, store, first.scan, options.logger);
      phase('The organisation changes: apps gain permissions, grants appear and disappear. Scanning again…');
      emu.setWorld(demoWorld('demo-changed'));
      // The world jumps a week ahead but the clock does not: its changes are dated before the first
      // scan, where reads since the last scan (Reports since its read time) would not look.
      const second = await scanOnce('demo: second scan', true);
      phase('Updating the Jira tickets: comment what changed, close what is resolved…');
      const ticketsSecond = await syncConfiguredSinks(written.configFile, store, second.scan, options.logger);
      return {
        dir,
        configFile: written.configFile,
        governanceFile,
        database: written.database,
        emulatorOrigin: emu.origin,
        requests: emu.stats().total,
        first,
        second,
        tickets: { jiraOrigin: jira.emulator.origin, first: ticketsFirst, second: ticketsSecond },
      };
    } finally {
      await store.close();
    }
  } finally {
    await Promise.all([emu.stop(), jira.emulator.close()]);
  }
}
