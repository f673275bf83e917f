import type { ScanAnalysis } from '../../analysis/analyse.js';
import type { CoverageReport } from '../../connector/coverage.js';
import type { ScanSummary } from '../../store/store.js';
import { renderJson } from '../format.js';
import { renderDiff, renderDiffSummary } from './diff.js';
import {
  type FindingsFormat,
  type FindingsOutputOptions,
  findingsChunks,
  jsonArrayChunks,
} from './findings.js';
import { incompleteCollectors, renderCoverage, scanHeadline } from './scan.js';

export interface ScanReportInput {
  scan: ScanSummary;
  coverage: readonly CoverageReport[];
  analysis: ScanAnalysis;
}

/**
 * What `scan` (and the demo) print: headline, per-collector coverage, changes since the previous
 * scan and findings. json: one object; csv, jsonl, sarif and ocsf: the findings only; md: a report. Streamed:
 * the findings are written one at a time after the head, never held as one document.
 */
export async function* scanReportChunks(
  input: ScanReportInput,
  format: FindingsFormat,
  color = false,
  options: FindingsOutputOptions = {},
): AsyncGenerator<string> {
  const { scan, coverage, analysis } = input;
  const findings = analysis.findings.read();
  if (format === 'json') {
    // The document's head as JSON.stringify writes it, then the findings array element by element.
    const head = renderJson({
      scan,
      coverage,
      previousScan: analysis.previous?.id ?? null,
      diff: analysis.diffSummary,
    });
    yield `${head.slice(0, head.lastIndexOf('\n}'))},\n  "findings": `;
    yield* jsonArrayChunks(findings, 1);
    yield '\n}\n';
    return;
  }
  if (format === 'csv' || format === 'jsonl' || format === 'sarif' || format === 'ocsf') {
    yield* findingsChunks(findings, format, false, {
      ...options,
      runProperties: { scanId: scan.id, scanStatus: scan.status, ...options.runProperties },
    });
    return;
  }
  const failed = incompleteCollectors(coverage);
  const incomplete =
    failed.length > 0
      ? `Scan incomplete: ${failed.join('; ')}.\nTheir previous records were kept; nothing they own is reported as removed.\n`
      : '';
  if (format === 'md') {
    yield [
      `# grantscope scan #${scan.id}\n\n${scanHeadline(scan)}\n\n`,
      incomplete ? `> ${incomplete.replace(/\n(?=.)/g, '\n> ')}\n` : '',
      `## Coverage\n\n${renderCoverage(coverage, false, 'md')}\n`,
      analysis.diff && analysis.previous
        ? `## Changes since scan #${analysis.previous.id}\n\n${renderDiff(analysis.diff, 'md', { from: analysis.previous, to: scan })}\n`
        : '## Changes\n\nFirst scan: no previous snapshot to compare with.\n\n',
      '## Findings\n\n',
    ].join('');
    yield* findingsChunks(findings, 'md', false, options);
    return;
  }
  yield [
    `${scanHeadline(scan)}\n`,
    renderCoverage(coverage, color),
    analysis.diff && analysis.previous
      ? `\nChanges since scan #${analysis.previous.id}:\n${renderDiffSummary(analysis.diff, color)}`
      : '\nFirst scan: no previous snapshot to compare with.\n',
    '\n',
  ].join('');
  yield* findingsChunks(findings, 'table', color, options);
  if (incomplete) yield `\n${incomplete}`;
}
