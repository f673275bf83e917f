import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { StoreError } from '../../errors.js';
import type { SnapshotStore } from '../store.js';
import { connect } from './connection.js';
import { prepareDatabaseFile, restrictSidecarFiles } from './database-file.js';
import { checkStoreFile, migrate } from './migrations/index.js';
import { ReaderPool } from './reader-pool.js';
import { InlineScanSink } from './scan-sink.js';
import { toStoreError } from './sqlite-errors.js';
import { SqliteSnapshotStore } from './sqlite-store.js';
import { scanThreadAvailable, ThreadScanSink } from './thread-scan-sink.js';

const PAGE_SIZE = 8192;

export interface SqliteStoreOptions {
  /** How long to wait for another process's write lock before failing with StoreLockedError. Default 5 s. */
  busyTimeoutMs?: number;
  /**
   * Page cache of a scan's connection in MiB (default 64). Measured by `npm run bench`: a million
   * grants are still written in ~16 s (256 MiB bought little), and a 50k-service-principal scan peaks
   * about 180 MiB lower.
   */
  scanCacheMiB?: number;
  /**
   * Write scans from a worker thread (default: whenever the compiled worker script is present, i.e.
   * not when running from TypeScript sources). Preparing records and writing them then overlap.
   */
  scanThread?: boolean;
  /** Clock for migration and housekeeping timestamps. */
  now?: () => Date;
  /**
   * Open for reading only (inventory, findings, diff): nothing is written, not even the WAL
   * checkpoint on close, so a database the user may only read works. The schema must be current
   * (a read-only open cannot migrate), and scans cannot begin.
   */
  readOnly?: boolean;
}

/**
 * Opens (creating if needed, mode 0600) a SQLite snapshot store and migrates its schema.
 * Errors: StoreNewerSchemaError (a newer grantscope made it), StoreCorruptError (not a SQLite file,
 * or damaged), StoreLockedError (another process holds the write lock past the busy timeout),
 * StoreError otherwise; each names the file.
 */
export async function openSqliteStore(
  file: string,
  options: SqliteStoreOptions = {},
): Promise<SnapshotStore> {
  return openSqliteStoreSync(file, options);
}

export function openSqliteStoreSync(file: string, options: SqliteStoreOptions = {}): SqliteSnapshotStore {
  const location = resolve(file);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const now = options.now ?? (() => new Date());
  if (options.readOnly) return openReadOnly(location, busyTimeoutMs, now);
  prepareDatabaseFile(location);
  let db: Database.Database | undefined;
  let doing = 'opening the database';
  try {
    db = connect(location, { busyTimeoutMs, cacheMiB: 16 });
    // Before anything writes to it: a SQLite file of another program is refused untouched.
    doing = 'checking the database';
    checkStoreFile(db, location);
    doing = 'switching the database to WAL mode';
    // Only takes effect on a new, empty database. Rows are records of 1-2 KB: 8 KiB pages hold
    // several, where 4 KiB pages would waste a quarter of the file.
    db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    doing = 'migrating the schema';
    migrate(db, location, now);
    restrictSidecarFiles(location);
    const cacheMiB = options.scanCacheMiB ?? 64;
    const threaded = options.scanThread ?? scanThreadAvailable();
    const store = new SqliteSnapshotStore(
      db,
      new ReaderPool(location, busyTimeoutMs),
      location,
      (scanId) => {
        const sinkOptions = { file: location, scanId, busyTimeoutMs, cacheMiB };
        if (threaded) return new ThreadScanSink(sinkOptions);
        const connection = connect(location, { busyTimeoutMs, cacheMiB });
        // As in the scan thread: checkpoints happen outside `complete()` (close, or other commits).
        connection.pragma('wal_autocheckpoint = 0');
        return new InlineScanSink(connection, sinkOptions);
      },
      now,
    );
    doing = 'marking abandoned scans';
    try {
      store.markAbandonedScans(now().toISOString());
    } catch (err) {
      // Another process holds the write lock: the next open will do it; readers already see them as failed.
      if (!String((err as { code?: string }).code).startsWith('SQLITE_BUSY')) throw err;
    }
    return store;
  } catch (err) {
    db?.close();
    throw toStoreError(location, err, doing);
  }
}

function openReadOnly(location: string, busyTimeoutMs: number, now: () => Date): SqliteSnapshotStore {
  prepareDatabaseFile(location, { create: false });
  let db: Database.Database | undefined;
  try {
    db = connect(location, { busyTimeoutMs, cacheMiB: 16, readonly: true });
    checkStoreFile(db, location, { current: true });
    const noScans = () => {
      throw new StoreError(location, 'opened read-only: scans cannot be written');
    };
    return new SqliteSnapshotStore(db, new ReaderPool(location, busyTimeoutMs), location, noScans, now, {
      readOnly: true,
    });
  } catch (err) {
    db?.close();
    if (
      (err as { code?: string }).code === 'SQLITE_READONLY_DIRECTORY' ||
      (err as { code?: string }).code === 'SQLITE_CANTOPEN'
    ) {
      throw new StoreError(
        location,
        'cannot read the database: SQLite needs to create its shared-memory file (-shm) beside it, and the folder is read-only; make the folder writable or copy the database to a writable folder',
        { cause: err },
      );
    }
    throw toStoreError(location, err, 'opening the database read-only');
  }
}
