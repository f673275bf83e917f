import { chmodSync, writeFileSync } from 'node:fs';
import { computeFindings } from '../analysis/analyse.js';
import { resolvePolicy } from '../analysis/policy-source.js';
import { loadVocabulary } from '../connector/registry.js';
import { loadGovernance } from '../governance/load.js';
import { buildReportData } from '../report/build-report-data.js';
import { renderReportHtml } from '../report/render-html.js';
import { openStore } from '../store/open.js';

/**
 * The demo's HTML report of scan `scanId`, as `grantscope report -c <demo config>` writes it: default
 * policy, the demo's governance file, findings as of the scan. Owner-only, like the database.
 */
export async function writeDemoHtmlReport(
  database: string,
  governanceFile: string,
  scanId: number,
  file: string,
): Promise<string> {
  const vocabulary = await loadVocabulary();
  const governance = loadGovernance(governanceFile);
  const store = await openStore(database, { readOnly: true });
  try {
    const scan = await store.getScan(scanId);
    if (!scan) throw new Error(`demo: scan #${scanId} is not in ${database}`);
    const asOf = new Date(scan.startedAt);
    const findings = await computeFindings(store, scan, {
      policy: resolvePolicy(null, vocabulary),
      asOf,
      vocabulary,
      governance,
    });
    const data = await buildReportData({ store, scan, findings, governance, asOf, history: 12 });
    writeFileSync(file, renderReportHtml(data), { mode: 0o600 });
    chmodSync(file, 0o600);
    return file;
  } finally {
    await store.close();
  }
}
