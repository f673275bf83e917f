import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, coverage, credential, grant, identity } from '../../../test/support/store-records.js';
import { recordKey } from '../../model/index.js';
import type { SnapshotStore } from '../store.js';
import { openSqliteStore } from './open-sqlite-store.js';

let dir: string;
let file: string;
let store: SnapshotStore;
let db: Database.Database;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-store-views-'));
  file = join(dir, 'grantscope.db');
  store = await openSqliteStore(file);
  db = new Database(file, { readonly: true });
});
afterEach(async () => {
  db.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const cov = [coverage({ 'app-installations': 'complete', 'deploy-keys': 'complete' })];

async function scan(
  day: number,
  records: Parameters<Awaited<ReturnType<SnapshotStore['beginScan']>>['write']>[0],
) {
  const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
  await w.write(records);
  return (await w.complete(cov, at(day, 1))).id;
}

describe('SQL views', () => {
  it('give the state at any scan, and the current state', async () => {
    const s1 = await scan(1, [identity('1'), grant('1', 'contents'), grant('1', 'issues')]);
    const s2 = await scan(2, [
      identity('1'),
      grant('1', 'contents', { permission: { id: 'contents', name: 'contents', access: 'write' } }),
    ]);
    const s3 = await scan(3, [
      identity('1'),
      grant('1', 'contents', { permission: { id: 'contents', name: 'contents', access: 'write' } }),
      grant('1', 'pulls'),
    ]);
    const at_ = (scanId: number) =>
      db
        .prepare('SELECT permission_id, access FROM grants_at_scan WHERE scan_id = ? ORDER BY permission_id')
        .all(scanId);
    expect(at_(s1)).toEqual([
      { permission_id: 'contents', access: 'read' },
      { permission_id: 'issues', access: 'read' },
    ]);
    expect(at_(s2)).toEqual([{ permission_id: 'contents', access: 'write' }]);
    expect(at_(s3)).toEqual([
      { permission_id: 'contents', access: 'write' },
      { permission_id: 'pulls', access: 'read' },
    ]);
    expect(db.prepare('SELECT permission_id FROM current_grants ORDER BY 1').pluck().all()).toEqual([
      'contents',
      'pulls',
    ]);
    // "What did scan 3 add?"
    expect(db.prepare('SELECT key FROM grant_versions WHERE valid_from = ?').pluck().all(s3)).toEqual([
      'github-app-installation:1||pulls||',
    ]);
    expect(db.prepare('SELECT count(*) FROM identities_at_scan WHERE scan_id = ?').pluck().get(s2)).toBe(1);
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
      ...db.prepare('SELECT key FROM current_identities').pluck().all(),
      ...db.prepare('SELECT key FROM current_grants').pluck().all(),
      ...db.prepare('SELECT key FROM current_credentials').pluck().all(),
    ];
    expect(keys.sort()).toEqual(records.map(recordKey).sort());
    expect(
      db
        .prepare(
          'SELECT source, kind, native_id, origin, owners, active_owners, publisher_verified FROM current_identities',
        )
        .get(),
    ).toEqual({
      source: 'github:acme',
      kind: 'github-app-installation',
      native_id: '1',
      origin: 'third-party',
      owners: 2,
      active_owners: 1,
      publisher_verified: 1,
    });
    expect(
      db
        .prepare(
          "SELECT principal_id, principal_active, target_breadth FROM current_grants WHERE permission_id = 'contents'",
        )
        .get(),
    ).toEqual({ principal_id: 'bob', principal_active: 0, target_breadth: 'user' });
    expect(
      db
        .prepare(
          "SELECT native_id FROM current_credentials WHERE expires_at < '2026-03-01' AND credential_type = 'deploy-key'",
        )
        .pluck()
        .all(),
    ).toEqual(['9']);
  });

  it.each(['grants_at_scan', 'identities_at_scan', 'credentials_at_scan'])(
    '%s is read through indexes when filtered on scan_id',
    (view) => {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN SELECT * FROM ${view} WHERE scan_id = 12`)
        .all()
        .map((r) => (r as { detail: string }).detail);
      expect(plan.some((d) => /SEARCH ss USING PRIMARY KEY \(scan_id=\?\)/.test(d))).toBe(true);
      expect(
        plan.some((d) => /SEARCH v USING INDEX \w+_added \(source_id=\? AND valid_from<\?\)/.test(d)),
      ).toBe(true);
      expect(plan.some((d) => /^SCAN (v|ss)\b/.test(d))).toBe(false);
    },
  );

  it('current views read the open-versions index', () => {
    const plan = db
      .prepare('EXPLAIN QUERY PLAN SELECT * FROM current_grants')
      .all()
      .map((r) => (r as { detail: string }).detail);
    expect(plan).toContain('SCAN v USING INDEX grants_open');
  });
});
