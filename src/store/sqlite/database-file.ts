import { chmodSync, closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreCorruptError, StoreError } from '../../errors.js';

/** Owner read/write only: the store holds an inventory of who can reach what. */
export const FILE_MODE = 0o600;

const SQLITE_HEADER = 'SQLite format 3\0';

/**
 * Makes sure `file` can be opened as a store: creates it empty with mode 0600 (before SQLite creates
 * it with the umask's mode), or checks that an existing file starts with the SQLite header so a wrong
 * path gives a clear error instead of SQLite's "file is not a database" on the first query.
 */
export function prepareDatabaseFile(file: string, options: { create?: boolean } = {}): { created: boolean } {
  const dir = dirname(file);
  if (!existsSync(dir))
    throw new StoreError(file, `cannot create the database: directory ${dir} does not exist`);
  let fd: number;
  if (options.create === false) {
    if (!existsSync(file)) throw new StoreError(file, 'no such database');
  } else {
    try {
      fd = openSync(file, 'wx', FILE_MODE);
      closeSync(fd);
      return { created: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StoreError(file, `cannot create the database: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  const stat = statSync(file);
  if (!stat.isFile()) throw new StoreError(file, 'is not a regular file');
  if (stat.size === 0) return { created: false };
  const header = Buffer.alloc(SQLITE_HEADER.length);
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new StoreError(file, `cannot read the database: ${(err as Error).message}`, { cause: err });
  }
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (stat.size < 512 || header.toString('latin1') !== SQLITE_HEADER) {
    throw new StoreCorruptError(
      file,
      'is not a SQLite database (unexpected file header); choose another file or restore it from a backup',
    );
  }
  return { created: false };
}

/** SQLite gives -wal / -shm the database's mode; tighten them anyway in case an older file was looser. */
export function restrictSidecarFiles(file: string): void {
  for (const suffix of ['-wal', '-shm']) {
    try {
      chmodSync(file + suffix, FILE_MODE);
    } catch {
      // Missing, or not ours to change: nothing to tighten.
    }
  }
}
