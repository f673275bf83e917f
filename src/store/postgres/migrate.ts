import type pg from 'pg';
import { StoreError, StoreNewerSchemaError } from '../../errors.js';
import { SCHEMA_VERSION } from '../sqlite/migrations/index.js';
import { BASELINE_MIGRATIONS, BASELINE_VERSION, baselineSchema, UPGRADES } from './schema.js';

/** Serialises migrations of one database across processes and machines (any constant key works). */
const MIGRATION_LOCK = 0x47534331;

async function schemaVersion(client: pg.PoolClient): Promise<number | null> {
  const table = await client.query<{ t: string | null }>(
    "SELECT to_regclass('schema_migrations')::text AS t",
  );
  if (table.rows[0]?.t == null) return null;
  const r = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return r.rows[0]?.v ?? 0;
}

/**
 * Brings a PostgreSQL database up to SCHEMA_VERSION: an empty database gets the baseline (versions
 * 1..8 at once), an older one the UPGRADES it lacks; a database of a newer grantscope, or with tables grantscope did not create, is refused.
 * One transaction under an advisory lock, so two processes opening a new database at once do not race.
 */
export async function migratePostgres(
  client: pg.PoolClient,
  location: string,
  now: () => Date,
  options: { readOnly?: boolean } = {},
): Promise<void> {
  if (options.readOnly) {
    const version = await schemaVersion(client);
    checkVersion(location, version ?? 0);
    if ((version ?? 0) < SCHEMA_VERSION) {
      throw new StoreError(
        location,
        (version ?? 0) === 0
          ? 'is empty: no scan has been stored yet; run `grantscope scan` first'
          : `schema version ${version} is older than this grantscope's (${SCHEMA_VERSION}); run a command that writes (\`grantscope scan\`) once to migrate it`,
      );
    }
    return;
  }
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const version = await schemaVersion(client);
    if (version === null) {
      const other = await client.query(
        'SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() LIMIT 1',
      );
      if (other.rowCount) {
        throw new StoreError(
          location,
          'is a PostgreSQL database that grantscope did not create; choose another database',
        );
      }
      await client.query(baselineSchema);
      const at = now().toISOString();
      for (const m of BASELINE_MIGRATIONS) {
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          at,
        ]);
      }
    } else {
      checkVersion(location, version);
      for (const m of UPGRADES) {
        if (m.version <= version) continue;
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          now().toISOString(),
        ]);
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  if (BASELINE_VERSION !== SCHEMA_VERSION) {
    // A SQLite migration was added without its PostgreSQL counterpart: refuse rather than diverge.
    throw new StoreError(
      location,
      `the PostgreSQL schema is at ${BASELINE_VERSION}, this grantscope needs ${SCHEMA_VERSION}`,
    );
  }
}

function checkVersion(location: string, version: number): void {
  if (version > SCHEMA_VERSION) {
    throw new StoreNewerSchemaError(
      location,
      `schema version ${version} was created by a newer grantscope (this one supports up to ${SCHEMA_VERSION}); upgrade grantscope`,
    );
  }
}
