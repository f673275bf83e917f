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
  record: string,
  identities = false,
): string {
  const arms = BUNDLE_TABLES.filter((t) => types === undefined || (types as string[]).includes(t.type)).map(
    (t) => {
      // Filtered in SQLite: the records of other collectors are never converted or parsed here.
      const kind =
        (kinds ? ` AND ${kindFilterSql(t)}` : '') +
        (collectors
          ? ` AND json_extract(record, '$.collector') IN (SELECT value FROM json_each(:collectors))`
          : '') +
        (identities ? ' AND identity_key IN (SELECT value FROM json_each(:identities))' : '');
      return latest
        ? `SELECT ${t.order} AS t, identity_key, ${record} FROM ${t.table} INDEXED BY ${t.table}_open
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

/**
 * What a snapshot read selects of each record: the whole record as `record`, or with `fields` the
 * JSON of each of those fields as `f0`, `f1`, … (NULL when the record lacks it), parsed from the stored
 * text by SQLite, so that the rest of the record is never turned into JavaScript values.
 */
interface RecordColumns {
  sql: string;
  parse(row: Record<string, unknown>): ModelRecord;
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function recordColumns(fields: readonly string[] | undefined): RecordColumns {
  if (fields === undefined)
    return { sql: 'record', parse: (row) => JSON.parse(row.record as string) as ModelRecord };
  const names = ['type', ...new Set(fields.filter((f) => f !== 'type'))];
  for (const f of names)
    if (!FIELD_NAME.test(f)) throw new TypeError(`not a record field name: ${JSON.stringify(f)}`);
  return {
    sql: names.map((f, i) => `record -> '$.${f}' AS f${i}`).join(', '),
    parse: (row) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) {
        const json = row[`f${i}`];
        if (typeof json === 'string') out[names[i]!] = JSON.parse(json);
      }
      return out as unknown as ModelRecord;
    },
  };
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
  const columns = recordColumns(filter.fields);
  const recordById = RECORD_TABLES.map((t) =>
    db.prepare<[number], Record<string, unknown>>(`SELECT ${columns.sql} FROM ${t.table} WHERE id = ?`),
  );
  // Projected records may lack what their key is made of: kept in row order then.
  const sorted = filter.fields === undefined;
  for (const { sourceId, source } of scanSources(db, scanId, filter)) {
    const only = filter.identities?.get(source);
    if (only?.length === 0) continue;
    const latest = newest.get(sourceId) === scanId;
    const stmt = db.prepare<Record<string, unknown>, SnapshotRow>(
      snapshotSql(latest, kinds !== null, filter.types, collectors !== null, columns.sql, only !== undefined),
    );
    const recordOf = (row: SnapshotRow): ModelRecord =>
      columns.parse(
        row.id === undefined ? (row as unknown as Record<string, unknown>) : recordById[row.t]!.get(row.id)!,
      );
    const params: Record<string, unknown> = { source: sourceId };
    if (!latest) params.scan = scanId;
    if (kinds !== null) params.kinds = kinds;
    if (collectors !== null) params.collectors = collectors;
    if (only !== undefined) params.identities = JSON.stringify(only);
    let current: string | null = null;
    let identity: Identity | null = null;
    let grants: Keyed<Grant>[] = [];
    let credentials: Keyed<Credential>[] = [];
    // Within an identity, rows come in index order; grants and credentials are sorted by key.
    const bundle = (): IdentityBundle => ({
      source,
      identityKey: current!,
      identity,
      grants: (sorted ? grants.sort(byKey) : grants).map((g) => g.record),
      credentials: (sorted ? credentials.sort(byKey) : credentials).map((c) => c.record),
    });
    for (const row of stmt.iterate(params)) {
      if (row.identity_key !== current) {
        if (current !== null) yield bundle();
        current = row.identity_key;
        identity = null;
        grants = [];
        credentials = [];
      }
      const record = recordOf(row);
      if (record.type === 'identity') identity = record;
      else if (record.type === 'grant') grants.push({ key: sorted ? recordKey(record) : '', record });
      else credentials.push({ key: sorted ? recordKey(record) : '', record });
    }
    if (current !== null) yield bundle();
  }
}
