import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDatabaseUrl } from '../config/database-location.js';
import { describeError, UsageError } from '../errors.js';
import type { Logger } from '../log/logger.js';

/** Overrides where the response journals of a PostgreSQL database are kept (a writable volume). */
export const JOURNAL_DIR_ENV = 'GRANTSCOPE_JOURNAL_DIR';

/**
 * Where a scan's response journal and ETag validators live (scan-journal.ts): beside a SQLite file,
 * `<database>.journal/`. A PostgreSQL database has no file to sit beside, and its scans may be run from
 * several machines, so each machine keeps the journals of the scans *it* ran in a local directory named
 * after the database (server, port, name and a hash of the URL without its credentials), under
 * `$GRANTSCOPE_JOURNAL_DIR` or else the config file's folder: `postgres-db.internal-5432-grantscope-1a2b3c4d.journal/`.
 * Scan ids are the shared database's, so a journal names its scan unambiguously on every machine.
 * Null for an in-memory database.
 */
export function journalDirFor(
  database: string,
  configDir: string,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  if (isDatabaseUrl(database)) {
    const base = env[JOURNAL_DIR_ENV]?.trim() || configDir;
    return join(resolve(base), `${postgresSlug(database)}.journal`);
  }
  return database === ':memory:' || database === '' ? null : `${database}.journal`;
}

/** `postgres-<host>-<port>-<database>-<8 hex>`: readable, one per database, no credentials in it. */
function postgresSlug(url: string): string {
  const u = new URL(url);
  const host = u.hostname || 'localhost';
  const port = u.port || '5432';
  const name = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
  // The identity of the database: where it is and what it is called, not who connects to it.
  const identity = `${host.toLowerCase()}:${port}/${name}`;
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, 8);
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `postgres-${safe(host)}-${port}-${safe(name)}-${hash}`;
}

/**
 * The journal directory `journalDirFor` names, created (0700) if need be. A SQLite database's is
 * always usable (its folder is writable, or the store is not). A PostgreSQL database's may not be (a
 * read-only config volume): the scan then goes without a journal, saying so once; with `--resume`,
 * which needs it, that is an error naming the directory and the variable to set.
 */
export function usableJournalDir(
  database: string,
  configDir: string,
  logger: Logger,
  resuming: boolean,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const dir = journalDirFor(database, configDir, env);
  if (dir === null || !isDatabaseUrl(database)) return dir;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
    return dir;
  } catch (err) {
    const why = `the response journal directory ${dir} cannot be written (${describeError(err)}); set ${JOURNAL_DIR_ENV} to a writable directory`;
    if (resuming) throw new UsageError(`--resume: ${why}`);
    logger.warn(`${why}: this scan keeps no journal, so it cannot be resumed`);
    return null;
  }
}
