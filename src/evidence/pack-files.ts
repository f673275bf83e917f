import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { computeDiff } from '../analysis/analyse.js';
import {
  diffFromBaselines,
  previousScanOfEachSource,
  scanOfEachSourceSince,
} from '../analysis/selection-diff.js';
import type { Finding } from '../findings/finding.js';
import { EMPTY_GOVERNANCE, type Governance } from '../governance/model.js';
import { readPeopleDirectory, registeredAccounts } from '../governance/people.js';
import { ReviewsInForce } from '../governance/reviews-in-force.js';
import { renderDiff } from '../output/views/diff.js';
import { collectText, findingsChunks, streamOf } from '../output/views/findings.js';
import { renderInventory } from '../output/views/inventory.js';
import { renderCoverage } from '../output/views/scan.js';
import { buildReportData, storedCoverage } from '../report/build-report-data.js';
import { renderReportHtml } from '../report/render-html.js';
import { selectionCoverage } from '../selection/describe-selection.js';
import { asSelection, type ScanSelection, wholeScan } from '../selection/scan-selection.js';
import { readSelectedSnapshot } from '../selection/selection-reads.js';
import type { IdentityBundle, ScanSummary, SnapshotStore } from '../store/store.js';
import { TOOL_VERSION } from '../version.js';
import { auditorReadme } from './auditor-readme.js';

/** One file of the pack: its path inside the pack (forward slashes) and its bytes. */
export interface PackFile {
  path: string;
  content: Buffer;
}

export interface PackInput {
  store: SnapshotStore;
  /** The scan packed, or a selection (the newest scan of each tenant: a round). */
  scan: ScanSummary | ScanSelection;
  /**
   * The scan the diff starts from; null on a first scan. For a selection of several scans, each tenant
   * starts from its newest scan at or before it, or (null) from its own previous scan.
   */
  since: ScanSummary | null;
  findings: readonly Finding[];
  asOf: Date;
  governance: Governance;
  policyFile: string | null;
  history: number;
  framework: string | null;
  /** The pack's one timestamp (manifest.json `generatedAt`). */
  generatedAt: Date;
}

export const MANIFEST = 'manifest.json';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const text = (path: string, content: string): PackFile => ({ path, content: Buffer.from(content, 'utf8') });

/** Governance files under governance/, named after their file; a repeated name gets its position. */
function governanceFiles(g: Governance): PackFile[] {
  const seen = new Set<string>();
  return g.files.map((file, n) => {
    let name = basename(file);
    if (seen.has(name)) name = `${n + 1}-${name}`;
    seen.add(name);
    return { path: `governance/${name}`, content: readFileSync(file) };
  });
}

async function inventoryCsv(
  store: SnapshotStore,
  scan: ScanSelection,
  governance: Governance,
): Promise<string> {
  const bundles: IdentityBundle[] = [];
  for await (const b of readSelectedSnapshot(store, scan)) bundles.push(b);
  const reviews = await ReviewsInForce.load(store, governance === EMPTY_GOVERNANCE ? null : governance);
  return renderInventory(bundles, 'csv', {
    ...(reviews.empty ? {} : { reviews }),
    ...(governance === EMPTY_GOVERNANCE
      ? {}
      : {
          governance: {
            file: governance,
            people: await readPeopleDirectory(store, scan, registeredAccounts(governance)),
          },
        }),
  });
}

/** The diff of a selection of several scans: each tenant from its baseline (`PackInput.since`). */
async function roundDiffFiles(
  store: SnapshotStore,
  selection: ScanSelection,
  since: ScanSummary | null,
): Promise<PackFile[]> {
  const baselines = since
    ? await scanOfEachSourceSince(store, selection, since.id)
    : await previousScanOfEachSource(store, selection);
  const diff = await diffFromBaselines(store, selection, baselines);
  const to = selection.newest;
  if (!diff) {
    const none = `No tenant of the scans packed has an earlier snapshot${since ? ` at or before scan #${since.id}` : ''} to compare with.\n`;
    return [
      text('diff.json', `${JSON.stringify({ from: null, to: to.id }, null, 2)}\n`),
      text('diff.md', none),
    ];
  }
  const from = baselines.map((b) => b.from).sort((a, b) => b.id - a.id)[0]!;
  const sources = baselines.map((b) => ({ source: b.source, from: b.from.id, to: b.to.id }));
  const head = `# Changes of each tenant${since ? ` since scan #${since.id} (${since.startedAt})` : ' since its previous scan'} to its newest scan\n\n${sources.map((x) => `- ${x.source}: scan #${x.from} → #${x.to}`).join('\n')}\n\n`;
  return [
    text('diff.json', renderDiff(diff, 'json', { from, to, sources })),
    text('diff.md', head + renderDiff(diff, 'md', { from, to, sources })),
  ];
}

async function diffFiles(
  store: SnapshotStore,
  selection: ScanSelection,
  since: ScanSummary | null,
): Promise<PackFile[]> {
  if (!wholeScan(selection)) return roundDiffFiles(store, selection, since);
  const scan = selection.newest;
  if (!since) {
    const none = `Scan #${scan.id} is the first scan: there is no earlier snapshot to compare with.\n`;
    return [
      text('diff.json', `${JSON.stringify({ from: null, to: scan.id }, null, 2)}\n`),
      text('diff.md', none),
    ];
  }
  const diff = await computeDiff(store, since, scan);
  const head = `# Changes from scan #${since.id} (${since.startedAt}) to scan #${scan.id} (${scan.startedAt})\n\n`;
  return [
    text('diff.json', renderDiff(diff, 'json', { from: since, to: scan })),
    text('diff.md', head + renderDiff(diff, 'md', { from: since, to: scan })),
  ];
}

/**
 * Every file of the evidence pack, sorted by path, and manifest.json last. Each is a function of the
 * snapshot, the policy and the governance only, except `generatedAt` in the manifest.
 */
export async function evidencePackFiles(input: PackInput): Promise<PackFile[]> {
  const { store, since, findings } = input;
  const selection = asSelection(input.scan);
  const scan = selection.newest;
  const rounds = selection.scans.length > 1;
  const report = await buildReportData({
    store,
    scan: selection,
    findings,
    governance: input.governance,
    asOf: input.asOf,
    history: input.history,
    framework: input.framework,
  });
  const runProperties = {
    scanId: scan.id,
    scanStatus: rounds ? selection.status : scan.status,
    asOf: input.asOf.toISOString(),
    ...(rounds && { scans: selectionCoverage(selection).sources }),
  };
  const coverage = storedCoverage(selection);
  const governance = governanceFiles(input.governance);
  const files: PackFile[] = [
    text('report.html', renderReportHtml(report)),
    text('findings.json', await collectText(findingsChunks(streamOf(findings), 'json'))),
    text(
      'findings.sarif',
      await collectText(findingsChunks(streamOf(findings), 'sarif', false, { runProperties })),
    ),
    text('inventory.csv', await inventoryCsv(store, selection, input.governance)),
    ...(await diffFiles(store, selection, since)),
    text('coverage.csv', renderCoverage(coverage, false, 'csv')),
    text(
      'coverage.md',
      `# Coverage of ${rounds ? `the newest scan of each of ${selection.sources.length} sources (${selection.scans.length} scans)` : `scan #${scan.id}`}\n\n${renderCoverage(coverage, false, 'md')}`,
    ),
    ...governance,
    ...(governance.length > 0
      ? [
          text(
            'governance/SHA256SUMS',
            `${governance.map((g) => `${sha256(g.content)}  ${g.path.slice('governance/'.length)}`).join('\n')}\n`,
          ),
        ]
      : []),
    ...(input.policyFile
      ? [{ path: `policy/${basename(input.policyFile)}`, content: readFileSync(input.policyFile) }]
      : []),
  ];
  files.push(
    text(
      'README.md',
      auditorReadme({
        scan,
        since,
        findings: report.summary,
        identities: report.summary.identities,
        governanceHash: input.governance.hash || null,
        frameworks: report.frameworks.map((f) => f.name),
        files: files.map((f) => f.path),
      }),
    ),
  );
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest = {
    tool: 'grantscope',
    toolVersion: TOOL_VERSION,
    generatedAt: input.generatedAt.toISOString(),
    snapshots: {
      scan: { id: scan.id, startedAt: scan.startedAt, finishedAt: scan.finishedAt, status: scan.status },
      // A round: every source with the scan it was read from (`scan` is the newest of them).
      ...(rounds && { sources: selectionCoverage(selection).sources }),
      since: since ? { id: since.id, startedAt: since.startedAt, status: since.status } : null,
      history: report.trend.map((t) => t.scanId),
    },
    asOf: input.asOf.toISOString(),
    governance: {
      hash: input.governance.hash || null,
      hashAtScan: scan.governanceHash ?? null,
      files: governance.map((g) => g.path),
    },
    policy: input.policyFile ? `policy/${basename(input.policyFile)}` : null,
    findings: {
      total: report.summary.findings,
      excepted: report.summary.excepted,
      bySeverity: report.summary.bySeverity,
    },
    files: files.map((f) => ({ path: f.path, bytes: f.content.length, sha256: sha256(f.content) })),
  };
  files.push(text(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`));
  return files;
}
