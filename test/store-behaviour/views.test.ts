import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordKey, type ScanRecord } from '../../src/model/index.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { at, coverage, credential, grant, identity } from '../support/store-records.js';
import { STORE_KINDS, storeFactory } from './store-factory.js';

/**
 * The documented views (docs/database.md) answer the same on both stores: the state at any scan, the
 * current state, readable columns with the model's keys. How SQLite plans them is in
 * src/store/sqlite/views.test.ts.
 */
describe.each(STORE_KINDS)('%s store: documented views', (kind) => {
  const factory = storeFactory(kind);
  let store: SnapshotStore;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  const cov = [coverage({ 'app-installations': 'complete', 'deploy-keys': 'complete' })];
  const sql = (statement: string, params: unknown[] = []) => factory.sql(store, statement, params);
  const column = async (statement: string, params: unknown[] = []) =>
    (await sql(statement, params)).map((r) => Object.values(r)[0]);

  async function scan(day: number, records: ScanRecord[]) {
    const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
    await w.write(records);
    return (await w.complete(cov, at(day, 1))).id;
  }

  it('give the state at any scan, and the current state', async () => {
    const write = { permission: { id: 'contents', name: 'contents', access: 'write' as const } };
    const s1 = await scan(1, [identity('1'), grant('1', 'contents'), grant('1', 'issues')]);
    const s2 = await scan(2, [identity('1'), grant('1', 'contents', write)]);
    const s3 = await scan(3, [identity('1'), grant('1', 'contents', write), grant('1', 'pulls')]);
    const grantsAt = (scanId: number) =>
      sql('SELECT permission_id, access FROM grants_at_scan WHERE scan_id = ? ORDER BY permission_id', [
        scanId,
      ]);
    expect(await grantsAt(s1)).toEqual([
      { permission_id: 'contents', access: 'read' },
      { permission_id: 'issues', access: 'read' },
    ]);
    expect(await grantsAt(s2)).toEqual([{ permission_id: 'contents', access: 'write' }]);
    expect(await grantsAt(s3)).toEqual([
      { permission_id: 'contents', access: 'write' },
      { permission_id: 'pulls', access: 'read' },
    ]);
    expect(await column('SELECT permission_id FROM current_grants ORDER BY 1')).toEqual([
      'contents',
      'pulls',
    ]);
    // "What did scan 3 add?"
    expect(await column('SELECT key FROM grant_versions WHERE valid_from = ?', [s3])).toEqual([
      'github-app-installation:1||pulls||',
    ]);
    expect(await column('SELECT count(*) AS n FROM identities_at_scan WHERE scan_id = ?', [s2])).toEqual([1]);
  });

  it('expose readable columns and the same keys as the model', async () => {
    const records = [
      identity('1', {
        owners: [
          { id: 'a', active: true },
          { id: 'b', active: false },
        ],
      }),
      grant('1', 'contents', {
        principal: { id: 'bob', active: false },
        target: { breadth: 'user', type: 'user', id: 'bob' },
      }),
      grant('1', 'admin', { permission: { id: 'admin', name: 'Admin', resource: 'api', access: 'admin' } }),
      credential('k', '9', { expiresAt: '2026-02-01T00:00:00Z' }),
    ];
    await scan(1, records);
    const keys = [
      ...(await column('SELECT key FROM current_identities')),
      ...(await column('SELECT key FROM current_grants')),
      ...(await column('SELECT key FROM current_credentials')),
    ];
    expect(keys.sort()).toEqual(records.map(recordKey).sort());
    // Flags are 1/0 on both (SQLite has no booleans; PostgreSQL's views say the same).
    expect(
      await sql(
        'SELECT source, kind, native_id, origin, owners, active_owners, publisher_verified FROM current_identities',
      ),
    ).toEqual([
      {
        source: 'github:acme',
        kind: 'github-app-installation',
        native_id: '1',
        origin: 'third-party',
        owners: 2,
        active_owners: 1,
        publisher_verified: 1,
      },
    ]);
    expect(
      await sql(
        "SELECT principal_id, principal_active, target_breadth FROM current_grants WHERE permission_id = 'contents'",
      ),
    ).toEqual([{ principal_id: 'bob', principal_active: 0, target_breadth: 'user' }]);
    expect(
      await column(
        "SELECT native_id FROM current_credentials WHERE expires_at < '2026-03-01' AND credential_type = 'deploy-key'",
      ),
    ).toEqual(['9']);
  });
});
