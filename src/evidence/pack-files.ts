import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { computeDiff } from '../analysis/analyse.js';
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
  scan: ScanSummary;
  /** The scan the diff starts from; null on a first scan. */
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
  scan: ScanSummary,
  governance: Governance,
): Promise<string> {
  const bundles: IdentityBundle[] = [];
  for await (const b of store.readSnapshot(scan.id)) bundles.push(b);
  const reviews = await ReviewsInForce.load(store, governance === EMPTY_GOVERNANCE ? null : governance);
  return renderInventory(bundles, 'csv', {
    ...(reviews.empty ? {} : { reviews }),
    ...(governance === EMPTY_GOVERNANCE
      ? {}
      : {
          governance: {
            file: governance,
            people: await readPeopleDirectory(store, scan.id, registeredAccounts(governance)),
          },
        }),
  });
}

async function diffFiles(
  store: SnapshotStore,
  scan: ScanSummary,
  since: ScanSummary | null,
): Promise<PackFile[]> {
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
  const { store, scan, since, findings } = input;
  const report = await buildReportData({
    store,
    scan,
    findings,
    governance: input.governance,
    asOf: input.asOf,
    history: input.history,
    framework: input.framework,
  });
  const runProperties = { scanId: scan.id, scanStatus: scan.status, asOf: input.asOf.toISOString() };
  const coverage = storedCoverage(scan);
  const governance = governanceFiles(input.governance);
  const files: PackFile[] = [
    text('report.html', renderReportHtml(report)),
    text('findings.json', await collectText(findingsChunks(streamOf(findings), 'json'))),
    text(
      'findings.sarif',
      await collectText(findingsChunks(streamOf(findings), 'sarif', false, { runProperties })),
    ),
    text('inventory.csv', await inventoryCsv(store, scan, input.governance)),
    ...(await diffFiles(store, scan, since)),
    text('coverage.csv', renderCoverage(coverage, false, 'csv')),
    text('coverage.md', `# Coverage of scan #${scan.id}\n\n${renderCoverage(coverage, false, 'md')}`),
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
