import type Database from 'better-sqlite3';
import { type CoverageReport, isAuthoritative } from '../../connector/coverage.js';
import { StoreError } from '../../errors.js';
import type { ScanRecordType } from '../../model/index.js';
import { jsonContentHash, keyDigest } from './canonical-record.js';
import { IdSet } from './id-set.js';
import type { PreparedRecord } from './prepared-record.js';
import { RECORD_TABLES, type RecordTable } from './record-tables.js';

type OpenRow = [id: number, validFrom: number, hash: string];

/** `cache_size` while ended versions are closed: 2 MiB (see `closeEnded`). */
const CLOSE_CACHE_SIZE = -2048;

/** Per record type: statements and what this scan did to the versions table. */
interface TableState {
  spec: RecordTable;
  lookup: Database.Statement;
  closedHere: Database.Statement;
  insert: Database.Statement;
  update: Database.Statement;
  close: Database.Statement;
  reopen: Database.Statement;
  remove: Database.Statement;
  /** Versions of earlier scans written again (unchanged or changed). */
  seen: IdSet;
  /** Per source id: earlier versions written again unchanged (still open). */
  keptOpen: Map<number, number>;
  /** Per source id: versions this scan opened. */
  opened: Map<number, number>;
  /** Per source id: earlier versions this scan closed because their record changed. */
  closedChanged: Map<number, number>;
}

const bump = (m: Map<number, number>, k: number, by: number) => m.set(k, (m.get(k) ?? 0) + by);

export interface ScanCounts {
  recordsWritten: number;
  versionsAdded: number;
  versionsClosed: number;
  /** Open (current) versions of the scan's sources after it. */
  open: Record<ScanRecordType, number>;
}

/**
 * The write path of one scan: one IMMEDIATE transaction on a connection of its own, from the first
 * write to `commit()`. Until it commits, no other connection sees any of it; if the process dies,
 * SQLite rolls it back. Pages are written once, at spill or commit, however the records arrive.
 *
 * Each record is compared with its open version (one covering-index lookup): unchanged → nothing is
 * written (its id is remembered, one bit); changed → the old version is closed at this scan and the
 * new one inserted; new key → inserted. A record written twice in one scan: the last write wins.
 */
export class ScanTransaction {
  private readonly tables: TableState[];
  private readonly sourceIds = new Map<string, number>();
  private readonly insertSource: Database.Statement;
  private readonly selectSource: Database.Statement;
  private open = false;
  recordsWritten = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    readonly scanId: number,
  ) {
    this.insertSource = db.prepare(
      'INSERT INTO sources (source, platform, tenant) VALUES (?, ?, ?) ON CONFLICT (source) DO NOTHING',
    );
    this.selectSource = db.prepare('SELECT id FROM sources WHERE source = ?').pluck();
    this.tables = RECORD_TABLES.map((spec) => {
      const t = spec.table;
      return {
        spec,
        lookup: db
          .prepare(
            `SELECT id, valid_from, hash FROM ${t} INDEXED BY ${t}_open
             WHERE source_id = ? AND identity_key = ? AND key_digest = ? AND valid_to IS NULL`,
          )
          .raw(true),
        closedHere: db
          .prepare(
            `SELECT id, hash FROM ${t} INDEXED BY ${t}_closed WHERE source_id = ? AND valid_to = ? AND key_digest = ?`,
          )
          .raw(true),
        insert: db.prepare(
          `INSERT INTO ${t} (source_id, identity_key, key_digest, hash, valid_from, record) VALUES (?, ?, ?, ?, ?, ?)`,
        ),
        update: db.prepare(`UPDATE ${t} SET hash = ?, record = ? WHERE id = ?`),
        close: db.prepare(`UPDATE ${t} SET valid_to = ? WHERE id = ?`),
        reopen: db.prepare(`UPDATE ${t} SET valid_to = NULL WHERE id = ?`),
        remove: db.prepare(`DELETE FROM ${t} WHERE id = ?`),
        seen: new IdSet(),
        keptOpen: new Map(),
        opened: new Map(),
        closedChanged: new Map(),
      };
    });
  }

  /** Source keys written so far. */
  get sources(): ReadonlyMap<string, number> {
    return this.sourceIds;
  }

  write(batch: readonly PreparedRecord[]): void {
    this.begin();
    for (const rec of batch) this.writeOne(rec);
  }

  /**
   * Closes what the scan ended, lets `finish` record coverage and the scan row (on this connection,
   * inside the transaction) and commits. If anything throws, the transaction stays open: the caller
   * may retry or roll back.
   */
  commit(
    coverage: readonly CoverageReport[],
    finish: (covered: ReadonlyMap<string, CoveredSource>, counts: ScanCounts) => void,
  ): void {
    this.begin();
    this.db.prepare('SAVEPOINT complete_scan').run();
    try {
      const covered = coveredSources(this.db, coverage);
      finish(covered, this.closeEnded(covered));
      this.db.prepare('RELEASE complete_scan').run();
    } catch (err) {
      // Undo only the completion work; what the scan wrote stays for a retry.
      this.db.prepare('ROLLBACK TO complete_scan').run();
      this.db.prepare('RELEASE complete_scan').run();
      throw err;
    }
    this.db.prepare('COMMIT').run();
    this.open = false;
  }

  rollback(): void {
    if (!this.open) return;
    this.open = false;
    if (this.db.inTransaction) this.db.prepare('ROLLBACK').run();
  }

  private begin(): void {
    if (this.open) return;
    this.db.prepare('BEGIN IMMEDIATE').run();
    this.open = true;
  }

  private sourceId(source: string): number {
    let id = this.sourceIds.get(source);
    if (id === undefined) {
      const colon = source.indexOf(':');
      this.insertSource.run(source, source.slice(0, colon), source.slice(colon + 1));
      id = this.selectSource.get(source) as number;
      this.sourceIds.set(source, id);
    }
    return id;
  }

  private writeOne(rec: PreparedRecord): void {
    const t = this.tables[rec.table]!;
    const sourceId = this.sourceId(rec.source);
    const scan = this.scanId;
    const digest = keyDigest(rec.key);
    const hash = jsonContentHash(rec.json);
    let earlier: OpenRow | undefined;
    let own: OpenRow | undefined;
    for (const row of t.lookup.all(sourceId, rec.identityKey, digest) as OpenRow[]) {
      if (row[1] === scan) own = row;
      else if (row[1] < scan) earlier = row;
      else {
        throw new StoreError(
          this.file,
          `scan ${row[1]} of ${rec.source} completed after scan ${scan} began; abort this scan and run it again`,
        );
      }
    }
    this.recordsWritten++;
    if (earlier) {
      const firstWrite = t.seen.add(earlier[0]);
      if (earlier[2] === hash) {
        if (firstWrite) bump(t.keptOpen, sourceId, 1);
        return;
      }
      // Written unchanged before in this scan, changed now: the last write wins.
      if (!firstWrite) bump(t.keptOpen, sourceId, -1);
      t.close.run(scan, earlier[0]);
      bump(t.closedChanged, sourceId, 1);
    } else if (own) {
      // Written before in this scan: the last write wins.
      if (own[2] === hash) return;
      const replaced = t.closedHere.get(sourceId, scan, digest) as [number, string] | undefined;
      if (replaced && replaced[1] === hash) {
        // Back to the earlier scan's content: reopen that version instead of keeping a copy.
        t.remove.run(own[0]);
        t.reopen.run(replaced[0]);
        bump(t.opened, sourceId, -1);
        bump(t.closedChanged, sourceId, -1);
        bump(t.keptOpen, sourceId, 1);
        return;
      }
      t.update.run(hash, rec.json, own[0]);
      return;
    }
    t.insert.run(sourceId, rec.identityKey, digest, hash, scan, rec.json);
    bump(t.opened, sourceId, 1);
  }

  /**
   * Open versions of earlier scans that this scan did not write are closed, but only those whose
   * collector is authoritative in this scan (complete / skipped, read in full); the rest are carried
   * over. Of an incremental collector's records, only those it named as removed are closed.
   */
  private closeEnded(covered: ReadonlyMap<string, CoveredSource>): ScanCounts {
    // Closing may read every open version of the scan's sources once, in order (the collector of each
    // unseen one), as a streaming reader does. The connection's large page cache serves the scan's
    // writes; read through it, each page costs a fresh allocation (reader-pool.ts): 290 ms instead of
    // 100 ms for the 23,000 records of an unchanged Entra rescan. So the cache is small meanwhile.
    const cacheSize = this.db.pragma('cache_size', { simple: true }) as number;
    this.db.pragma(`cache_size = ${CLOSE_CACHE_SIZE}`);
    try {
      return this.closeEndedWith(covered);
    } finally {
      this.db.pragma(`cache_size = ${cacheSize}`);
    }
  }

  private closeEndedWith(covered: ReadonlyMap<string, CoveredSource>): ScanCounts {
    const counts: ScanCounts = {
      recordsWritten: this.recordsWritten,
      versionsAdded: 0,
      versionsClosed: 0,
      open: { identity: 0, grant: 0, credential: 0, person: 0 },
    };
    for (const t of this.tables) {
      const table = t.spec.table;
      const earlierOpen = this.db
        .prepare(
          `SELECT count(*) FROM ${table} INDEXED BY ${table}_open WHERE source_id = ? AND valid_to IS NULL AND valid_from < ?`,
        )
        .pluck();
      for (const s of covered.values()) {
        const stillOpen = earlierOpen.get(s.id, this.scanId) as number;
        const opened = t.opened.get(s.id) ?? 0;
        let closed = 0;
        // Every open version was written again (the nightly case): nothing can be missing.
        if (s.authoritative.length > 0 && stillOpen !== (t.keptOpen.get(s.id) ?? 0)) {
          closed = this.closeUnseen(t, s);
        }
        if (s.removed.length > 0) closed += this.closeRemoved(t, s);
        counts.open[t.spec.type] += stillOpen - closed + opened;
        counts.versionsAdded += opened;
        counts.versionsClosed += closed + (t.closedChanged.get(s.id) ?? 0);
      }
    }
    return counts;
  }

  private closeUnseen(t: TableState, source: CoveredSource): number {
    const table = t.spec.table;
    const unseen: number[] = [];
    const openIds = this.db
      .prepare(
        `SELECT id FROM ${table} INDEXED BY ${table}_open WHERE source_id = ? AND valid_to IS NULL AND valid_from < ?`,
      )
      .pluck();
    for (const id of openIds.iterate(source.id, this.scanId) as Iterable<number>)
      if (!t.seen.has(id)) unseen.push(id);
    if (unseen.length === 0) return 0;
    // One statement for all of them: on a rescan whose incremental collectors kept their records (tens
    // of thousands of grants unseen, of collectors not authoritative here), a statement per version
    // cost more than reading each version's collector.
    return this.db
      .prepare(
        `UPDATE ${table} SET valid_to = ?
         WHERE id IN (SELECT value FROM json_each(?))
           AND json_extract(record, '$.collector') IN (SELECT value FROM json_each(?))`,
      )
      .run(this.scanId, JSON.stringify(unseen), JSON.stringify(source.authoritative)).changes;
  }

  /**
   * Records an incremental collector named as removed: open versions of earlier scans, not written
   * again by this scan, whose key is one of `removed` and whose collector is that collector.
   */
  private closeRemoved(t: TableState, source: CoveredSource): number {
    const table = t.spec.table;
    const byDigest = new Map<string, string>();
    for (const r of source.removed) {
      for (const key of r.keys) byDigest.set(keyDigest(key).toString('hex'), r.collector);
    }
    const openRows = this.db
      .prepare(
        `SELECT id, key_digest FROM ${table} INDEXED BY ${table}_open WHERE source_id = ? AND valid_to IS NULL AND valid_from < ?`,
      )
      .raw(true);
    const candidates: Array<[number, string]> = [];
    for (const [id, digest] of openRows.iterate(source.id, this.scanId) as Iterable<[number, Buffer]>) {
      const collector = byDigest.get(digest.toString('hex'));
      if (collector !== undefined && !t.seen.has(id)) candidates.push([id, collector]);
    }
    const close = this.db.prepare(
      `UPDATE ${table} SET valid_to = ? WHERE id = ? AND json_extract(record, '$.collector') = ?`,
    );
    let closed = 0;
    for (const [id, collector] of candidates) closed += close.run(this.scanId, id, collector).changes;
    return closed;
  }
}

/**
 * A source of the scan: its id in `sources`, the collectors whose absences count as removals, and
 * the record keys that incremental collectors named as removed.
 */
export interface CoveredSource {
  id: number;
  authoritative: string[];
  removed: Array<{ collector: string; keys: string[] }>;
}

/** Registers the scan's sources in `sources` and returns their ids and authoritative collectors. */
export function coveredSources(
  db: Database.Database,
  coverage: readonly CoverageReport[],
): Map<string, CoveredSource> {
  const insert = db.prepare(
    'INSERT INTO sources (source, platform, tenant) VALUES (?, ?, ?) ON CONFLICT (source) DO NOTHING',
  );
  const idOf = db.prepare('SELECT id FROM sources WHERE source = ?').pluck();
  const out = new Map<string, CoveredSource>();
  for (const c of coverage) {
    const source = `${c.platform}:${c.tenant}`;
    insert.run(source, c.platform, c.tenant);
    // An incremental collector's silence is not a removal: only the keys it names are closed, and
    // only when it finished (a failed one carries everything over).
    const finished = c.collectors.filter((k) => isAuthoritative(k.status));
    out.set(source, {
      id: idOf.get(source) as number,
      authoritative: finished.filter((k) => !k.incremental).map((k) => k.collector),
      removed: finished
        .filter((k) => k.incremental && k.incremental.removed.length > 0)
        .map((k) => ({ collector: k.collector, keys: k.incremental!.removed })),
    });
  }
  return out;
}
