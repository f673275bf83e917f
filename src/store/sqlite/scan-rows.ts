import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import type { CollectorCoverage } from '../../connector/coverage.js';
import type { ScanSource, ScanStatus, ScanSummary } from '../store.js';

export interface ScanRow {
  id: number;
  started_at: string;
  finished_at: string | null;
  status: ScanStatus;
  label: string | null;
  tool_version: string;
  failure: string | null;
  writer_pid: number | null;
  writer_host: string | null;
  identities: number;
  grants: number;
  credentials: number;
  governance_hash: string | null;
}

interface SourceRow {
  scan_id: number;
  source: string;
  connector: string;
  platform: string;
  tenant: string;
  status: 'complete' | 'incomplete';
  requests: number;
}

interface CollectorRow {
  scan_id: number;
  source: string;
  collector: string;
  status: CollectorCoverage['status'];
  reason: string | null;
  http_status: number | null;
  api: string | null;
  requests: number;
  items: number;
  started_at: string | null;
  finished_at: string | null;
  notes: string;
}

/** Whether the process that wrote a `running` scan is gone (so the scan can never complete). */
export function writerIsGone(row: Pick<ScanRow, 'writer_pid' | 'writer_host'>): boolean {
  if (row.writer_pid == null || row.writer_host !== hostname()) return false;
  if (row.writer_pid === process.pid) return false;
  try {
    process.kill(row.writer_pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A `running` scan whose writer died is reported as failed even before the next open marks it so. */
export function effectiveStatus(row: ScanRow): ScanStatus {
  return row.status === 'running' && writerIsGone(row) ? 'failed' : row.status;
}

const SCAN_COLUMNS =
  'id, started_at, finished_at, status, label, tool_version, failure, writer_pid, writer_host, identities, grants, credentials, governance_hash';

/** Reads scans with their sources and collectors. */
export class ScanRows {
  private readonly byId: Database.Statement<[number], ScanRow>;
  private readonly sources: Database.Statement<[number], SourceRow>;
  private readonly collectors: Database.Statement<[number], CollectorRow>;

  constructor(private readonly db: Database.Database) {
    this.byId = db.prepare(`SELECT ${SCAN_COLUMNS} FROM scans WHERE id = ?`);
    this.sources = db.prepare('SELECT * FROM scan_sources WHERE scan_id = ? ORDER BY source');
    this.collectors = db.prepare(
      'SELECT * FROM scan_collectors WHERE scan_id = ? ORDER BY source, collector',
    );
  }

  row(id: number): ScanRow | undefined {
    return this.byId.get(id);
  }

  summary(id: number): ScanSummary | null {
    const row = this.byId.get(id);
    return row ? this.toSummary(row) : null;
  }

  /** Newest first. Statuses are effective ones (a dead writer's `running` scan is `failed`). */
  list(options: { limit?: number; status?: readonly ScanStatus[]; before?: number } = {}): ScanSummary[] {
    const wanted = options.status ? new Set(options.status) : null;
    // Stored `running` rows may be effectively failed, so filter statuses in JS.
    const stored = wanted ? [...wanted].concat(wanted.has('failed') ? ['running'] : []) : null;
    const where: string[] = [];
    const params: unknown[] = [];
    if (stored) {
      where.push(`status IN (${stored.map(() => '?').join(', ')})`);
      params.push(...stored);
    }
    if (options.before != null) {
      where.push('id < ?');
      params.push(options.before);
    }
    const sql = `SELECT ${SCAN_COLUMNS} FROM scans ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC`;
    const out: ScanSummary[] = [];
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return out;
    for (const row of this.db.prepare<unknown[], ScanRow>(sql).all(...params)) {
      const summary = this.toSummary(row);
      if (wanted && !wanted.has(summary.status)) continue;
      out.push(summary);
      if (out.length >= limit) break;
    }
    return out;
  }

  private toSummary(row: ScanRow): ScanSummary {
    const collectors = this.collectors.all(row.id);
    const sources: ScanSource[] = this.sources.all(row.id).map((s) => ({
      source: s.source,
      connector: s.connector,
      platform: s.platform,
      tenant: s.tenant,
      status: s.status,
      requests: s.requests,
      collectors: collectors
        .filter((c) => c.source === s.source)
        .map((c) => ({
          collector: c.collector,
          status: c.status,
          reason: c.reason,
          httpStatus: c.http_status,
          api: c.api,
          requests: c.requests,
          items: c.items,
          startedAt: c.started_at,
          finishedAt: c.finished_at,
          notes: JSON.parse(c.notes) as string[],
        })),
    }));
    return {
      id: row.id,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      status: effectiveStatus(row),
      label: row.label,
      toolVersion: row.tool_version,
      governanceHash: row.governance_hash,
      sources,
      counts: { identities: row.identities, grants: row.grants, credentials: row.credentials },
    };
  }
}
