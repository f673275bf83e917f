import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setImmediate } from 'node:timers/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { RECORD_TABLES } from '../sqlite/record-tables.js';

/** One record on its way into the staging table. */
export interface StagedRow {
  table: number;
  sourceId: number;
  identityKey: string;
  digest: Buffer;
  hash: string;
  json: string;
}

/** Resolves on 'drain', or on 'close' when the COPY failed (its 'error' is kept by the listener in `open`). */
function drained(copy: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (copy.destroyed) return resolve();
    const done = () => {
      copy.off('drain', done);
      copy.off('close', done);
      resolve();
    };
    copy.on('drain', done);
    copy.on('close', done);
  });
}

/** SQLSTATE of a duplicate key. */
const UNIQUE_VIOLATION = '23505';

/** The staging partition of RECORD_TABLES[index]: what `complete()` merges into that versions table. */
export const stagedTable = (index: number) => `staged_${index}`;

/** COPY text format: backslash, tab, newline and carriage return are the characters that need escaping. */
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
function copyText(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : value;
}

/**
 * The scan's staging area: a temporary table (dropped at commit, partitioned by versions table) that
 * records stream into through one COPY held open for the whole scan. COPY is the cheapest way in (no
 * statement to parse per batch, no conflict handling per row), and waiting for the socket to drain
 * before writing more keeps a fast connector from piling records up in memory. `seq` orders the rows,
 * so that when a scan writes a key twice the last write wins (`seal()` removes the earlier ones).
 */
export class ScanStaging {
  private copy: ReturnType<typeof copyFrom> | null = null;
  private failure: Error | null = null;
  private seq = 0;
  /** Sealed: deduplicated and keyed, ready to merge (a failed `complete()` may be followed by more writes). */
  private sealed = false;

  constructor(private readonly client: pg.PoolClient) {}

  /** Creates the staging table in the scan's (open) transaction. */
  async create(): Promise<void> {
    await this.client.query(
      `CREATE TEMP TABLE staged (
         seq bigint NOT NULL, tbl smallint NOT NULL, source_id bigint NOT NULL, identity_key text NOT NULL,
         key_digest bytea NOT NULL, hash text NOT NULL, record text NOT NULL
       ) PARTITION BY LIST (tbl) ON COMMIT DROP`,
    );
    for (const index of RECORD_TABLES.keys()) {
      await this.client.query(
        `CREATE TEMP TABLE ${stagedTable(index)} PARTITION OF staged FOR VALUES IN (${index}) ON COMMIT DROP`,
      );
    }
  }

  /** Streams rows into the staging table; resolves once the connection has room for more. */
  async write(rows: readonly StagedRow[]): Promise<void> {
    if (this.failure) throw this.failure;
    if (rows.length === 0) return;
    if (this.sealed) await this.unseal();
    const copy = this.copy ?? this.open();
    let text = '';
    for (const r of rows) {
      text += `${++this.seq}\t${r.table}\t${r.sourceId}\t${copyText(r.identityKey)}\t\\\\x${r.digest.toString('hex')}\t${r.hash}\t${copyText(r.json)}\n`;
    }
    if (!copy.write(text)) await drained(copy);
    // While the socket takes every chunk at once, 'drain' comes on the next tick and the event loop
    // would never turn: timers (a worker's lease renewal, progress) would starve for the whole scan.
    await setImmediate();
    if (this.failure) throw this.failure;
  }

  private open(): ReturnType<typeof copyFrom> {
    const copy = this.client.query(
      copyFrom('COPY staged (seq, tbl, source_id, identity_key, key_digest, hash, record) FROM STDIN'),
    );
    copy.on('error', (err: Error) => {
      this.failure ??= err;
    });
    this.copy = copy;
    return copy;
  }

  /**
   * Ends the COPY and readies the staging table for merging: earlier writes of a key written twice
   * are removed, each partition gets a unique key (whose build also gives the planner its row count).
   */
  async seal(): Promise<void> {
    if (this.copy) {
      const copy = this.copy;
      this.copy = null;
      copy.end();
      await finished(copy).catch((err: Error) => {
        this.failure ??= err;
      });
    }
    if (this.failure) throw this.failure;
    if (this.sealed) return;
    for (const index of RECORD_TABLES.keys()) {
      const t = stagedTable(index);
      // A key written twice is rare (a connector repeating an item across pages): the primary key's
      // build finds it, and only then are the earlier writes removed.
      await this.client.query('SAVEPOINT staged_key');
      try {
        await this.client.query(`ALTER TABLE ${t} ADD PRIMARY KEY (source_id, key_digest)`);
      } catch (err) {
        if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
        await this.client.query('ROLLBACK TO staged_key');
        await this.client.query(
          `DELETE FROM ${t} AS s USING ${t} AS later
           WHERE later.source_id = s.source_id AND later.key_digest = s.key_digest AND later.seq > s.seq`,
        );
        await this.client.query(`ALTER TABLE ${t} ADD PRIMARY KEY (source_id, key_digest)`);
      }
      await this.client.query('RELEASE staged_key');
    }
    this.sealed = true;
  }

  private async unseal(): Promise<void> {
    for (const index of RECORD_TABLES.keys()) {
      await this.client.query(`ALTER TABLE ${stagedTable(index)} DROP CONSTRAINT ${stagedTable(index)}_pkey`);
    }
    this.sealed = false;
  }

  /** Stops the COPY (the transaction is being rolled back). */
  discard(): void {
    this.copy?.destroy();
    this.copy = null;
  }
}
