import type Database from 'better-sqlite3';
import type { CoverageReport } from '../../connector/coverage.js';
import { StoreError } from '../../errors.js';
import type { ConnectorStateWrite, ScanStatus } from '../store.js';
import type { CoveredSource, ScanCounts, ScanTransaction } from './scan-transaction.js';

export interface CommitRequest {
  coverage: readonly CoverageReport[];
  finishedAt: string;
  /** `commit_seq` of the newest committed scan when this scan began. */
  baseSeq: number;
  /** Connector state to keep for the next scan of each source, committed with this scan. */
  state?: readonly ConnectorStateWrite[];
}

/** Checks the coverage against what was written: every written source needs a report, once. */
export function checkCoverage(
  file: string,
  coverage: readonly CoverageReport[],
  written: Iterable<string>,
): void {
  const reported = new Set<string>();
  for (const c of coverage) {
    const source = `${c.platform}:${c.tenant}`;
    if (reported.has(source)) throw new StoreError(file, `coverage lists source ${source} twice`);
    reported.add(source);
  }
  const unreported = [...written].filter((s) => !reported.has(s));
  if (unreported.length > 0) {
    throw new StoreError(
      file,
      `records were written for ${unreported.join(', ')} but the coverage has no report for it`,
    );
  }
}

/** `complete` if every source's coverage is complete, else `incomplete`. */
export function scanStatusOf(
  coverage: readonly CoverageReport[],
): Extract<ScanStatus, 'complete' | 'incomplete'> {
  return coverage.every((c) => c.status === 'complete' && c.collectors.every((k) => k.status !== 'failed'))
    ? 'complete'
    : 'incomplete';
}

/**
 * Commits a scan: checks it is still running and that no overlapping scan committed since it began,
 * records its coverage, closes what it ended and marks it complete/incomplete, all in the scan's
 * transaction.
 */
export function commitScan(
  db: Database.Database,
  file: string,
  tx: ScanTransaction,
  req: CommitRequest,
): void {
  const scanId = tx.scanId;
  checkCoverage(file, req.coverage, tx.sources.keys());
  tx.commit(req.coverage, (covered, counts) => {
    const status = db.prepare('SELECT status FROM scans WHERE id = ?').pluck().get(scanId);
    if (status !== 'running') {
      throw new StoreError(file, `scan ${scanId} is ${status ?? 'missing'}; it can no longer be completed`);
    }
    assertNoOverlappingCommit(db, file, scanId, req.baseSeq, [...covered.keys()]);
    insertCoverage(db, scanId, req.coverage, covered);
    writeConnectorState(db, file, scanId, req.state ?? [], covered);
    markCommitted(db, scanId, scanStatusOf(req.coverage), req.finishedAt, counts);
  });
}

/** Rolls the scan's transaction back and records the scan as failed. */
export function abortScan(
  db: Database.Database,
  tx: ScanTransaction,
  reason: string,
  finishedAt: string,
): void {
  tx.rollback();
  db.prepare(
    "UPDATE scans SET status = 'failed', finished_at = ?, failure = ? WHERE id = ? AND status = 'running'",
  ).run(finishedAt, reason, tx.scanId);
}

/**
 * Versions are ordered by scan id, so a scan must not commit over a source that another scan
 * committed after this one began (the order of versions would break).
 */
function assertNoOverlappingCommit(
  db: Database.Database,
  file: string,
  scanId: number,
  baseSeq: number,
  sources: string[],
): void {
  const clash = db
    .prepare<[number, string], { id: number; source: string }>(
      `SELECT s.id, ss.source FROM scans AS s JOIN scan_sources AS ss ON ss.scan_id = s.id
       WHERE s.commit_seq > ? AND ss.source IN (SELECT value FROM json_each(?)) LIMIT 1`,
    )
    .get(baseSeq, JSON.stringify(sources));
  if (clash) {
    throw new StoreError(
      file,
      `scan ${clash.id} of ${clash.source} completed after scan ${scanId} began; abort this scan and run it again`,
    );
  }
}

function insertCoverage(
  db: Database.Database,
  scanId: number,
  coverage: readonly CoverageReport[],
  covered: ReadonlyMap<string, CoveredSource>,
): void {
  const source = db.prepare(
    `INSERT INTO scan_sources (scan_id, source_id, source, connector, platform, tenant, status, requests)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const collector = db.prepare(
    `INSERT INTO scan_collectors (scan_id, source, collector, status, reason, http_status, api, requests, items,
       started_at, finished_at, notes, mode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const c of coverage) {
    const key = `${c.platform}:${c.tenant}`;
    const status = c.collectors.some((k) => k.status === 'failed') ? 'incomplete' : c.status;
    source.run(scanId, covered.get(key)!.id, key, c.connector, c.platform, c.tenant, status, c.requests ?? 0);
    for (const k of c.collectors) {
      collector.run(
        scanId,
        key,
        k.collector,
        k.status,
        k.reason ?? null,
        k.httpStatus ?? null,
        k.api ?? null,
        k.requests ?? 0,
        k.items ?? 0,
        k.startedAt ?? null,
        k.finishedAt ?? null,
        JSON.stringify(k.notes ?? []),
        k.incremental ? 'incremental' : 'full',
      );
    }
  }
}

/**
 * Keeps what connectors want from this scan in the next one (delta links, read times), in the scan's
 * transaction: a scan that fails or is aborted never advances a delta link past data it did not store.
 * A null value forgets the key.
 */
function writeConnectorState(
  db: Database.Database,
  file: string,
  scanId: number,
  state: readonly ConnectorStateWrite[],
  covered: ReadonlyMap<string, CoveredSource>,
): void {
  if (state.length === 0) return;
  const upsert = db.prepare(
    `INSERT INTO connector_state (source_id, key, value, scan_id) VALUES (?, ?, ?, ?)
     ON CONFLICT (source_id, key) DO UPDATE SET value = excluded.value, scan_id = excluded.scan_id`,
  );
  const forget = db.prepare('DELETE FROM connector_state WHERE source_id = ? AND key = ?');
  for (const w of state) {
    const source = covered.get(w.source);
    if (!source) throw new StoreError(file, `connector state for ${w.source}, which has no coverage report`);
    if (w.value === null) forget.run(source.id, w.key);
    else upsert.run(source.id, w.key, w.value, scanId);
  }
}

function markCommitted(
  db: Database.Database,
  scanId: number,
  status: 'complete' | 'incomplete',
  finishedAt: string,
  counts: ScanCounts,
): void {
  db.prepare(
    `UPDATE scans SET status = ?, finished_at = ?, commit_seq = (SELECT coalesce(max(commit_seq), 0) + 1 FROM scans),
       identities = ?, grants = ?, credentials = ?, records_written = ?, versions_added = ?, versions_closed = ?
     WHERE id = ?`,
  ).run(
    status,
    finishedAt,
    counts.open.identity,
    counts.open.grant,
    counts.open.credential,
    counts.recordsWritten,
    counts.versionsAdded,
    counts.versionsClosed,
    scanId,
  );
}
