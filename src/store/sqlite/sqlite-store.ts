import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { StoreError } from '../../errors.js';
import type { Finding, FindingDraft } from '../../findings/finding.js';
import type { Person } from '../../model/index.js';
import { SCAN_STALE_MS, staleScanFailure, startHeartbeat } from '../scan-heartbeat.js';
import type {
  BeginScanOptions,
  CarriedProjection,
  ConnectorStateValue,
  FindingsReadFilter,
  FindingsRecorded,
  FindingsRecording,
  FindingsTrendPoint,
  IdentityBundle,
  PeopleDirectoryStatus,
  RecordChange,
  RecordFindingsOptions,
  ReviewInput,
  ReviewSubject,
  ScanStatus,
  ScanSummary,
  ScanWriter,
  SnapshotFilter,
  SnapshotReadFilter,
  SnapshotStore,
  SourceScan,
  SourceScanQuery,
  StoredReview,
  StoredTicket,
  TicketSyncRecord,
} from '../store.js';
import { changedRecords } from './changes-reader.js';
import { type FindingHistory, FindingsTable } from './findings-table.js';
import { latestScanOfEachSource } from './latest-scan-of-each-source.js';
import { peopleDirectories, snapshotPeople } from './people-reader.js';
import type { ReaderPool } from './reader-pool.js';
import { ReviewsTable } from './reviews-table.js';
import { effectiveStatus, ScanRows, writerIsGone } from './scan-rows.js';
import type { ScanSink } from './scan-sink.js';
import { SqliteScanWriter } from './scan-writer.js';
import { snapshotBundles } from './snapshot-reader.js';
import { guard, toStoreError } from './sqlite-errors.js';
import { TicketsTable } from './tickets-table.js';

interface RunningScanRow {
  id: number;
  writer_pid: number | null;
  writer_host: string | null;
  heartbeat_at: string | null;
}

const COMMITTED: readonly ScanStatus[] = ['complete', 'incomplete'];

/** SnapshotStore over one SQLite file: a write connection plus pooled read connections for streams. */
export class SqliteSnapshotStore implements SnapshotStore {
  private readonly scans: ScanRows;
  private readonly findings: FindingsTable;
  private closed = false;
  /** Scans whose connection is still open (a worker may be checkpointing after `complete()`). */
  private readonly sinks = new Set<ScanSink>();
  /** Scans neither completed nor aborted yet. */
  private readonly running = new Set<SqliteScanWriter>();

  constructor(
    private readonly db: Database.Database,
    private readonly readers: ReaderPool,
    readonly location: string,
    /** Opens the transaction a scan writes through (in a worker thread when available). */
    private readonly openScanSink: (scanId: number) => ScanSink,
    private readonly now: () => Date = () => new Date(),
    private readonly options: { readOnly?: boolean } = {},
  ) {
    this.scans = new ScanRows(db);
    this.findings = new FindingsTable(db);
  }

  async beginScan(options: BeginScanOptions): Promise<ScanWriter> {
    this.assertOpen();
    this.assertWritable('start a scan');
    const { scanId, baseSeq } = guard(this.location, 'starting a scan', () => {
      return this.db
        .transaction(() => {
          // Holding the write lock: stale heartbeats can be judged (scan-heartbeat.ts).
          this.markAbandonedScans(options.startedAt);
          const baseSeq = this.db
            .prepare('SELECT coalesce(max(commit_seq), 0) FROM scans')
            .pluck()
            .get() as number;
          const info = this.db
            .prepare(
              `INSERT INTO scans (started_at, status, label, tool_version, writer_pid, writer_host, governance_hash, heartbeat_at)
             VALUES (?, 'running', ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              options.startedAt,
              options.label ?? null,
              options.toolVersion,
              process.pid,
              hostname(),
              options.governanceHash || null,
              new Date().toISOString(),
            );
          return { scanId: Number(info.lastInsertRowid), baseSeq };
        })
        .immediate();
    });
    const sink = guard(this.location, `starting scan ${scanId}`, () => this.openScanSink(scanId));
    this.sinks.add(sink);
    sink.closed().then(() => this.sinks.delete(sink));
    // Until its first write takes the write lock, the scan shows it is alive by its heartbeat. A stamp
    // never waits: when another process holds the lock, this beat is skipped (the next one tries again).
    const heartbeat = startHeartbeat(() => {
      const busyTimeout = this.db.pragma('busy_timeout', { simple: true }) as number;
      this.db.pragma('busy_timeout = 0');
      try {
        this.db
          .prepare("UPDATE scans SET heartbeat_at = ? WHERE id = ? AND status = 'running'")
          .run(new Date().toISOString(), scanId);
      } finally {
        this.db.pragma(`busy_timeout = ${busyTimeout}`);
      }
    });
    const writer = new SqliteScanWriter({
      file: this.location,
      scanId,
      baseSeq,
      sink,
      summary: () => this.scans.summary(scanId)!,
      writing: () => heartbeat.stop(),
      finished: () => {
        heartbeat.stop();
        this.running.delete(writer);
      },
      markFailed: (reason, finishedAt) =>
        guard(this.location, `aborting scan ${scanId}`, () =>
          this.db
            .prepare(
              "UPDATE scans SET status = 'failed', finished_at = ?, failure = ? WHERE id = ? AND status = 'running'",
            )
            .run(finishedAt, reason, scanId),
        ),
    });
    this.running.add(writer);
    return writer;
  }

  async getScan(id: number): Promise<ScanSummary | null> {
    this.assertOpen();
    return guard(this.location, `reading scan ${id}`, () => this.scans.summary(id));
  }

  async listScans(options: { limit?: number; status?: ScanStatus[] } = {}): Promise<ScanSummary[]> {
    this.assertOpen();
    return guard(this.location, 'listing scans', () => this.scans.list(options));
  }

  async latestScan(options: { before?: number; status?: ScanStatus[] } = {}): Promise<ScanSummary | null> {
    this.assertOpen();
    const status = options.status ?? COMMITTED;
    return guard(
      this.location,
      'finding the latest scan',
      () => this.scans.list({ limit: 1, status, before: options.before })[0] ?? null,
    );
  }

  async latestScanOfEachSource(query: SourceScanQuery = {}): Promise<SourceScan[]> {
    this.assertOpen();
    return guard(this.location, 'finding the newest scan of each source', () =>
      latestScanOfEachSource(this.db, query, (id) => this.scans.summary(id)),
    );
  }

  async readConnectorState(source: string): Promise<Map<string, ConnectorStateValue>> {
    this.assertOpen();
    return guard(this.location, `reading the connector state of ${source}`, () => {
      const rows = this.db
        .prepare<[string], { key: string; value: string; scan_id: number }>(
          `SELECT cs.key, cs.value, cs.scan_id FROM connector_state AS cs
           JOIN sources AS s ON s.id = cs.source_id WHERE s.source = ? ORDER BY cs.key`,
        )
        .all(source);
      return new Map(rows.map((r) => [r.key, { value: r.value, scanId: r.scan_id }]));
    });
  }

  readSnapshot(scanId: number, filter?: SnapshotReadFilter): AsyncIterable<IdentityBundle> {
    return this.stream(`reading the snapshot of scan ${scanId}`, [scanId], (db) =>
      snapshotBundles(db, scanId, filter),
    );
  }

  changesBetween(a: number, b: number, filter?: SnapshotFilter): AsyncIterable<RecordChange> {
    return this.stream(`comparing scans ${a} and ${b}`, [a, b], (db) => changedRecords(db, a, b, filter));
  }

  async peopleDirectories(scanId: number, filter?: SnapshotFilter): Promise<PeopleDirectoryStatus[]> {
    this.assertOpen();
    const doing = `reading the people directories of scan ${scanId}`;
    return guard(this.location, doing, () => {
      this.assertCommitted(scanId);
      const db = this.readers.acquire();
      try {
        return db.transaction(() => peopleDirectories(db, scanId, filter))();
      } finally {
        this.readers.release(db);
      }
    });
  }

  readPeople(scanId: number, filter?: SnapshotFilter): AsyncIterable<Person> {
    return this.stream(`reading the people of scan ${scanId}`, [scanId], (db) =>
      snapshotPeople(db, scanId, filter),
    );
  }

  async recordFindings(
    scanId: number,
    drafts: AsyncIterable<readonly FindingDraft[]> | Iterable<readonly FindingDraft[]>,
    seenAt: string,
    options: RecordFindingsOptions = {},
  ): Promise<FindingsRecorded> {
    this.assertOpen();
    this.assertWritable('record findings');
    const doing = `recording findings of scan ${scanId}`;
    const sources = guard(this.location, doing, () => {
      this.assertCommitted(scanId);
      return this.db
        .prepare<[number], { platform: string; tenant: string }>(
          'SELECT platform, tenant FROM scan_sources WHERE scan_id = ?',
        )
        .all(scanId);
    });
    try {
      return await this.findings.record(scanId, drafts, seenAt, sources, {
        ...options,
        location: this.location,
      });
    } catch (err) {
      // SQLite errors become typed store errors naming the file; the drafts' own errors pass through.
      throw toStoreError(this.location, err, doing);
    }
  }

  async findingsRecordings(): Promise<FindingsRecording[]> {
    this.assertOpen();
    return guard(this.location, 'reading the findings recordings', () => this.findings.recordings());
  }

  readCarriedProjections(platform: string, tenant: string): AsyncIterable<CarriedProjection> {
    return this.stream(`reading the findings carry of ${platform}/${tenant}`, [], (db) =>
      new FindingsTable(db).projections(platform, tenant),
    );
  }

  async findingsCarryExpired(platform: string, tenant: string, asOf: string): Promise<string[]> {
    this.assertOpen();
    return guard(this.location, `reading the findings carry of ${platform}/${tenant}`, () =>
      this.findings.carryExpired(platform, tenant, asOf),
    );
  }

  readFindings(scanIds: number | readonly number[], filter: FindingsReadFilter = {}): AsyncIterable<Finding> {
    const ids = typeof scanIds === 'number' ? [scanIds] : [...scanIds];
    return this.stream(`reading the findings of scan ${ids.join(', ')}`, ids, (db) =>
      filter.order === 'severity' && filter.severity === undefined
        ? new FindingsTable(db).seenAtBySeverity(ids, this.location)
        : new FindingsTable(db).seenAt(ids, filter.severity ?? null),
    );
  }

  async findingHistory(fingerprints: readonly string[]): Promise<Map<string, FindingHistory>> {
    this.assertOpen();
    return guard(this.location, 'reading finding history', () => this.findings.history(fingerprints));
  }

  async findingsTrend(scanIds: readonly number[]): Promise<FindingsTrendPoint[]> {
    this.assertOpen();
    return guard(this.location, 'reading the findings trend', () => this.findings.trend(scanIds));
  }

  async recordReview(review: ReviewInput): Promise<StoredReview> {
    this.assertOpen();
    this.assertWritable('record a review');
    return guard(this.location, 'recording a review', () =>
      this.db.transaction(() => new ReviewsTable(this.db).record(review)).immediate(),
    );
  }

  async reviewHistory(subject: ReviewSubject): Promise<StoredReview[]> {
    this.assertOpen();
    return guard(this.location, 'reading review history', () => new ReviewsTable(this.db).history(subject));
  }

  latestReviews(filter?: { platform?: string; tenant?: string }): AsyncIterable<StoredReview> {
    return this.stream('reading reviews', [], (db) => new ReviewsTable(db).latest(filter));
  }

  async findingsRecorded(scanId: number): Promise<boolean> {
    this.assertOpen();
    return guard(this.location, `checking the findings of scan ${scanId}`, () => {
      this.assertCommitted(scanId);
      // Recording moves every open finding of the scan's sources to this scan or resolves it here: an
      // open one left behind means the recording never happened.
      const stale = this.db
        .prepare(
          `SELECT 1 FROM findings AS f JOIN scan_sources AS s
             ON s.scan_id = ? AND s.platform = f.platform AND s.tenant = f.tenant
           WHERE f.resolved_scan IS NULL AND f.last_seen_scan < ? LIMIT 1`,
        )
        .get(scanId, scanId);
      return stale === undefined;
    });
  }

  async readTickets(sink: string): Promise<StoredTicket[]> {
    this.assertOpen();
    return guard(this.location, `reading the tickets of sink ${sink}`, () =>
      new TicketsTable(this.db).read(sink),
    );
  }

  async saveTicket(ticket: StoredTicket): Promise<void> {
    this.assertOpen();
    this.assertWritable('save a ticket');
    guard(this.location, `saving ticket ${ticket.key} of sink ${ticket.sink}`, () =>
      this.db.transaction(() => new TicketsTable(this.db).save(ticket)).immediate(),
    );
  }

  async beginTicketSync(sync: { sink: string; scanId: number; startedAt: string }): Promise<number> {
    this.assertOpen();
    this.assertWritable('sync tickets');
    return guard(this.location, `starting a sync of sink ${sync.sink}`, () =>
      this.db.transaction(() => new TicketsTable(this.db).beginSync(sync, this.location)).immediate(),
    );
  }

  async finishTicketSync(
    id: number,
    outcome: { finishedAt: string; status: 'complete' | 'failed'; actions: number; error: string | null },
  ): Promise<void> {
    this.assertOpen();
    guard(this.location, `finishing ticket sync ${id}`, () =>
      this.db.transaction(() => new TicketsTable(this.db).finishSync(id, outcome)).immediate(),
    );
  }

  async lastTicketSync(sink: string): Promise<TicketSyncRecord | null> {
    this.assertOpen();
    return guard(this.location, `reading the syncs of sink ${sink}`, () =>
      new TicketsTable(this.db).lastSync(sink),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const writer of [...this.running]) {
      await writer.abort('the store was closed before the scan completed', this.now().toISOString());
    }
    await Promise.all([...this.sinks].map((s) => s.closed()));
    this.readers.closeAll();
    guard(this.location, 'closing the database', () => {
      try {
        // Fold the WAL back into the database so the file is complete on its own. A read-only
        // store writes nothing: the next writer checkpoints.
        if (!this.options.readOnly) this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch (err) {
        // Another process is reading or writing: it (or the next open) will checkpoint.
        if (!String((err as { code?: string }).code).startsWith('SQLITE_BUSY')) throw err;
      }
      this.db.close();
    });
  }

  /**
   * Marks `running` scans that can never complete as failed: those whose writer process on this host has
   * died, and those of another host whose heartbeat is stale (scan-heartbeat.ts). One IMMEDIATE
   * transaction, so the stale rule is judged while no scan's transaction is open. Throws SQLITE_BUSY
   * when another process holds the write lock (callers skip it: that process may be a live scan).
   */
  markAbandonedScans(now: string): number {
    const staleBefore = new Date(Date.now() - SCAN_STALE_MS).toISOString();
    const failureOf = (row: RunningScanRow): string | null =>
      writerIsGone(row)
        ? `interrupted: process ${row.writer_pid} ended before the scan completed`
        : row.writer_host !== hostname() && (row.heartbeat_at ?? '') < staleBefore
          ? staleScanFailure(row)
          : null;
    const running = this.db.prepare<[], RunningScanRow>(
      "SELECT id, writer_pid, writer_host, coalesce(heartbeat_at, started_at) AS heartbeat_at FROM scans WHERE status = 'running'",
    );
    // Take the write lock only when something may need marking: a reader must not wait on a live scan.
    if (!running.all().some((row) => failureOf(row) !== null)) return 0;
    return this.db
      .transaction(() => {
        const mark = this.db.prepare(
          "UPDATE scans SET status = 'failed', finished_at = ?, failure = ? WHERE id = ? AND status = 'running'",
        );
        let marked = 0;
        for (const row of running.all()) {
          const failure = failureOf(row);
          if (failure) marked += mark.run(now, failure, row.id).changes;
        }
        return marked;
      })
      .immediate();
  }

  private assertCommitted(scanId: number): void {
    const row = this.scans.row(scanId);
    if (!row) throw new StoreError(this.location, `scan ${scanId} does not exist`);
    const status = effectiveStatus(row);
    if (!COMMITTED.includes(status)) {
      throw new StoreError(
        this.location,
        `scan ${scanId} is ${status}; only completed scans have a snapshot`,
      );
    }
  }

  /**
   * A re-iterable stream over a pooled read connection, released however the consumer stops. The
   * stream runs in one read transaction: its several queries see one state of the database even if
   * a scan commits meanwhile.
   */
  private stream<T>(
    doing: string,
    scanIds: number[],
    body: (db: Database.Database) => Iterable<T>,
  ): AsyncIterable<T> {
    const run = async function* (this: SqliteSnapshotStore): AsyncGenerator<T> {
      this.assertOpen();
      guard(this.location, doing, () => {
        for (const id of scanIds) this.assertCommitted(id);
      });
      const db = guard(this.location, doing, () => this.readers.acquire());
      db.prepare('BEGIN').run();
      const it = body(db)[Symbol.iterator]();
      try {
        while (true) {
          const next = guard(this.location, doing, () => it.next());
          if (next.done) return;
          yield next.value;
        }
      } finally {
        it.return?.();
        if (db.inTransaction) db.prepare('COMMIT').run();
        this.readers.release(db);
      }
    };
    return { [Symbol.asyncIterator]: () => run.call(this) };
  }

  private assertWritable(what: string): void {
    if (this.options.readOnly) throw new StoreError(this.location, `opened read-only: cannot ${what}`);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError(this.location, 'the store is closed');
  }
}
