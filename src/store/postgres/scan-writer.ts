import type pg from 'pg';
import { type CoverageReport, isAuthoritative } from '../../connector/coverage.js';
import { StoreError } from '../../errors.js';
import type { ScanRecord } from '../../model/index.js';
import { jsonContentHash, keyDigest } from '../sqlite/canonical-record.js';
import { prepareRecord } from '../sqlite/prepared-record.js';
import { RECORD_TABLES } from '../sqlite/record-tables.js';
import { checkCoverage, scanStatusOf } from '../sqlite/scan-commit.js';
import type { ConnectorStateWrite, ScanSummary, ScanWriter } from '../store.js';
import { ScanStaging, type StagedRow, stagedTable } from './scan-staging.js';

/** Records per write to the staging COPY: large enough to amortise the call, small enough to stay light. */
const BATCH = 1000;
/** Serialises scan commits (versions are ordered by scan id; see assertNoOverlappingCommit). */
export const COMMIT_LOCK = 0x47534332;

export interface PgScanWriterContext {
  location: string;
  scanId: number;
  baseSeq: number;
  /** The scan's own connection: its transaction holds everything the scan writes until `complete()`. */
  client: pg.PoolClient;
  /** The id of a source in `sources` (created outside the scan's transaction, so scans never wait on it). */
  sourceId(source: string): Promise<number>;
  summary(): Promise<ScanSummary>;
  markFailed(reason: string, finishedAt: string): Promise<void>;
  finished(): void;
}

/**
 * A running scan on PostgreSQL. Records stream, through one COPY, into a temporary staging table of
 * the scan's transaction (the last write of a key wins). `complete()` then applies them set-wise: a
 * changed record closes its open version and opens a new one, an unchanged one costs nothing, and open
 * versions the scan did not write are closed only when their collector was authoritative (the coverage
 * gate); the coverage, connector state and the scan's status commit in the same transaction, so readers
 * see all of the scan or none of it. If the process dies, PostgreSQL rolls the transaction back.
 */
export class PgScanWriter implements ScanWriter {
  private buffer: StagedRow[] = [];
  private readonly staging: ScanStaging;
  private readonly sources = new Set<string>();
  /** Source ids looked up so far: a Map read per record instead of an awaited call. */
  private readonly sourceIds = new Map<string, number>();
  private recordsWritten = 0;
  private begun = false;
  private finished = false;
  private broken: Error | null = null;

  constructor(private readonly ctx: PgScanWriterContext) {
    this.staging = new ScanStaging(ctx.client);
  }

  get scanId(): number {
    return this.ctx.scanId;
  }

  async write(records: readonly ScanRecord[]): Promise<void> {
    this.assertWritable('write to');
    try {
      for (const rec of records) {
        const p = prepareRecord(rec);
        this.sources.add(p.source);
        this.buffer.push({
          table: p.table,
          sourceId: this.sourceIds.get(p.source) ?? (await this.sourceIdOf(p.source)),
          identityKey: p.identityKey,
          digest: keyDigest(p.key),
          hash: jsonContentHash(p.json),
          json: p.json,
        });
        this.recordsWritten++;
        if (this.buffer.length >= BATCH) await this.flush();
      }
    } catch (err) {
      this.broken = err as Error;
      throw new StoreError(
        this.ctx.location,
        `writing records of scan ${this.scanId}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  private async sourceIdOf(source: string): Promise<number> {
    const id = await this.ctx.sourceId(source);
    this.sourceIds.set(source, id);
    return id;
  }

  private async begin(): Promise<void> {
    if (this.begun) return;
    const { client } = this.ctx;
    await client.query('BEGIN');
    this.begun = true;
    await this.staging.create();
  }

  private async flush(): Promise<void> {
    await this.begin();
    const rows = this.buffer;
    this.buffer = [];
    await this.staging.write(rows);
  }

  async complete(
    coverage: readonly CoverageReport[],
    finishedAt: string,
    state: readonly ConnectorStateWrite[] = [],
  ): Promise<ScanSummary> {
    this.assertWritable('complete');
    const { location, scanId, client } = this.ctx;
    checkCoverage(location, coverage, this.sources);
    try {
      await this.flush();
      await this.staging.seal();
    } catch (err) {
      this.broken = err as Error;
      throw new StoreError(location, `writing records of scan ${scanId}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    await client.query('SAVEPOINT complete_scan');
    try {
      await this.applyCommit(coverage, finishedAt, state);
      await client.query('RELEASE complete_scan');
    } catch (err) {
      // Undo only the completion work; what the scan wrote stays for a retry.
      await client.query('ROLLBACK TO complete_scan').catch(() => {});
      if (err instanceof StoreError) throw err;
      throw new StoreError(location, `completing scan ${scanId}: ${(err as Error).message}`, { cause: err });
    }
    await client.query('COMMIT');
    this.finished = true;
    this.ctx.finished();
    return this.ctx.summary();
  }

  private async applyCommit(
    coverage: readonly CoverageReport[],
    finishedAt: string,
    state: readonly ConnectorStateWrite[],
  ): Promise<void> {
    const { location, scanId, client } = this.ctx;
    await client.query('SELECT pg_advisory_xact_lock($1)', [COMMIT_LOCK]);
    const status = (
      await client.query<{ status: string }>('SELECT status FROM scans WHERE id = $1', [scanId])
    ).rows[0]?.status;
    if (status !== 'running') {
      throw new StoreError(
        location,
        `scan ${scanId} is ${status ?? 'missing'}; it can no longer be completed`,
      );
    }
    const covered = new Map<string, number>();
    for (const c of coverage) {
      const source = `${c.platform}:${c.tenant}`;
      covered.set(source, await this.ctx.sourceId(source));
    }
    const clash = await client.query<{ id: string; source: string }>(
      `SELECT s.id, ss.source FROM scans AS s JOIN scan_sources AS ss ON ss.scan_id = s.id
       WHERE s.commit_seq > $1 AND ss.source = ANY($2::text[]) LIMIT 1`,
      [this.ctx.baseSeq, [...covered.keys()]],
    );
    if (clash.rows[0]) {
      throw new StoreError(
        location,
        `scan ${clash.rows[0].id} of ${clash.rows[0].source} completed after scan ${scanId} began; abort this scan and run it again`,
      );
    }
    let versionsAdded = 0;
    let versionsClosed = 0;
    const open = { identity: 0, grant: 0, credential: 0, person: 0 };
    const sourceIds = [...covered.values()];
    for (const [index, spec] of RECORD_TABLES.entries()) {
      const t = spec.table;
      const staged = stagedTable(index);
      // Open versions per source before the scan, and how the staged records meet them: one pass that
      // tells which of the statements below have anything to do (an unchanged scan needs none of them).
      // A key's identity key is the key's own prefix: joining on it too adds no distinction but lets
      // the join probe the open-versions index (source_id, identity_key, key_digest, …).
      const openBefore = new Map<number, number>();
      for (const r of (
        await client.query<{ source_id: string; n: string }>(
          `SELECT source_id, count(*) AS n FROM ${t} WHERE source_id = ANY($1::bigint[]) AND valid_to IS NULL
           GROUP BY source_id`,
          [sourceIds],
        )
      ).rows)
        openBefore.set(Number(r.source_id), Number(r.n));
      const matched = new Map<number, number>();
      let toInsert = 0;
      let toClose = 0;
      for (const r of (
        await client.query<{ source_id: string; staged: string; matched: string; changed: string }>(
          `SELECT s.source_id, count(*) AS staged, count(v.id) AS matched,
             count(*) FILTER (WHERE v.hash <> s.hash) AS changed
           FROM ${staged} AS s LEFT JOIN ${t} AS v ON v.source_id = s.source_id
             AND v.identity_key = s.identity_key AND v.key_digest = s.key_digest AND v.valid_to IS NULL
           GROUP BY s.source_id`,
        )
      ).rows) {
        matched.set(Number(r.source_id), Number(r.matched));
        toInsert += Number(r.staged) - Number(r.matched) + Number(r.changed);
        toClose += Number(r.changed);
      }
      let added = 0;
      let closed = 0;
      if (toClose > 0) {
        // Changed records: close the open version (the new one is inserted below).
        const changed = await client.query(
          `UPDATE ${t} AS v SET valid_to = $1 FROM ${staged} AS s
           WHERE v.source_id = s.source_id AND v.identity_key = s.identity_key AND v.key_digest = s.key_digest
             AND v.valid_to IS NULL AND v.hash <> s.hash`,
          [scanId],
        );
        closed += changed.rowCount ?? 0;
      }
      if (toInsert > 0) {
        // New and changed records; an unchanged one still has its open version and is skipped.
        const inserted = await client.query(
          `INSERT INTO ${t} (source_id, identity_key, key_digest, hash, valid_from, record)
           SELECT s.source_id, s.identity_key, s.key_digest, s.hash, $1, s.record FROM ${staged} AS s
           WHERE NOT EXISTS (
             SELECT 1 FROM ${t} AS v WHERE v.source_id = s.source_id AND v.identity_key = s.identity_key
               AND v.key_digest = s.key_digest AND v.valid_to IS NULL)`,
          [scanId],
        );
        added += inserted.rowCount ?? 0;
      }
      for (const c of coverage) {
        const sourceId = covered.get(`${c.platform}:${c.tenant}`)!;
        const finished = c.collectors.filter((k) => isAuthoritative(k.status));
        // The coverage gate: only a collector that read everything can say a record is gone.
        const authoritative = finished.filter((k) => !k.incremental).map((k) => k.collector);
        // Every open version met a staged record: none went unseen, so none can be gone.
        const unseen = (openBefore.get(sourceId) ?? 0) - (matched.get(sourceId) ?? 0);
        if (authoritative.length > 0 && unseen > 0) {
          // The records the scan did not write first (few), then their collector (which parses JSON).
          const gone = await client.query(
            `WITH unseen AS MATERIALIZED (
               SELECT v.id, v.record FROM ${t} AS v
               WHERE v.source_id = $2 AND v.valid_to IS NULL AND v.valid_from < $1
                 AND NOT EXISTS (SELECT 1 FROM ${staged} AS s WHERE s.source_id = v.source_id AND s.key_digest = v.key_digest))
             UPDATE ${t} AS v SET valid_to = $1 FROM unseen
             WHERE v.id = unseen.id AND (unseen.record::jsonb ->> 'collector') = ANY($3::text[])`,
            [scanId, sourceId, authoritative],
          );
          closed += gone.rowCount ?? 0;
        }
        // An incremental collector's silence is not a removal: only the keys it names are closed.
        for (const k of finished.filter((x) => x.incremental && x.incremental.removed.length > 0)) {
          const removed = await client.query(
            `UPDATE ${t} AS v SET valid_to = $1
             WHERE v.source_id = $2 AND v.valid_to IS NULL AND v.valid_from < $1
               AND v.key_digest = ANY($3::bytea[]) AND (v.record::jsonb ->> 'collector') = $4
               AND NOT EXISTS (SELECT 1 FROM ${staged} AS s WHERE s.source_id = v.source_id AND s.key_digest = v.key_digest)`,
            [scanId, sourceId, k.incremental!.removed.map(keyDigest), k.collector],
          );
          closed += removed.rowCount ?? 0;
        }
      }
      versionsAdded += added;
      versionsClosed += closed;
      // Every version this scan opened or closed is of a covered source.
      open[spec.type] = [...openBefore.values()].reduce((a, b) => a + b, 0) - closed + added;
    }
    await this.insertCoverage(coverage, covered);
    await this.writeConnectorState(state, covered);
    await client.query(
      `UPDATE scans SET status = $1, finished_at = $2,
         commit_seq = (SELECT coalesce(max(commit_seq), 0) + 1 FROM scans),
         identities = $3, grants = $4, credentials = $5, records_written = $6, versions_added = $7, versions_closed = $8
       WHERE id = $9`,
      [
        scanStatusOf(coverage),
        finishedAt,
        open.identity,
        open.grant,
        open.credential,
        this.recordsWritten,
        versionsAdded,
        versionsClosed,
        scanId,
      ],
    );
  }

  private async insertCoverage(
    coverage: readonly CoverageReport[],
    covered: Map<string, number>,
  ): Promise<void> {
    const { client, scanId } = this.ctx;
    for (const c of coverage) {
      const key = `${c.platform}:${c.tenant}`;
      const status = c.collectors.some((k) => k.status === 'failed') ? 'incomplete' : c.status;
      await client.query(
        `INSERT INTO scan_sources (scan_id, source_id, source, connector, platform, tenant, status, requests)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [scanId, covered.get(key), key, c.connector, c.platform, c.tenant, status, c.requests ?? 0],
      );
      for (const k of c.collectors) {
        await client.query(
          `INSERT INTO scan_collectors (scan_id, source, collector, status, reason, http_status, api, requests, items,
             started_at, finished_at, notes, mode) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
          [
            scanId,
            key,
            k.collector,
            k.status,
            k.reason ?? null,
            k.httpStatus ?? null,
            k.api ?? null,
            k.requests ?? 0,
            k.items ?? 0,
            k.startedAt ?? null,
            k.finishedAt ?? null,
            JSON.stringify(k.notes ?? []),
            k.incremental ? 'incremental' : 'full',
          ],
        );
      }
    }
  }

  /** Connector state commits with the scan: a failed scan never advances a delta link. */
  private async writeConnectorState(
    state: readonly ConnectorStateWrite[],
    covered: Map<string, number>,
  ): Promise<void> {
    const { client, scanId, location } = this.ctx;
    for (const w of state) {
      const sourceId = covered.get(w.source);
      if (sourceId === undefined) {
        throw new StoreError(location, `connector state for ${w.source}, which has no coverage report`);
      }
      if (w.value === null) {
        await client.query('DELETE FROM connector_state WHERE source_id = $1 AND key = $2', [
          sourceId,
          w.key,
        ]);
      } else {
        await client.query(
          `INSERT INTO connector_state (source_id, key, value, scan_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (source_id, key) DO UPDATE SET value = excluded.value, scan_id = excluded.scan_id`,
          [sourceId, w.key, w.value, scanId],
        );
      }
    }
  }

  async abort(reason: string, finishedAt: string): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.buffer = [];
    this.staging.discard();
    try {
      if (this.begun) await this.ctx.client.query('ROLLBACK');
    } catch {
      // The connection is gone: PostgreSQL rolled the transaction back already.
    }
    try {
      await this.ctx.markFailed(reason, finishedAt);
    } finally {
      this.ctx.finished();
    }
  }

  private assertWritable(action: string): void {
    const { location, scanId } = this.ctx;
    if (this.finished) throw new StoreError(location, `scan ${scanId} is finished; cannot ${action} it`);
    if (this.broken) {
      throw new StoreError(
        location,
        `scan ${scanId} failed to write records (${this.broken.message}); abort it`,
      );
    }
  }
}
