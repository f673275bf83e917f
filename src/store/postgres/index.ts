import pg from 'pg';
import { StoreError } from '../../errors.js';
import { migratePostgres } from './migrate.js';
import { PostgresSnapshotStore } from './postgres-store.js';

export { PostgresSnapshotStore } from './postgres-store.js';

/** Whether `location` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The URL without its password: what `location`, logs and errors show. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** Opens (and on first use creates the schema of) the PostgreSQL store at `url`. */
export async function openPostgresStore(
  url: string,
  options: { readOnly?: boolean; now?: () => Date } = {},
): Promise<PostgresSnapshotStore> {
  const location = redactedUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const now = options.now ?? (() => new Date());
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new StoreError(location, `cannot connect: ${(err as Error).message}`, { cause: err });
  }
  try {
    await migratePostgres(client, location, now, options);
  } catch (err) {
    client.release();
    await pool.end().catch(() => {});
    if (err instanceof StoreError) throw err;
    throw new StoreError(location, `preparing the schema: ${(err as Error).message}`, { cause: err });
  }
  client.release();
  return new PostgresSnapshotStore(pool, location, now, { readOnly: options.readOnly });
}
