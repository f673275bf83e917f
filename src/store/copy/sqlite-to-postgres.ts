import Database from 'better-sqlite3';
import pg from 'pg';
import { StoreError, UsageError } from '../../errors.js';
import { redactedUrl } from '../postgres/index.js';
import { migratePostgres } from '../postgres/migrate.js';
import { SCHEMA_VERSION } from '../sqlite/migrations/index.js';

/**
 * Every table docs/database.md documents, parents before children (foreign keys hold at each insert).
 * `schema_migrations` is not copied: the target records its own (the same versions).
 */
export const COPIED_TABLES = [
  'scans',
  'sources',
  'scan_sources',
  'scan_collectors',
  'connector_state',
  'identities',
  'grants',
  'credentials',
  'people',
  'reviews',
  'tickets',
  'ticket_syncs',
  'finding_sources',
  'finding_carry',
  'stored_findings',
] as const;

/** Tables whose `id` is an identity column: its sequence must continue after the copied ids. */
const IDENTITY_TABLES = [
  'scans',
  'sources',
  'identities',
  'grants',
  'credentials',
  'people',
  'reviews',
  'ticket_syncs',
];

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters, a few MB of records at most. */
const BATCH_ROWS = 500;

export interface CopyOptions {
  /** Empty a target that holds data first (in the same transaction); otherwise it is refused. */
  replace: boolean;
  /** Called after each batch, for progress. */
  onRows?: (table: string, copied: number) => void;
}

export interface TableCount {
  table: string;
  source: number;
  target: number;
}

/**
 * Copy the whole history of the SQLite store `file` into the PostgreSQL database `url`: every table,
 * row for row (the same ids, so scan numbers stay what people wrote down), read as a stream and written
 * in multi-row batches inside one transaction on the target, so a failure leaves the target as it was.
 * Then compares row counts per table, in the same transaction: a mismatch rolls everything back.
 */
export async function copySqliteToPostgres(
  file: string,
  url: string,
  options: CopyOptions,
): Promise<TableCount[]> {
  const target = redactedUrl(url);
  let source: Database.Database;
  try {
    source = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new UsageError(`--from ${file}: cannot open it as a SQLite database: ${(err as Error).message}`);
  }
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('error', () => {});
  try {
    const version = sqliteVersion(source, file);
    if (version !== SCHEMA_VERSION) {
      throw new UsageError(
        `--from ${file}: schema version ${version}, this grantscope copies version ${SCHEMA_VERSION}; ` +
          (version < SCHEMA_VERSION
            ? 'run a command that writes (`grantscope scan --db <file>`) once to migrate it first'
            : 'upgrade grantscope'),
      );
    }
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw new StoreError(target, `cannot connect: ${(err as Error).message}`, { cause: err });
    }
    try {
      // Creates the schema in an empty database (its own transaction, as every store open does).
      await migratePostgres(client, target, () => new Date());
      await client.query('BEGIN');
      try {
        const held = await rowsHeld(client);
        if (held.length > 0) {
          if (!options.replace) {
            throw new UsageError(
              `--to ${target}: already holds grantscope data (${held.map((h) => `${h.table}: ${h.rows}`).join(', ')}); ` +
                'pass --replace to empty it first, or choose an empty database',
            );
          }
          await client.query(`TRUNCATE ${COPIED_TABLES.join(', ')}`);
        }
        for (const table of COPIED_TABLES) await copyTable(source, client, table, options);
        for (const table of IDENTITY_TABLES) {
          await client.query(
            `SELECT setval(pg_get_serial_sequence('${table}', 'id'), coalesce(max(id), 0) + 1, false) FROM ${table}`,
          );
        }
        const counts: TableCount[] = [];
        for (const table of COPIED_TABLES) {
          const s = (source.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
          const t = Number(
            (await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n,
          );
          counts.push({ table, source: s, target: t });
        }
        const wrong = counts.filter((c) => c.source !== c.target);
        if (wrong.length > 0) {
          throw new StoreError(
            target,
            `row counts differ after copying (${wrong.map((w) => `${w.table}: ${w.source} read, ${w.target} written`).join('; ')}); nothing was kept`,
          );
        }
        await client.query('COMMIT');
        return counts;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    } finally {
      client.release();
    }
  } finally {
    source.close();
    await pool.end().catch(() => {});
  }
}

function sqliteVersion(db: Database.Database, file: string): number {
  try {
    return (
      (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0
    );
  } catch {
    throw new UsageError(`--from ${file}: not a grantscope database (no schema_migrations table)`);
  }
}

async function rowsHeld(client: pg.PoolClient): Promise<Array<{ table: string; rows: number }>> {
  const held: Array<{ table: string; rows: number }> = [];
  for (const table of COPIED_TABLES) {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    const n = Number(rows[0]!.n);
    if (n > 0) held.push({ table, rows: n });
  }
  return held;
}

async function copyTable(
  source: Database.Database,
  client: pg.PoolClient,
  table: string,
  options: CopyOptions,
): Promise<void> {
  const sourceColumns = (source.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map(
    (c) => c.name,
  );
  const { rows } = await client.query<{ column_name: string }>(
    'SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
    [table],
  );
  const targetColumns = new Set(rows.map((r) => r.column_name));
  const missing = sourceColumns.filter((c) => !targetColumns.has(c));
  if (missing.length > 0) {
    throw new StoreError(
      table,
      `the PostgreSQL table lacks columns of the SQLite one: ${missing.join(', ')}`,
    );
  }
  const columns = sourceColumns.map((c) => `"${c}"`).join(', ');
  const order = sourceColumns.includes('id') ? ' ORDER BY id' : '';
  const perBatch = Math.max(1, Math.min(BATCH_ROWS, Math.floor(60_000 / sourceColumns.length)));
  let batch: unknown[][] = [];
  let copied = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const params: unknown[] = [];
    const tuples = batch.map((row) => {
      const slots = row.map((value) => {
        params.push(value);
        return `$${params.length}`;
      });
      return `(${slots.join(', ')})`;
    });
    await client.query(`INSERT INTO ${table} (${columns}) VALUES ${tuples.join(', ')}`, params);
    copied += batch.length;
    batch = [];
    options.onRows?.(table, copied);
  };
  // Streamed: one row at a time from SQLite, at most one batch held.
  for (const row of source.prepare(`SELECT ${columns} FROM ${table}${order}`).raw().iterate()) {
    batch.push(row as unknown[]);
    if (batch.length >= perBatch) await flush();
  }
  await flush();
}
