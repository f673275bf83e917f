import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { computeFindings } from '../analysis/analyse.js';
import { resolveGovernance } from '../analysis/governance-source.js';
import { resolvePolicy } from '../analysis/policy-source.js';
import type { LoadedConfig } from '../config/config.js';
import { ReportWriteError } from '../errors.js';
import { writeFileAtomically } from '../output/write-file-atomically.js';
import { buildReportData } from '../report/build-report-data.js';
import { renderReportHtml } from '../report/render-html.js';
import type { ScanSelection } from '../selection/scan-selection.js';
import type { SnapshotStore } from '../store/store.js';

/** Scans the report's trend and identity histories look back on, as `grantscope report` by default. */
const HISTORY = 12;

/** The report's file name: the round id with only file-safe characters (`2026-12-06T02-00-00Z`). */
export function roundReportName(round: string): string {
  return `grantscope-round-${round.replace(/[^A-Za-z0-9._-]/g, '-')}.html`;
}

/**
 * Writes the HTML report of a round (the newest scan of each tenant as of the round) into `dir`, as
 * `grantscope report` would with the config's policy and governance. Written to a temporary file in
 * the same folder, then renamed over the name: a reader never sees half a report, and a round job
 * retried after a crash rewrites it whole. Owner-only (it is an inventory of who can reach what).
 */
export async function writeRoundReport(options: {
  store: SnapshotStore;
  config: LoadedConfig;
  selection: ScanSelection;
  round: string;
  dir: string;
}): Promise<string> {
  const { store, config, selection } = options;
  const policy = resolvePolicy(config.policyFile, config.vocabulary);
  const governance = resolveGovernance(config.governanceFile);
  const asOf = new Date(selection.newest.startedAt);
  const findings = await computeFindings(store, selection, {
    policy,
    asOf,
    vocabulary: config.vocabulary,
    governance,
  });
  const data = await buildReportData({
    store,
    scan: selection,
    findings,
    governance,
    asOf,
    history: HISTORY,
  });
  const file = join(options.dir, roundReportName(options.round));
  try {
    mkdirSync(options.dir, { recursive: true });
    writeFileAtomically(file, renderReportHtml(data), 0o600);
  } catch (err) {
    throw new ReportWriteError(
      file,
      `writing the report of round ${options.round}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return file;
}
