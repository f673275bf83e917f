import { contentHash, type ModelRecord, recordKey, sourceKey } from '../model/index.js';
import type { RecordChange } from '../store/store.js';
import type { SourceCoverage } from './coverage-gate.js';

interface Keyed {
  type: ModelRecord['type'];
  source: string;
  key: string;
  record: ModelRecord;
}

function keyed(records: readonly ModelRecord[]): Map<string, Keyed> {
  const out = new Map<string, Keyed>();
  for (const record of records) {
    const source = sourceKey(record);
    const key = recordKey(record);
    // A later record with the same key replaces an earlier one, as a re-written record would in a scan.
    out.set(`${record.type}\u0000${source}\u0000${key}`, { type: record.type, source, key, record });
  }
  return out;
}

function compareChanges(a: RecordChange, b: RecordChange): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * The changes between two in-memory record sets, as `SnapshotStore.changesBetween` would yield them:
 * records paired by source, type and record key, compared by content hash, ordered by type, source, key.
 */
export function changesFromRecords(a: readonly ModelRecord[], b: readonly ModelRecord[]): RecordChange[] {
  const before = keyed(a);
  const after = keyed(b);
  const changes: RecordChange[] = [];
  for (const [id, x] of before) {
    const y = after.get(id);
    if (!y) changes.push({ type: x.type, source: x.source, key: x.key, before: x.record, after: null });
    else if (contentHash(x.record) !== contentHash(y.record)) {
      changes.push({ type: x.type, source: x.source, key: x.key, before: x.record, after: y.record });
    }
  }
  for (const [id, y] of after) {
    if (!before.has(id))
      changes.push({ type: y.type, source: y.source, key: y.key, before: null, after: y.record });
  }
  return changes.sort(compareChanges);
}

/**
 * Coverage in which every collector that produced one of `records` completed: for in-memory diffs
 * where all the records are known to be the full truth.
 */
export function completeCoverage(...recordSets: ReadonlyArray<readonly ModelRecord[]>): SourceCoverage[] {
  const bySource = new Map<string, Set<string>>();
  for (const records of recordSets) {
    for (const r of records) {
      const s = sourceKey(r);
      let set = bySource.get(s);
      if (!set) {
        set = new Set();
        bySource.set(s, set);
      }
      set.add(r.collector);
    }
  }
  return [...bySource].map(([source, collectors]) => ({
    source,
    collectors: [...collectors].map((collector) => ({ collector, status: 'complete' as const })),
  }));
}
