import type pg from 'pg';
import Cursor from 'pg-cursor';
import {
  type Credential,
  type Grant,
  type Identity,
  type ModelRecord,
  type Person,
  recordKey,
} from '../../model/index.js';
import { BUNDLE_TABLES, RECORD_TABLES, type RecordTable } from '../sqlite/record-tables.js';
import type {
  IdentityBundle,
  PeopleDirectoryStatus,
  RecordChange,
  ScanSummary,
  SnapshotFilter,
  SnapshotReadFilter,
  SourceScan,
  SourceScanQuery,
} from '../store.js';
import { scanSummary } from './scan-rows.js';

/**
 * Rows fetched per round trip: memory stays flat however large the snapshot. About 250 KB of records:
 * a batch of 2,000 outlived the young generation while it was parsed and was promoted, so garbage piled
 * up in the old one (peak RSS 343 → 209 MiB reading 300k grants after a diff; bench/store.bench.ts).
 */
const CURSOR_ROWS = 200;

/** Streams a query's rows through a server-side cursor. */
export async function* cursorRows<T>(
  client: pg.PoolClient,
  sql: string,
  params: unknown[],
): AsyncGenerator<T> {
  const cursor = client.query(new Cursor<T>(sql, params));
  try {
    while (true) {
      const rows = await cursor.read(CURSOR_ROWS);
      if (rows.length === 0) return;
      yield* rows;
    }
  } finally {
    await cursor.close();
  }
}

export interface SourceRef {
  sourceId: number;
  source: string;
  platform: string;
  tenant: string;
}

/** The sources a scan included, narrowed by a filter, in snapshot order (byte order, as SQLite sorts). */
export async function scanSources(
  client: pg.PoolClient,
  scanId: number,
  filter: SnapshotFilter = {},
): Promise<SourceRef[]> {
  const r = await client.query<{ source_id: string; source: string; platform: string; tenant: string }>(
    'SELECT source_id, source, platform, tenant FROM scan_sources WHERE scan_id = $1 ORDER BY source COLLATE "C"',
    [scanId],
  );
  return r.rows
    .map((s) => ({ sourceId: Number(s.source_id), source: s.source, platform: s.platform, tenant: s.tenant }))
    .filter(
      (s) =>
        (filter.platform === undefined || s.platform === filter.platform) &&
        (filter.tenant === undefined || s.tenant === filter.tenant),
    );
}

/** `#>>` path of `kindPath` ('$.identity.kind' → '{identity,kind}'). */
const kindPath = (t: RecordTable) => `{${t.kindPath.slice(2).split('.').join(',')}}`;
const AT_SCAN = 'source_id = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)';

/** Streams identity bundles of scan `scanId`, one source at a time, one bundle in memory. */
export async function* snapshotBundles(
  client: pg.PoolClient,
  scanId: number,
  filter: SnapshotReadFilter = {},
): AsyncGenerator<IdentityBundle> {
  if (filter.types?.length === 0) return;
  const tables = BUNDLE_TABLES.filter(
    (t) => filter.types === undefined || (filter.types as string[]).includes(t.type),
  );
  const kinds = filter.kinds ?? null;
  const collectors = filter.collectors ?? null;
  const collectorParam = kinds ? 4 : 3;
  const identitiesParam = collectorParam + (collectors ? 1 : 0);
  const sqlFor = (identities: boolean) =>
    `${tables
      .map(
        (t) =>
          `SELECT identity_key COLLATE "C" AS identity_key, record FROM ${t.table} WHERE ${AT_SCAN}${kinds ? ` AND (record::jsonb #>> '${kindPath(t)}') = ANY($3::text[])` : ''}${collectors ? ` AND (record::jsonb ->> 'collector') = ANY($${collectorParam}::text[])` : ''}${identities ? ` AND identity_key = ANY($${identitiesParam}::text[])` : ''}`,
      )
      .join('\nUNION ALL\n')}\nORDER BY identity_key`;
  for (const { sourceId, source } of await scanSources(client, scanId, filter)) {
    const only = filter.identities?.get(source);
    if (only?.length === 0) continue;
    const sql = sqlFor(only !== undefined);
    let current: string | null = null;
    let identity: Identity | null = null;
    let grants: Array<{ key: string; record: Grant }> = [];
    let credentials: Array<{ key: string; record: Credential }> = [];
    const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    const bundle = (): IdentityBundle => ({
      source,
      identityKey: current!,
      identity,
      grants: grants.sort(byKey).map((g) => g.record),
      credentials: credentials.sort(byKey).map((c) => c.record),
    });
    const params: unknown[] = [sourceId, scanId];
    if (kinds) params.push(kinds);
    if (collectors) params.push(collectors);
    if (only !== undefined) params.push([...only]);
    for await (const row of cursorRows<{ identity_key: string; record: string }>(client, sql, params)) {
      if (row.identity_key !== current) {
        if (current !== null) yield bundle();
        current = row.identity_key;
        identity = null;
        grants = [];
        credentials = [];
      }
      const record = JSON.parse(row.record) as ModelRecord;
      if (record.type === 'identity') identity = record;
      else if (record.type === 'grant') grants.push({ key: recordKey(record), record });
      else if (record.type === 'credential') credentials.push({ key: recordKey(record), record });
    }
    if (current !== null) yield bundle();
  }
}

interface SideRow {
  key: string;
  side: number;
  hash: string;
  record: string;
}

/** Pairs consecutive rows of one key: [lo version, hi version], either possibly absent (as SQLite's reader). */
async function* pairs(rows: AsyncIterable<SideRow>): AsyncGenerator<[SideRow | null, SideRow | null]> {
  let pending: SideRow | null = null;
  for await (const row of rows) {
    if (pending && row.side === 1 && row.key === pending.key) {
      if (row.hash !== pending.hash) yield [pending, row];
      pending = null;
      continue;
    }
    if (pending) yield [pending, null];
    pending = null;
    if (row.side === 0) pending = row;
    else yield [null, row];
  }
  if (pending) yield [pending, null];
}

/** Streams the changes between scans `a` and `b` (either order), by type, then source, then key. */
export async function* changedRecords(
  client: pg.PoolClient,
  a: number,
  b: number,
  filter: SnapshotFilter = {},
): AsyncGenerator<RecordChange> {
  if (a === b) return;
  const [lo, hi] = a < b ? [a, b] : [b, a];
  // Only sources both scans looked at: a source missing from one has no baseline to compare.
  const atHi = new Set((await scanSources(client, hi, filter)).map((s) => s.sourceId));
  const sources = (await scanSources(client, lo, filter)).filter((s) => atHi.has(s.sourceId));
  const kinds = filter.kinds ?? null;
  for (const t of BUNDLE_TABLES) {
    const kind = kinds ? ` AND (v.record::jsonb #>> '${kindPath(t)}') = ANY($4::text[])` : '';
    const sql = `
      SELECT r.key COLLATE "C" AS key, 0 AS side, v.hash, v.record FROM ${t.table} AS v JOIN ${t.versionsView} AS r ON r.id = v.id
      WHERE v.source_id = $1 AND v.valid_to > $2 AND v.valid_to <= $3 AND v.valid_from <= $2${kind}
      UNION ALL
      SELECT r.key COLLATE "C" AS key, 1 AS side, v.hash, v.record FROM ${t.table} AS v JOIN ${t.versionsView} AS r ON r.id = v.id
      WHERE v.source_id = $1 AND v.valid_from > $2 AND v.valid_from <= $3 AND (v.valid_to IS NULL OR v.valid_to > $3)${kind}
      ORDER BY key, side`;
    for (const { sourceId, source } of sources) {
      const params: unknown[] = [sourceId, lo, hi];
      if (kinds) params.push(kinds);
      for await (const [atLo, atHi] of pairs(cursorRows<SideRow>(client, sql, params))) {
        const [before, after] = a < b ? [atLo, atHi] : [atHi, atLo];
        yield {
          type: t.type as RecordChange['type'],
          source,
          key: (atLo ?? atHi)!.key,
          before: before ? (JSON.parse(before.record) as ModelRecord) : null,
          after: after ? (JSON.parse(after.record) as ModelRecord) : null,
        };
      }
    }
  }
}

/** As the SQLite reader: a source's people are complete when every collector that listed its directory completed. */
export async function peopleDirectories(
  client: pg.PoolClient,
  scanId: number,
  filter: SnapshotFilter = {},
): Promise<PeopleDirectoryStatus[]> {
  const out: PeopleDirectoryStatus[] = [];
  for (const { sourceId, source, platform, tenant } of await scanSources(client, scanId, filter)) {
    const listers = await client.query<{ collector: string; status: string | null }>(
      `SELECT p.collector, c.status FROM (
         SELECT DISTINCT record::jsonb ->> 'collector' AS collector FROM people
         WHERE ${AT_SCAN} AND record::jsonb ->> 'listing' = 'directory') AS p
       LEFT JOIN scan_collectors AS c ON c.scan_id = $2 AND c.source = $3 AND c.collector = p.collector`,
      [sourceId, scanId, source],
    );
    const total = await client.query<{ n: string }>(`SELECT count(*) AS n FROM people WHERE ${AT_SCAN}`, [
      sourceId,
      scanId,
    ]);
    const complete = listers.rows.length > 0 && listers.rows.every((r) => r.status === 'complete');
    out.push({ source, platform, tenant, complete, people: Number(total.rows[0]!.n) });
  }
  return out;
}

/** Streams the people of scan `scanId`, source by source. */
export async function* snapshotPeople(
  client: pg.PoolClient,
  scanId: number,
  filter: SnapshotFilter = {},
): AsyncGenerator<Person> {
  const people = RECORD_TABLES.find((t) => t.type === 'person')!;
  for (const { sourceId } of await scanSources(client, scanId, filter)) {
    for await (const row of cursorRows<{ record: string }>(
      client,
      `SELECT record FROM ${people.table} WHERE ${AT_SCAN} ORDER BY id`,
      [sourceId, scanId],
    )) {
      yield JSON.parse(row.record) as Person;
    }
  }
}

/**
 * `SnapshotStore.latestScanOfEachSource` in one grouped query over `scan_sources` (indexed by source,
 * scan): only committed scans, ordered by source in byte order as SQLite sorts.
 */
export async function latestScanOfEachSource(
  client: pg.PoolClient,
  query: SourceScanQuery,
): Promise<SourceScan[]> {
  const r = await client.query<{ source: string; platform: string; tenant: string; scan_id: string }>(
    `SELECT ss.source, ss.platform, ss.tenant, max(ss.scan_id) AS scan_id
     FROM scan_sources AS ss JOIN scans AS s ON s.id = ss.scan_id
     WHERE s.status IN ('complete', 'incomplete')
       AND ($1::bigint IS NULL OR ss.scan_id <= $1)
       AND ($2::text IS NULL OR ss.platform = $2)
       AND ($3::text IS NULL OR ss.tenant = $3)
     GROUP BY ss.source_id, ss.source, ss.platform, ss.tenant
     ORDER BY ss.source COLLATE "C"`,
    [query.atOrBefore ?? null, query.platform ?? null, query.tenant ?? null],
  );
  const scans = new Map<number, ScanSummary>();
  const out: SourceScan[] = [];
  for (const row of r.rows) {
    const id = Number(row.scan_id);
    let scan = scans.get(id);
    if (!scan) {
      scan = (await scanSummary(client, id))!;
      scans.set(id, scan);
    }
    out.push({ source: row.source, platform: row.platform, tenant: row.tenant, scan });
  }
  return out;
}
