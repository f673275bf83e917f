import type Database from 'better-sqlite3';
import type { ScanSummary, SourceScan, SourceScanQuery } from '../store.js';

/**
 * `SnapshotStore.latestScanOfEachSource` in one grouped query over `scan_sources` (indexed by source,
 * scan): only committed scans, so a scan still running or failed is never chosen.
 */
export function latestScanOfEachSource(
  db: Database.Database,
  query: SourceScanQuery,
  summary: (scanId: number) => ScanSummary | null,
): SourceScan[] {
  const rows = db
    .prepare<
      [number | null, number | null, string | null, string | null, string | null, string | null],
      { source: string; platform: string; tenant: string; scan_id: number }
    >(
      `SELECT ss.source, ss.platform, ss.tenant, max(ss.scan_id) AS scan_id
       FROM scan_sources AS ss JOIN scans AS s ON s.id = ss.scan_id
       WHERE s.status IN ('complete', 'incomplete')
         AND (? IS NULL OR ss.scan_id <= ?)
         AND (? IS NULL OR ss.platform = ?)
         AND (? IS NULL OR ss.tenant = ?)
       GROUP BY ss.source_id
       ORDER BY ss.source`,
    )
    .all(
      query.atOrBefore ?? null,
      query.atOrBefore ?? null,
      query.platform ?? null,
      query.platform ?? null,
      query.tenant ?? null,
      query.tenant ?? null,
    );
  const scans = new Map<number, ScanSummary>();
  return rows.map((r) => {
    let scan = scans.get(r.scan_id);
    if (!scan) {
      scan = summary(r.scan_id)!;
      scans.set(r.scan_id, scan);
    }
    return { source: r.source, platform: r.platform, tenant: r.tenant, scan };
  });
}
