import { hostname } from 'node:os';
import pg from 'pg';
import { StoreError } from '../../errors.js';
import type { Finding, FindingDraft } from '../../findings/finding.js';
import type { Person } from '../../model/index.js';
import { SCAN_STALE_MS, staleScanFailure, startHeartbeat } from '../scan-heartbeat.js';
import { effectiveStatus, writerIsGone } from '../sqlite/scan-rows.js';
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
import {
  findingHistory,
  findingsBySeverity,
  findingsCarriedProjections,
  findingsCarryExpired,
  findingsRecordings,
  findingsSeenAt,
  recordFindings,
} from './findings-table.js';
import {
  changedRecords,
  latestScanOfEachSource,
  peopleDirectories,
  snapshotBundles,
  snapshotPeople,
} from './readers.js';
import { latestReviews, recordReview, reviewHistory } from './reviews-table.js';
import { listScans, scanRow, scanSummary } from './scan-rows.js';
import { PgScanWriter } from './scan-writer.js';
import {
  beginTicketSync,
  finishTicketSync,
  lastTicketSync,
  readTickets,
  saveTicket,
} from './tickets-table.js';

const COMMITTED: readonly ScanStatus[] = ['complete', 'incomplete'];

/** The server's clock as an ISO timestamp, like every time column: heartbeats are stamped and judged by it. */
const SERVER_NOW_ISO = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * SnapshotStore over a PostgreSQL database: a connection pool; each scan writes through a connection
 * of its own (one transaction per scan), each stream reads in one REPEATABLE READ transaction so its
 * queries see one state of the database while other machines commit scans.
 */
export class PostgresSnapshotStore implements SnapshotStore {
  private closed = false;
  private readonly running = new Set<ScanWriter>();
  /** Ids of this store's own running scans: never judged abandoned by it. */
  private readonly ownScans = new Set<number>();
  private readonly sourceIds = new Map<string, number>();

  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    private readonly now: () => Date = () => new Date(),
    private readonly options: { readOnly?: boolean } = {},
  ) {}

  async beginScan(options: BeginScanOptions): Promise<ScanWriter> {
    this.assertOpen();
    this.assertWritable('start a scan');
    await this.markAbandonedScans(options.startedAt);
    const inserted = await this.query('starting a scan', (c) =>
      c.query<{ id: string; base: string }>(
        `INSERT INTO scans (started_at, status, label, tool_version, writer_pid, writer_host, governance_hash, heartbeat_at)
         VALUES ($1, 'running', $2, $3, $4, $5, $6, ${SERVER_NOW_ISO})
         RETURNING id, (SELECT coalesce(max(commit_seq), 0) FROM scans) AS base`,
        [
          options.startedAt,
          options.label ?? null,
          options.toolVersion,
          process.pid,
          hostname(),
          options.governanceHash || null,
        ],
      ),
    );
    const scanId = Number(inserted.rows[0]!.id);
    const baseSeq = Number(inserted.rows[0]!.base);
    const client = await this.connect(`starting scan ${scanId}`);
    let released = false;
    // Beats through the pool (autocommit), beside the scan's own transaction, for its whole life.
    const heartbeat = startHeartbeat(() =>
      this.pool.query(
        `UPDATE scans SET heartbeat_at = ${SERVER_NOW_ISO} WHERE id = $1 AND status = 'running'`,
        [scanId],
      ),
    );
    const writer: ScanWriter = new PgScanWriter({
      location: this.location,
      scanId,
      baseSeq,
      client,
      sourceId: (source) => this.sourceId(source),
      summary: async () => (await scanSummary(this.pool, scanId))!,
      markFailed: async (reason, finishedAt) => {
        await this.pool.query(
          "UPDATE scans SET status = 'failed', finished_at = $1, failure = $2 WHERE id = $3 AND status = 'running'",
          [finishedAt, reason, scanId],
        );
      },
      finished: () => {
        heartbeat.stop();
        this.running.delete(writer);
        this.ownScans.delete(scanId);
        if (!released) client.release();
        released = true;
      },
    });
    this.running.add(writer);
    this.ownScans.add(scanId);
    return writer;
  }

  /** The id of `source` in `sources`, created on first sight (autocommit: no scan waits on another's). */
  private async sourceId(source: string): Promise<number> {
    const known = this.sourceIds.get(source);
    if (known !== undefined) return known;
    const colon = source.indexOf(':');
    await this.pool.query(
      'INSERT INTO sources (source, platform, tenant) VALUES ($1, $2, $3) ON CONFLICT (source) DO NOTHING',
      [source, source.slice(0, colon), source.slice(colon + 1)],
    );
    const r = await this.pool.query<{ id: string }>('SELECT id FROM sources WHERE source = $1', [source]);
    const id = Number(r.rows[0]!.id);
    this.sourceIds.set(source, id);
    return id;
  }

  async getScan(id: number): Promise<ScanSummary | null> {
    this.assertOpen();
    await this.markAbandonedOnRead();
    return this.query(`reading scan ${id}`, (c) => scanSummary(c, id));
  }

  async listScans(options: { limit?: number; status?: ScanStatus[] } = {}): Promise<ScanSummary[]> {
    this.assertOpen();
    await this.markAbandonedOnRead();
    return this.query('listing scans', (c) => listScans(c, options));
  }

  async latestScan(options: { before?: number; status?: ScanStatus[] } = {}): Promise<ScanSummary | null> {
    this.assertOpen();
    await this.markAbandonedOnRead();
    const status = options.status ?? COMMITTED;
    return this.query(
      'finding the latest scan',
      async (c) => (await listScans(c, { limit: 1, status, before: options.before }))[0] ?? null,
    );
  }

  async latestScanOfEachSource(query: SourceScanQuery = {}): Promise<SourceScan[]> {
    this.assertOpen();
    // One REPEATABLE READ transaction: the summaries are of the scans the grouping chose.
    return this.query('finding the newest scan of each source', async (c) => {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await latestScanOfEachSource(c, query);
      } finally {
        await c.query('COMMIT').catch(() => {});
      }
    });
  }

  async readConnectorState(source: string): Promise<Map<string, ConnectorStateValue>> {
    this.assertOpen();
    const r = await this.query(`reading the connector state of ${source}`, (c) =>
      c.query<{ key: string; value: string; scan_id: string }>(
        `SELECT cs.key, cs.value, cs.scan_id FROM connector_state AS cs
         JOIN sources AS s ON s.id = cs.source_id WHERE s.source = $1 ORDER BY cs.key COLLATE "C"`,
        [source],
      ),
    );
    return new Map(r.rows.map((row) => [row.key, { value: row.value, scanId: Number(row.scan_id) }]));
  }

  readSnapshot(scanId: number, filter?: SnapshotReadFilter): AsyncIterable<IdentityBundle> {
    return this.stream(`reading the snapshot of scan ${scanId}`, [scanId], (c) =>
      snapshotBundles(c, scanId, filter),
    );
  }

  changesBetween(a: number, b: number, filter?: SnapshotFilter): AsyncIterable<RecordChange> {
    return this.stream(`comparing scans ${a} and ${b}`, [a, b], (c) => changedRecords(c, a, b, filter));
  }

  async peopleDirectories(scanId: number, filter?: SnapshotFilter): Promise<PeopleDirectoryStatus[]> {
    this.assertOpen();
    return this.query(`reading the people directories of scan ${scanId}`, async (c) => {
      await this.assertCommitted(c, scanId);
      return peopleDirectories(c, scanId, filter);
    });
  }

  readPeople(scanId: number, filter?: SnapshotFilter): AsyncIterable<Person> {
    return this.stream(`reading the people of scan ${scanId}`, [scanId], (c) =>
      snapshotPeople(c, scanId, filter),
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
    const client = await this.connect(doing);
    try {
      await this.assertCommitted(client, scanId);
      const sources = await client.query<{ platform: string; tenant: string }>(
        'SELECT platform, tenant FROM scan_sources WHERE scan_id = $1',
        [scanId],
      );
      return await recordFindings(client, scanId, drafts, seenAt, sources.rows, {
        ...options,
        location: this.location,
      });
    } catch (err) {
      // Database errors become typed store errors naming the database; the drafts' own errors pass through.
      if (err instanceof StoreError || !(err instanceof pg.DatabaseError)) throw err;
      throw new StoreError(this.location, `${doing}: ${err.message}`, { cause: err });
    } finally {
      client.release();
    }
  }

  readCarriedProjections(platform: string, tenant: string): AsyncIterable<CarriedProjection> {
    return this.stream(`reading the findings carry of ${platform}/${tenant}`, [], (c) =>
      findingsCarriedProjections(c, platform, tenant),
    );
  }

  async findingsCarryExpired(platform: string, tenant: string, asOf: string): Promise<string[]> {
    this.assertOpen();
    const doing = `reading the findings carry of ${platform}/${tenant}`;
    const client = await this.connect(doing);
    try {
      return await findingsCarryExpired(client, platform, tenant, asOf);
    } catch (err) {
      if (err instanceof StoreError || !(err instanceof pg.DatabaseError)) throw err;
      throw new StoreError(this.location, `${doing}: ${err.message}`, { cause: err });
    } finally {
      client.release();
    }
  }

  async findingsRecordings(): Promise<FindingsRecording[]> {
    this.assertOpen();
    const doing = 'reading the findings recordings';
    const client = await this.connect(doing);
    try {
      return await findingsRecordings(client);
    } catch (err) {
      if (err instanceof StoreError || !(err instanceof pg.DatabaseError)) throw err;
      throw new StoreError(this.location, `${doing}: ${err.message}`, { cause: err });
    } finally {
      client.release();
    }
  }

  readFindings(scanIds: number | readonly number[], filter: FindingsReadFilter = {}): AsyncIterable<Finding> {
    const ids = typeof scanIds === 'number' ? [scanIds] : [...scanIds];
    return this.stream(`reading the findings of scan ${ids.join(', ')}`, ids, (c) =>
      filter.order === 'severity' && filter.severity === undefined
        ? findingsBySeverity(c, ids)
        : findingsSeenAt(c, ids, filter.severity ?? null),
    );
  }

  async findingHistory(
    fingerprints: readonly string[],
  ): Promise<Map<string, { firstSeen: string; lastSeen: string; firstScan: number; lastScan: number }>> {
    this.assertOpen();
    return this.query('reading finding history', (c) => findingHistory(c, fingerprints));
  }

  async findingsTrend(scanIds: readonly number[]): Promise<FindingsTrendPoint[]> {
    this.assertOpen();
    return this.query('reading the findings trend', async (c) => {
      const out: FindingsTrendPoint[] = [];
      for (const id of scanIds) {
        // The same counts as SQLite's FindingsTable.trend, over the same `findings` view.
        const r = await c.query<{ opened: string; resolved: string; open: string }>(
          `SELECT
             count(*) FILTER (WHERE first_seen_scan = $1) AS opened,
             count(*) FILTER (WHERE resolved_scan = $1) AS resolved,
             count(*) FILTER (WHERE resolved_scan IS NULL OR resolved_scan > $1) AS open
           FROM findings WHERE first_seen_scan <= $1`,
          [id],
        );
        const row = r.rows[0]!;
        out.push({
          scanId: id,
          opened: Number(row.opened),
          resolved: Number(row.resolved),
          open: Number(row.open),
        });
      }
      return out;
    });
  }

  async recordReview(review: ReviewInput): Promise<StoredReview> {
    this.assertOpen();
    this.assertWritable('record a review');
    return this.query('recording a review', (c) => recordReview(c, review));
  }

  async reviewHistory(subject: ReviewSubject): Promise<StoredReview[]> {
    this.assertOpen();
    return this.query('reading review history', (c) => reviewHistory(c, subject));
  }

  latestReviews(filter?: { platform?: string; tenant?: string }): AsyncIterable<StoredReview> {
    return this.stream('reading reviews', [], (c) => latestReviews(c, filter));
  }

  async findingsRecorded(scanId: number): Promise<boolean> {
    this.assertOpen();
    return this.query(`checking the findings of scan ${scanId}`, async (c) => {
      await this.assertCommitted(c, scanId);
      // Recording moves every open finding of the scan's sources to this scan or resolves it here: an
      // open one left behind means the recording never happened.
      const stale = await c.query(
        `SELECT 1 FROM findings AS f JOIN scan_sources AS s
           ON s.scan_id = $1 AND s.platform = f.platform AND s.tenant = f.tenant
         WHERE f.resolved_scan IS NULL AND f.last_seen_scan < $1 LIMIT 1`,
        [scanId],
      );
      return stale.rowCount === 0;
    });
  }

  async readTickets(sink: string): Promise<StoredTicket[]> {
    this.assertOpen();
    return this.query(`reading the tickets of sink ${sink}`, (c) => readTickets(c, sink));
  }

  async saveTicket(ticket: StoredTicket): Promise<void> {
    this.assertOpen();
    this.assertWritable('save a ticket');
    await this.query(`saving ticket ${ticket.key} of sink ${ticket.sink}`, (c) => saveTicket(c, ticket));
  }

  async beginTicketSync(sync: { sink: string; scanId: number; startedAt: string }): Promise<number> {
    this.assertOpen();
    this.assertWritable('sync tickets');
    return this.query(`starting a sync of sink ${sync.sink}`, (c) => beginTicketSync(c, sync, this.location));
  }

  async finishTicketSync(
    id: number,
    outcome: { finishedAt: string; status: 'complete' | 'failed'; actions: number; error: string | null },
  ): Promise<void> {
    this.assertOpen();
    await this.query(`finishing ticket sync ${id}`, (c) => finishTicketSync(c, id, outcome));
  }

  async lastTicketSync(sink: string): Promise<TicketSyncRecord | null> {
    this.assertOpen();
    return this.query(`reading the syncs of sink ${sink}`, (c) => lastTicketSync(c, sink));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const writer of [...this.running]) {
      await writer.abort('the store was closed before the scan completed', this.now().toISOString());
    }
    await this.pool.end();
  }

  /**
   * Marks `running` scans that can never complete as failed: those whose writer process on this host
   * has died, and those (of any host) whose heartbeat the server last saw longer ago than SCAN_STALE_MS
   * (scan-heartbeat.ts). The update re-checks the heartbeat, so a scan that beat meanwhile is left alone.
   */
  private async markAbandonedScans(now: string): Promise<void> {
    const rows = await this.query('checking for interrupted scans', (c) =>
      c.query<{
        id: string;
        writer_pid: number | null;
        writer_host: string | null;
        heartbeat_at: string | null;
        stale: boolean;
      }>(
        `SELECT id, writer_pid, writer_host, heartbeat_at,
                coalesce(heartbeat_at, started_at) < to_char((now() - make_interval(secs => $1)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS stale
           FROM scans WHERE status = 'running'`,
        [SCAN_STALE_MS / 1000],
      ),
    );
    for (const row of rows.rows) {
      if (this.ownScans.has(Number(row.id))) continue;
      if (writerIsGone(row)) {
        await this.pool.query(
          "UPDATE scans SET status = 'failed', finished_at = $1, failure = $2 WHERE id = $3 AND status = 'running'",
          [now, `interrupted: process ${row.writer_pid} ended before the scan completed`, row.id],
        );
      } else if (row.stale) {
        await this.pool.query(
          `UPDATE scans SET status = 'failed', finished_at = $1, failure = $2
            WHERE id = $3 AND status = 'running' AND heartbeat_at IS NOT DISTINCT FROM $4`,
          [now, staleScanFailure(row), row.id, row.heartbeat_at],
        );
      }
    }
  }

  /** Reads mark abandoned scans too (a writable store only: a read-only role may not update). */
  private async markAbandonedOnRead(): Promise<void> {
    if (!this.options.readOnly) await this.markAbandonedScans(this.now().toISOString());
  }

  private async assertCommitted(client: pg.PoolClient, scanId: number): Promise<void> {
    const row = await scanRow(client, scanId);
    if (!row) throw new StoreError(this.location, `scan ${scanId} does not exist`);
    const status = effectiveStatus(row);
    if (!COMMITTED.includes(status)) {
      throw new StoreError(
        this.location,
        `scan ${scanId} is ${status}; only completed scans have a snapshot`,
      );
    }
  }

  private async connect(doing: string): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw new StoreError(this.location, `${doing}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Runs `body` on a pooled connection; driver errors become StoreErrors naming the database and the step. */
  private async query<T>(doing: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect(doing);
    try {
      return await body(client);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(this.location, `${doing}: ${(err as Error).message}`, { cause: err });
    } finally {
      client.release();
    }
  }

  /** A re-iterable stream on one connection in one REPEATABLE READ transaction, released however the consumer stops. */
  private stream<T>(
    doing: string,
    scanIds: number[],
    body: (client: pg.PoolClient) => AsyncIterable<T>,
  ): AsyncIterable<T> {
    const run = async function* (this: PostgresSnapshotStore): AsyncGenerator<T> {
      this.assertOpen();
      const client = await this.connect(doing);
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        for (const id of scanIds) await this.assertCommitted(client, id);
        const it = body(client)[Symbol.asyncIterator]();
        try {
          while (true) {
            let next: IteratorResult<T>;
            try {
              next = await it.next();
            } catch (err) {
              if (err instanceof StoreError) throw err;
              throw new StoreError(this.location, `${doing}: ${(err as Error).message}`, { cause: err });
            }
            if (next.done) return;
            yield next.value;
          }
        } finally {
          await it.return?.();
        }
      } finally {
        await client.query('COMMIT').catch(() => {});
        client.release();
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
