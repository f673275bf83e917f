import Database from 'better-sqlite3';

export interface ConnectionOptions {
  busyTimeoutMs: number;
  /** Page cache in MiB. */
  cacheMiB: number;
  readonly?: boolean;
}

/** A connection to an existing store file with the per-connection settings every store connection uses. */
export function connect(file: string, options: ConnectionOptions): Database.Database {
  const db = new Database(file, {
    fileMustExist: true,
    timeout: options.busyTimeoutMs,
    readonly: options.readonly === true,
  });
  try {
    db.pragma(`cache_size = ${-1024 * options.cacheMiB}`);
    if (!options.readonly) {
      // With WAL, NORMAL loses no committed data on a crash of the process, only possibly the last
      // transactions on power loss; the database stays consistent either way.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      // Keep the WAL from staying gigabytes large after a big first scan.
      db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
