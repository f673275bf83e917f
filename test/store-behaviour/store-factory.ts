/**
 * The stores the behaviour suite runs against: SQLite (a temp file) and PostgreSQL (a database per
 * store on this file's throwaway cluster). `describe.each(STORE_KINDS)` then `const factory =
 * storeFactory(kind)`: `open()` gives a fresh empty store, `reopen()` the same data again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { postgresAvailable, testPostgres } from '../support/postgres.js';

export type StoreKind = 'sqlite' | 'postgres';

/** PostgreSQL only where a server binary exists; the harness warns loudly otherwise. */
export const STORE_KINDS: StoreKind[] = postgresAvailable ? ['sqlite', 'postgres'] : ['sqlite'];
if (!postgresAvailable) void testPostgres();

let databases = 0;
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c();
});

export interface StoreFactory {
  kind: StoreKind;
  /** A new, empty store; its location can be reopened with `reopen`. */
  open(): Promise<SnapshotStore>;
  /** Opens the store at the location of an earlier `open()` again. */
  reopen(location: string, options?: { readOnly?: boolean }): Promise<SnapshotStore>;
}

export function storeFactory(kind: StoreKind): StoreFactory {
  if (kind === 'sqlite') {
    return {
      kind,
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'gs-store-'));
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
        return openSqliteStore(join(dir, 'grantscope.db'));
      },
      reopen: (location, options) => openSqliteStore(location, options),
    };
  }
  const urls = new Map<string, string>();
  return {
    kind,
    async open() {
      const cluster = await testPostgres();
      if (!cluster) throw new Error('no PostgreSQL server binary');
      if (!cleanups.includes(cluster.stop)) cleanups.push(cluster.stop);
      const url = await cluster.createDatabase(`gs_${process.pid}_${++databases}`);
      const store = await openPostgresStore(url);
      urls.set(store.location, url);
      return store;
    },
    reopen: (location, options) => openPostgresStore(urls.get(location) ?? location, options),
  };
}
