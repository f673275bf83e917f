import {
  type CollectorCoverage,
  type CoverageReport,
  fromTenantFailure,
  type TenantFailure,
} from '../../connector/coverage.js';
import type { ScanSummary } from '../../store/store.js';
import { type Column, paint, renderRows } from '../format.js';

interface CoverageRow {
  source: string;
  c: CollectorCoverage;
  /** The failure that stopped the row's tenant, when there was one. */
  stopped?: TenantFailure;
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

/**
 * For people (table, md): a collector that did not run because its tenant stopped says so in three words;
 * the tenant's reason is said once, under the table ("Scan incomplete: …") and on stderr.
 */
const PEOPLE_COLUMNS: Column<CoverageRow>[] = COLUMNS.map((col) =>
  col.header === 'Detail'
    ? {
        ...col,
        value: (r) =>
          r.stopped && r.c.collector !== r.stopped.collector && fromTenantFailure(r.c, r.stopped)
            ? `not run: ${r.stopped.summary}`
            : col.value(r),
      }
    : col,
);

export function coverageRows(coverage: readonly CoverageReport[]): CoverageRow[] {
  return coverage.flatMap((r) =>
    r.collectors.map((c) => ({
      source: `${r.connector}:${r.tenant}`,
      c,
      ...(r.tenantFailure ? { stopped: r.tenantFailure } : {}),
    })),
  );
}

/** The per-collector coverage table printed after a scan. */
export function renderCoverage(
  coverage: readonly CoverageReport[],
  color = false,
  format: 'table' | 'md' | 'csv' = 'table',
): string {
  if (format === 'csv') return renderRows(format, coverageRows(coverage), COLUMNS);
  if (format === 'md') return renderRows(format, coverageRows(coverage), PEOPLE_COLUMNS);
  // Tables group the rows under their source: a tenant id is too long to repeat in a column.
  return renderRows('table', coverageRows(coverage), PEOPLE_COLUMNS.slice(1), {
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

/**
 * What made each source incomplete: a tenant that stopped once, with its reason and how many collectors
 * it left not run, then each other failed collector.
 */
export function incompleteCollectors(coverage: readonly CoverageReport[]): string[] {
  return coverage.flatMap((r) => {
    const source = `${r.connector}:${r.tenant}`;
    const stopped = r.tenantFailure;
    const failed = r.collectors.filter((c) => c.status === 'failed');
    const byTenant = stopped ? failed.filter((c) => fromTenantFailure(c, stopped)) : [];
    return [
      ...(stopped
        ? [
            `${source}: ${stopped.reason} (${byTenant.length} collector${byTenant.length === 1 ? '' : 's'} not run)`,
          ]
        : []),
      ...failed
        .filter((c) => !byTenant.includes(c))
        .map((c) => `${source} ${c.collector}${c.httpStatus ? ` (HTTP ${c.httpStatus})` : ''}`),
    ];
  });
}
