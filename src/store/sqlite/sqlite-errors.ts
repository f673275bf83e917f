import { StoreCorruptError, StoreError, StoreLockedError } from '../../errors.js';

function sqliteCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/** Maps an error thrown by better-sqlite3 to a typed store error naming the file. */
export function toStoreError(file: string, err: unknown, doing: string): Error {
  if (err instanceof StoreError) return err;
  const code = sqliteCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (code === null) {
    return err instanceof Error ? err : new StoreError(file, `${doing}: ${detail}`);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreLockedError(
      file,
      `${doing}: the database is locked by another process (another grantscope scan?); try again when it has finished`,
      { cause: err },
    );
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreCorruptError(
      file,
      `${doing}: the file is corrupt or not a grantscope database (${detail}); restore it from a backup or choose another file`,
      { cause: err },
    );
  }
  return new StoreError(file, `${doing}: ${detail} (${code})`, { cause: err });
}

/** Runs `fn`, rethrowing SQLite errors as typed store errors. */
export function guard<T>(file: string, doing: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toStoreError(file, err, doing);
  }
}
