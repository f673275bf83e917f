import type { CollectorCoverage, CoverageReport } from '../../connector/coverage.js';
import type { ScanSummary } from '../../store/store.js';
import { type Column, paint, renderRows } from '../format.js';

interface CoverageRow {
  source: string;
  c: CollectorCoverage;
}

const STATUS_COLOR: Record<string, string> = {
  complete: 'green',
  skipped: 'dim',
  unavailable: 'yellow',
  failed: 'red',
};

const COLUMNS: Column<CoverageRow>[] = [
  { header: 'Source', value: (r) => r.source },
  { header: 'Collector', value: (r) => r.c.collector, noWrap: true },
  { header: 'Status', value: (r) => r.c.status, noWrap: true },
  { header: 'Items', value: (r) => r.c.items, align: 'right', noWrap: true },
  { header: 'Requests', value: (r) => r.c.requests, align: 'right', noWrap: true },
  {
    header: 'Detail',
    value: (r) =>
      [r.c.api, r.c.httpStatus != null ? `HTTP ${r.c.httpStatus}` : null, r.c.reason, ...r.c.notes]
        .filter(Boolean)
        .join(' — '),
    grow: 3,
  },
];

export function coverageRows(coverage: readonly CoverageReport[]): CoverageRow[] {
  return coverage.flatMap((r) => r.collectors.map((c) => ({ source: `${r.connector}:${r.tenant}`, c })));
}

/** The per-collector coverage table printed after a scan. */
export function renderCoverage(
  coverage: readonly CoverageReport[],
  color = false,
  format: 'table' | 'md' | 'csv' = 'table',
): string {
  if (format !== 'table') return renderRows(format, coverageRows(coverage), COLUMNS);
  // Tables group the rows under their source: a tenant id is too long to repeat in a column.
  return renderRows('table', coverageRows(coverage), COLUMNS.slice(1), {
    group: (row) => (row as CoverageRow).source,
    color: (row, text, i) =>
      i === 1 ? paint(color, STATUS_COLOR[(row as CoverageRow).c.status] ?? '', text) : text,
  });
}

export function scanHeadline(scan: ScanSummary): string {
  const { identities, grants, credentials } = scan.counts;
  const requests = scan.sources.reduce((n, s) => n + s.requests, 0);
  return `Scan #${scan.id} ${scan.status}: ${identities} identities, ${grants} grants, ${credentials} credentials, ${requests} API requests`;
}

export function incompleteCollectors(coverage: readonly CoverageReport[]): string[] {
  return coverage.flatMap((r) =>
    r.collectors
      .filter((c) => c.status === 'failed')
      .map(
        (c) => `${r.connector}:${r.tenant} ${c.collector}${c.httpStatus ? ` (HTTP ${c.httpStatus})` : ''}`,
      ),
  );
}
