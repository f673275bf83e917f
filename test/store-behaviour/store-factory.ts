/**
 * The stores the behaviour suite runs against: SQLite (a temp file) and PostgreSQL (a database per
 * store on this file's throwaway cluster). `describe.each(STORE_KINDS)` then `const factory =
 * storeFactory(kind)`: `open()` gives a fresh empty store, `reopen()` the same data again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
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
  /**
   * Runs one SQL statement on a connection of its own (as another process would), `?` placeholders,
   * and returns its rows (integers as numbers on both). For what the interface does not show: stored
   * rows, the documented views, another reader's view of a running scan.
   */
  sql(store: SnapshotStore, statement: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

/** PostgreSQL's `$1, $2, …` for SQLite's `?`. */
const numbered = (statement: string) => {
  let n = 0;
  return statement.replace(/\?/g, () => `$${++n}`);
};

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
      async sql(store, statement, params = []) {
        const db = new Database(store.location);
        try {
          const stmt = db.prepare(statement);
          if (stmt.reader) return stmt.all(...params) as Record<string, unknown>[];
          stmt.run(...params);
          return [];
        } finally {
          db.close();
        }
      },
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
    async sql(store, statement, params = []) {
      const client = new pg.Client({
        connectionString: urls.get(store.location) ?? store.location,
        // count(*) and BIGINT ids come back as numbers, as SQLite gives them.
        types: {
          getTypeParser: (oid, format) =>
            oid === 20 || oid === 1700 ? Number : pg.types.getTypeParser(oid, format),
        },
      });
      await client.connect();
      try {
        return (await client.query(numbered(statement), params)).rows;
      } finally {
        await client.end();
      }
    },
  };
}
