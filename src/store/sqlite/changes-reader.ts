import type Database from 'better-sqlite3';
import type { ModelRecord } from '../../model/index.js';
import type { RecordChange, SnapshotFilter } from '../store.js';
import { BUNDLE_TABLES, kindFilterSql, type RecordTable } from './record-tables.js';
import { scanSources } from './snapshot-reader.js';

/**
 * Versions valid at exactly one of scans lo < hi, in key order, side 0 (valid at lo) before side 1
 * (valid at hi). Both arms read only versions closed or opened in (lo, hi], through the `_closed` /
 * `_added` indexes, so the cost follows the number of changes, not the snapshot size. A key has at
 * most one version per side, so pairing is a look at the next row. `key` comes from the readable
 * view (one definition of it in SQL).
 */
function sidesSql(t: RecordTable, kinds: boolean): string {
  const kind = kinds ? ` AND ${kindFilterSql(t, 'v.record')}` : '';
  return `
    SELECT r.key AS key, 0 AS side, v.id AS id, v.hash AS hash
    FROM ${t.table} AS v INDEXED BY ${t.table}_closed JOIN ${t.versionsView} AS r ON r.id = v.id
    WHERE v.source_id = :source AND v.valid_to > :lo AND v.valid_to <= :hi AND v.valid_from <= :lo${kind}
    UNION ALL
    SELECT r.key AS key, 1 AS side, v.id AS id, v.hash AS hash
    FROM ${t.table} AS v INDEXED BY ${t.table}_added JOIN ${t.versionsView} AS r ON r.id = v.id
    WHERE v.source_id = :source AND v.valid_from > :lo AND v.valid_from <= :hi
      AND (v.valid_to IS NULL OR v.valid_to > :hi)${kind}
    ORDER BY key, side`;
}

interface SideRow {
  key: string;
  side: 0 | 1;
  id: number;
  hash: string;
}

/** Pairs consecutive rows of one key: [lo version, hi version], either possibly absent. */
function* pairs(rows: Iterable<SideRow>): Generator<[SideRow | null, SideRow | null]> {
  let pending: SideRow | null = null;
  for (const row of rows) {
    if (pending && row.side === 1 && row.key === pending.key) {
      // Removed and later re-added with the same content: valid at both scans, so not a change.
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
export function* changedRecords(
  db: Database.Database,
  a: number,
  b: number,
  filter: SnapshotFilter = {},
): Generator<RecordChange> {
  if (a === b) return;
  const [lo, hi] = a < b ? [a, b] : [b, a];
  // Only sources both scans looked at: a source missing from one of them has no baseline to compare.
  const atHi = new Set(scanSources(db, hi, filter).map((s) => s.sourceId));
  const sources = scanSources(db, lo, filter).filter((s) => atHi.has(s.sourceId));
  const kinds = filter.kinds ? JSON.stringify(filter.kinds) : null;
  for (const t of BUNDLE_TABLES) {
    const sides = db.prepare<Record<string, unknown>, SideRow>(sidesSql(t, kinds !== null));
    const recordById = db.prepare<[number], string>(`SELECT record FROM ${t.table} WHERE id = ?`).pluck();
    const load = (id: number | null): ModelRecord | null =>
      id === null ? null : (JSON.parse(recordById.get(id)!) as ModelRecord);
    for (const { sourceId, source } of sources) {
      const params: Record<string, unknown> = { source: sourceId, lo, hi };
      if (kinds !== null) params.kinds = kinds;
      for (const [atLo, atHi] of pairs(sides.iterate(params))) {
        const [before, after] = a < b ? [atLo, atHi] : [atHi, atLo];
        const key = (atLo ?? atHi)!.key;
        yield {
          type: t.type as RecordChange['type'],
          source,
          key,
          before: load(before?.id ?? null),
          after: load(after?.id ?? null),
        };
      }
    }
  }
}
