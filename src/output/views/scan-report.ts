import type { ScanAnalysis } from '../../analysis/analyse.js';
import type { CoverageReport } from '../../connector/coverage.js';
import type { ScanSummary } from '../../store/store.js';
import { type OutputFormat, renderJson } from '../format.js';
import { renderDiff, renderDiffSummary } from './diff.js';
import { renderFindings } from './findings.js';
import { incompleteCollectors, renderCoverage, scanHeadline } from './scan.js';

export interface ScanReportInput {
  scan: ScanSummary;
  coverage: readonly CoverageReport[];
  analysis: ScanAnalysis;
}

/**
 * What `scan` (and the demo) print: headline, per-collector coverage, changes since the previous
 * scan and findings. json: one object; csv: the findings only (one table per file); md: a report.
 */
export function renderScanReport(input: ScanReportInput, format: OutputFormat, color = false): string {
  const { scan, coverage, analysis } = input;
  if (format === 'json') {
    return renderJson({
      scan,
      coverage,
      previousScan: analysis.previous?.id ?? null,
      diff: analysis.diffSummary,
      findings: analysis.findings,
    });
  }
  if (format === 'csv') return renderFindings(analysis.findings, 'csv');
  const failed = incompleteCollectors(coverage);
  const incomplete =
    failed.length > 0
      ? `Scan incomplete: ${failed.join('; ')}.\nTheir previous records were kept; nothing they own is reported as removed.\n`
      : '';
  if (format === 'md') {
    return [
      `# grantscope scan #${scan.id}\n\n${scanHeadline(scan)}\n\n`,
      incomplete ? `> ${incomplete.replace(/\n(?=.)/g, '\n> ')}\n` : '',
      `## Coverage\n\n${renderCoverage(coverage, false, 'md')}\n`,
      analysis.diff && analysis.previous
        ? `## Changes since scan #${analysis.previous.id}\n\n${renderDiff(analysis.diff, 'md', { from: analysis.previous, to: scan })}\n`
        : '## Changes\n\nFirst scan: no previous snapshot to compare with.\n\n',
      `## Findings\n\n${renderFindings(analysis.findings, 'md')}`,
    ].join('');
  }
  return [
    `${scanHeadline(scan)}\n`,
    renderCoverage(coverage, color),
    analysis.diff && analysis.previous
      ? `\nChanges since scan #${analysis.previous.id}:\n${renderDiffSummary(analysis.diff, color)}`
      : '\nFirst scan: no previous snapshot to compare with.\n',
    `\n${renderFindings(analysis.findings, 'table', color)}`,
    incomplete ? `\n${incomplete}` : '',
  ].join('');
}
