import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { APPLICATION_ID, SCHEMA_VERSION } from './migrations/index.js';

/** What `grantscope doctor` learns of a database file without changing it. */
export type StoreFileStatus =
  /** No file yet: the first scan creates it (`writable`: whether its folder lets it). */
  | { kind: 'absent'; writable: boolean; folder: string }
  | {
      kind: 'store';
      /** The schema version in the file and this build's. */
      version: number;
      current: number;
      /** Whether this process may write the file and its folder (SQLite's -wal and -shm files go there). */
      writable: boolean;
      scans: number;
    }
  /** A SQLite file grantscope did not create, or not SQLite at all, or unreadable: `reason` says which. */
  | { kind: 'foreign'; reason: string };

function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Read the file's header pragmas read-only; writes nothing, migrates nothing. */
export function inspectStoreFile(file: string): StoreFileStatus {
  const folder = dirname(file);
  if (!existsSync(file)) return { kind: 'absent', writable: existsSync(folder) && canWrite(folder), folder };
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    return { kind: 'foreign', reason: `cannot be opened: ${(err as Error).message}` };
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    const appId = db.pragma('application_id', { simple: true }) as number;
    const hasTables =
      db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' LIMIT 1").get() !== undefined;
    if (version === 0 ? hasTables : appId !== APPLICATION_ID)
      return { kind: 'foreign', reason: 'is a SQLite database that grantscope did not create' };
    const scans =
      version === 0
        ? 0
        : ((db.prepare('SELECT count(*) FROM scans').pluck().get() as number | undefined) ?? 0);
    return {
      kind: 'store',
      version,
      current: SCHEMA_VERSION,
      writable: canWrite(file) && canWrite(folder),
      scans,
    };
  } catch (err) {
    return { kind: 'foreign', reason: `is not a readable SQLite database: ${(err as Error).message}` };
  } finally {
    db.close();
  }
}
