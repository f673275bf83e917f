import type { SnapshotStore } from './store.js';

/** Open the snapshot store at `location` (a SQLite file path). */
export async function openStore(location: string): Promise<SnapshotStore> {
  const { openSqliteStore } = await import('./sqlite/index.js');
  return openSqliteStore(location);
}
