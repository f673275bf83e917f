import type { SnapshotStore } from './store.js';

export interface OpenStoreOptions {
  /** Read only (inventory, findings, diff): writes nothing, so a database the user may only read works. */
  readOnly?: boolean;
}

/**
 * Open the snapshot store at `location`: a `postgres://` / `postgresql://` URL opens the PostgreSQL
 * store (docs/database.md, "PostgreSQL"), anything else is a SQLite file path.
 */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<SnapshotStore> {
  if (/^postgres(ql)?:\/\//i.test(location)) {
    const { openPostgresStore } = await import('./postgres/index.js');
    return openPostgresStore(location, options);
  }
  const { openSqliteStore } = await import('./sqlite/index.js');
  return openSqliteStore(location, options);
}

/** What `grantscope doctor` reports of the database at `location`, read without changing it. */
export async function inspectStore(
  location: string,
): Promise<import('./sqlite/inspect-store-file.js').StoreFileStatus> {
  const { inspectStoreFile } = await import('./sqlite/inspect-store-file.js');
  return inspectStoreFile(location);
}
