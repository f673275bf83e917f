import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, coverage, credential, grant, identity } from '../../../test/support/store-records.js';
import type { SnapshotStore } from '../store.js';
import { openSqliteStore } from './open-sqlite-store.js';

let dir: string;
let store: SnapshotStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-store-bytes-'));
  store = await openSqliteStore(join(dir, 'grantscope.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every byte the store left in its directory (database, WAL, shared memory). */
function storedBytes(): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('\n');
}

describe('what lands in the database file', () => {
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
      await store.close();
      const bytes = storedBytes();
      expect(bytes).toContain(written);
      expect(bytes).not.toContain(envSecret);
      expect(bytes).not.toContain(hidden);
    } finally {
      delete process.env.GS_TEST_TOKEN;
    }
  });
});
