import type pg from 'pg';
import type { CollectorCoverage } from '../../connector/coverage.js';
import { effectiveStatus, type ScanRow } from '../sqlite/scan-rows.js';
import type { ScanSource, ScanStatus, ScanSummary } from '../store.js';

const SCAN_COLUMNS =
  'id, started_at, finished_at, status, label, tool_version, failure, writer_pid, writer_host, identities, grants, credentials, governance_hash';

/** BIGINT columns arrive as strings from pg: scan ids and counts fit a JS number. */
function toScanRow(r: Record<string, unknown>): ScanRow {
  return {
    ...(r as unknown as ScanRow),
    id: Number(r.id),
    identities: Number(r.identities),
    grants: Number(r.grants),
    credentials: Number(r.credentials),
  };
}

export async function scanRow(client: pg.PoolClient | pg.Pool, id: number): Promise<ScanRow | undefined> {
  const r = await client.query(`SELECT ${SCAN_COLUMNS} FROM scans WHERE id = $1`, [id]);
  return r.rows[0] ? toScanRow(r.rows[0]) : undefined;
}

/** Newest first; statuses are effective ones (a dead writer's `running` scan is `failed`), as in SQLite. */
export async function listScans(
  client: pg.PoolClient | pg.Pool,
  options: { limit?: number; status?: readonly ScanStatus[]; before?: number } = {},
): Promise<ScanSummary[]> {
  const wanted = options.status ? new Set(options.status) : null;
  const stored = wanted ? [...wanted].concat(wanted.has('failed') ? ['running'] : []) : null;
  const where: string[] = [];
  const params: unknown[] = [];
  if (stored) {
    params.push(stored);
    where.push(`status = ANY($${params.length}::text[])`);
  }
  if (options.before != null) {
    params.push(options.before);
    where.push(`id < $${params.length}`);
  }
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const out: ScanSummary[] = [];
  if (limit <= 0) return out;
  const r = await client.query(
    `SELECT ${SCAN_COLUMNS} FROM scans ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC`,
    params,
  );
  for (const raw of r.rows) {
    const row = toScanRow(raw);
    if (wanted && !wanted.has(effectiveStatus(row))) continue;
    out.push(await toSummary(client, row));
    if (out.length >= limit) break;
  }
  return out;
}

export async function scanSummary(client: pg.PoolClient | pg.Pool, id: number): Promise<ScanSummary | null> {
  const row = await scanRow(client, id);
  return row ? toSummary(client, row) : null;
}

async function toSummary(client: pg.PoolClient | pg.Pool, row: ScanRow): Promise<ScanSummary> {
  const collectors = (
    await client.query(
      'SELECT * FROM scan_collectors WHERE scan_id = $1 ORDER BY source COLLATE "C", collector COLLATE "C"',
      [row.id],
    )
  ).rows;
  const sources = (
    await client.query('SELECT * FROM scan_sources WHERE scan_id = $1 ORDER BY source COLLATE "C"', [row.id])
  ).rows;
  const sourceList: ScanSource[] = sources.map((s) => ({
    source: s.source,
    connector: s.connector,
    platform: s.platform,
    tenant: s.tenant,
    status: s.status,
    requests: Number(s.requests),
    collectors: collectors
      .filter((c) => c.source === s.source)
      .map(
        (c): CollectorCoverage => ({
          collector: c.collector,
          status: c.status,
          reason: c.reason,
          httpStatus: c.http_status,
          api: c.api,
          requests: Number(c.requests),
          items: Number(c.items),
          startedAt: c.started_at,
          finishedAt: c.finished_at,
          notes: JSON.parse(c.notes) as string[],
        }),
      ),
  }));
  return {
    id: row.id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    status: effectiveStatus(row),
    label: row.label,
    toolVersion: row.tool_version,
    governanceHash: row.governance_hash,
    sources: sourceList,
    counts: { identities: row.identities, grants: row.grants, credentials: row.credentials },
  };
}
