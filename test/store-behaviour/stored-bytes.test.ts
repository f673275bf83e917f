import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SnapshotStore } from '../../src/store/store.js';
import { at, coverage, credential, grant, identity } from '../support/store-records.js';
import { STORE_KINDS, storeFactory } from './store-factory.js';

/**
 * What lands in the database is what the store is given, and nothing else the process holds. SQLite:
 * every byte of the files in the database's folder (database, WAL, shared memory). PostgreSQL: every
 * row of every table in grantscope's schema, as text (the server's own files hold those rows, plus WAL
 * of the same statements).
 *
 * How much an unchanged snapshot adds is asserted in rows, on both stores (scans.test.ts, "writes no
 * new version rows when nothing changed"; people.test.ts): bytes are no measure on PostgreSQL, whose
 * relation sizes move with MVCC (every scan updates its `scans` row), page granularity and autovacuum.
 */
describe.each(STORE_KINDS)('%s store: stored bytes', (kind) => {
  const factory = storeFactory(kind);
  let store: SnapshotStore;
  let closed = false;
  beforeEach(async () => {
    store = await factory.open();
    closed = false;
  });
  afterEach(async () => {
    if (!closed) await store.close();
  });

  async function storedText(): Promise<string> {
    if (kind === 'sqlite') {
      const dir = dirname(store.location);
      return readdirSync(dir)
        .map((f) => readFileSync(`${dir}/${f}`).toString('latin1'))
        .join('\n');
    }
    const tables = await factory.sql(
      store,
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    );
    expect(tables.length).toBeGreaterThan(10);
    const out: string[] = [];
    for (const { t } of tables) {
      for (const row of await factory.sql(store, `SELECT x::text AS r FROM "${String(t)}" AS x`))
        out.push(String(row.r));
    }
    return out.join('\n');
  }

  it('is what the store is given, and nothing else from the process', async () => {
    // Secrets the process holds but never passes to the store.
    const envSecret = `env-secret-${Math.random().toString(36).slice(2)}`;
    process.env.GS_TEST_TOKEN = envSecret;
    const hidden = `hidden-${Math.random().toString(36).slice(2)}`;
    const written = `written-${Math.random().toString(36).slice(2)}`;
    const rec = credential('k', '1', { raw: { title: written, secretText: '[redacted]' } });
    // Properties JSON does not carry (non-enumerable, symbol-keyed) are not stored either.
    Object.defineProperty(rec, 'clientSecret', { value: hidden, enumerable: false });
    (rec as unknown as Record<symbol, string>)[Symbol('token')] = hidden;
    try {
      const w = await store.beginScan({ startedAt: at(1), toolVersion: 't' });
      await w.write([
        identity('k', { kind: 'deploy-key', collector: 'deploy-keys' }),
        rec,
        grant('1', 'contents'),
      ]);
      await w.complete([coverage({ 'app-installations': 'complete', 'deploy-keys': 'complete' })], at(1, 1));
      if (kind === 'sqlite') {
        // Closed first, so that the WAL is folded into the file that is read.
        await store.close();
        closed = true;
      }
      const bytes = await storedText();
      expect(bytes).toContain(written);
      expect(bytes).not.toContain(envSecret);
      expect(bytes).not.toContain(hidden);
    } finally {
      delete process.env.GS_TEST_TOKEN;
    }
  });
});
