import type Database from 'better-sqlite3';
import {
  type Credential,
  type Grant,
  type Identity,
  type ModelRecord,
  recordKey,
} from '../../model/index.js';
import type { IdentityBundle, SnapshotFilter, SnapshotReadFilter } from '../store.js';
import { BUNDLE_TABLES, kindFilterSql, RECORD_TABLES } from './record-tables.js';

export interface SourceRef {
  sourceId: number;
  source: string;
  platform: string;
  tenant: string;
}

/** The sources a scan included, narrowed by a filter, in snapshot order. */
export function scanSources(db: Database.Database, scanId: number, filter: SnapshotFilter = {}): SourceRef[] {
  return db
    .prepare<[number], SourceRef>(
      'SELECT source_id AS sourceId, source, platform, tenant FROM scan_sources WHERE scan_id = ? ORDER BY source',
    )
    .all(scanId)
    .filter(
      (s) =>
        (filter.platform === undefined || s.platform === filter.platform) &&
        (filter.tenant === undefined || s.tenant === filter.tenant),
    );
}

/**
 * One query per source: the three versions tables merged in identity-key order. The newest scan of a
 * source reads open versions through the `_open` index, which is in that order, so SQLite merges
 * the three without sorting. An older scan's versions are found through the `_added` index and
 * sorted by identity (ids only; records are fetched one by one).
 */
function snapshotSql(
  latest: boolean,
  kinds: boolean,
  types: SnapshotReadFilter['types'],
  collectors: boolean,
): string {
  const arms = BUNDLE_TABLES.filter((t) => types === undefined || (types as string[]).includes(t.type)).map(
    (t) => {
      // Filtered in SQLite: the records of other collectors are never converted or parsed here.
      const kind =
        (kinds ? ` AND ${kindFilterSql(t)}` : '') +
        (collectors
          ? ` AND json_extract(record, '$.collector') IN (SELECT value FROM json_each(:collectors))`
          : '');
      return latest
        ? `SELECT ${t.order} AS t, identity_key, record FROM ${t.table} INDEXED BY ${t.table}_open
         WHERE source_id = :source AND valid_to IS NULL${kind}`
        : `SELECT ${t.order} AS t, identity_key, id FROM ${t.table} INDEXED BY ${t.table}_added
         WHERE source_id = :source AND valid_from <= :scan AND (valid_to IS NULL OR valid_to > :scan)${kind}`;
    },
  );
  return `${arms.join('\nUNION ALL\n')}\nORDER BY identity_key`;
}

interface SnapshotRow {
  t: number;
  identity_key: string;
  /** Latest scan: the record. */
  record?: string;
  /** Older scan: the version id. */
  id?: number;
}

interface Keyed<R> {
  key: string;
  record: R;
}

const byKey = (a: Keyed<unknown>, b: Keyed<unknown>) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Streams identity bundles of scan `scanId`. Holds one bundle in memory at a time. */
export function* snapshotBundles(
  db: Database.Database,
  scanId: number,
  filter: SnapshotReadFilter = {},
): Generator<IdentityBundle> {
  if (filter.types?.length === 0) return;
  const newest = db
    .prepare<[number], number>('SELECT max(scan_id) FROM scan_sources WHERE source_id = ?')
    .pluck();
  const kinds = filter.kinds ? JSON.stringify(filter.kinds) : null;
  const collectors = filter.collectors ? JSON.stringify(filter.collectors) : null;
  const recordById = RECORD_TABLES.map((t) =>
    db.prepare(`SELECT record FROM ${t.table} WHERE id = ?`).pluck(),
  );
  for (const { sourceId, source } of scanSources(db, scanId, filter)) {
    const latest = newest.get(sourceId) === scanId;
    const stmt = db.prepare<Record<string, unknown>, SnapshotRow>(
      snapshotSql(latest, kinds !== null, filter.types, collectors !== null),
    );
    const recordOf = (row: SnapshotRow): string => row.record ?? (recordById[row.t]!.get(row.id!) as string);
    const params: Record<string, unknown> = { source: sourceId };
    if (!latest) params.scan = scanId;
    if (kinds !== null) params.kinds = kinds;
    if (collectors !== null) params.collectors = collectors;
    let current: string | null = null;
    let identity: Identity | null = null;
    let grants: Keyed<Grant>[] = [];
    let credentials: Keyed<Credential>[] = [];
    // Within an identity, rows come in index order; grants and credentials are sorted by key.
    const bundle = (): IdentityBundle => ({
      source,
      identityKey: current!,
      identity,
      grants: grants.sort(byKey).map((g) => g.record),
      credentials: credentials.sort(byKey).map((c) => c.record),
    });
    for (const row of stmt.iterate(params)) {
      if (row.identity_key !== current) {
        if (current !== null) yield bundle();
        current = row.identity_key;
        identity = null;
        grants = [];
        credentials = [];
      }
      const record = JSON.parse(recordOf(row)) as ModelRecord;
      if (record.type === 'identity') identity = record;
      else if (record.type === 'grant') grants.push({ key: recordKey(record), record });
      else credentials.push({ key: recordKey(record), record });
    }
    if (current !== null) yield bundle();
  }
}
