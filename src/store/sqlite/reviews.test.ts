import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coverage, identity } from '../../../test/support/store-records.js';
import type { ReviewInput } from '../store.js';
import { openSqliteStore } from './index.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './migrations/index.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gs-reviews-'));
  file = join(dir, 'grantscope.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const subject = { platform: 'github', tenant: 'acme', kind: 'github-app-installation', nativeId: '1' };
function review(over: Partial<ReviewInput> = {}): ReviewInput {
  return {
    ...subject,
    decision: 'keep',
    reviewer: 'alice',
    note: null,
    until: null,
    reviewedAt: '2026-01-01T00:00:00.000Z',
    displayName: 'App 1',
    scanId: null,
    grantsDigest: null,
    ...over,
  };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('reviews in the store', () => {
  it('appends reviews; the newest per identity is in force; history is newest first', async () => {
    const store = await openSqliteStore(file);
    const first = await store.recordReview(review());
    const second = await store.recordReview(
      review({ decision: 'revoke', reviewer: 'bob', note: 'unused', until: '2026-02-01T00:00:00.000Z' }),
    );
    await store.recordReview(review({ nativeId: '2', reviewer: 'carol' }));
    await store.recordReview(review({ tenant: 'other', reviewer: 'dave' }));
    expect(second.id).toBeGreaterThan(first.id);

    const history = await store.reviewHistory(subject);
    expect(history.map((r) => [r.reviewer, r.decision])).toEqual([
      ['bob', 'revoke'],
      ['alice', 'keep'],
    ]);
    expect(history[0]).toEqual(second);

    const latest = await collect(store.latestReviews());
    expect(latest.map((r) => `${r.tenant}/${r.nativeId}:${r.reviewer}`)).toEqual([
      'acme/1:bob',
      'acme/2:carol',
      'other/1:dave',
    ]);
    expect((await collect(store.latestReviews({ tenant: 'other' }))).map((r) => r.reviewer)).toEqual([
      'dave',
    ]);
    await store.close();

    // Read-only stores read them too.
    const ro = await openSqliteStore(file, { readOnly: true });
    expect((await ro.reviewHistory(subject)).length).toBe(2);
    await expect(ro.recordReview(review())).rejects.toThrow(/read-only/);
    await ro.close();
  });

  it('refuses to change or delete a recorded review (evidence trail)', async () => {
    const store = await openSqliteStore(file);
    await store.recordReview(review());
    await store.close();
    const db = new Database(file);
    expect(() => db.prepare("UPDATE reviews SET decision = 'revoke'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM reviews').run()).toThrow(/append-only/);
    expect(() =>
      db
        .prepare(
          "INSERT INTO reviews (platform, tenant, identity_kind, identity_id, decision, reviewer, reviewed_at) VALUES ('g','t','k','i','maybe','x','2026-01-01')",
        )
        .run(),
    ).toThrow(/CHECK/);
    db.close();
  });

  it('stores the governance hash with each scan', async () => {
    const store = await openSqliteStore(file);
    const w = await store.beginScan({
      startedAt: '2026-01-01T00:00:00Z',
      toolVersion: 't',
      governanceHash: 'abc123',
    });
    await w.write([identity('1')]);
    const done = await w.complete([coverage({ 'app-installations': 'complete' })], '2026-01-01T00:01:00Z');
    expect(done.governanceHash).toBe('abc123');
    const w2 = await store.beginScan({ startedAt: '2026-01-02T00:00:00Z', toolVersion: 't' });
    await w2.write([identity('1')]);
    await w2.complete([coverage({ 'app-installations': 'complete' })], '2026-01-02T00:01:00Z');
    expect((await store.listScans()).map((s) => s.governanceHash)).toEqual([null, 'abc123']);
    await store.close();
  });

  it('migrates a database made at schema 2, keeping its scans', async () => {
    // A schema-2 store, as grantscope before reviews left it, with a scan in it.
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    for (const m of MIGRATIONS.filter((x) => x.version <= 2)) {
      raw.exec(m.sql);
      raw
        .prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)')
        .run(m.version, m.name, '2026-01-01T00:00:00Z');
    }
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.pragma('user_version = 2');
    raw
      .prepare(
        "INSERT INTO scans (id, started_at, finished_at, status, tool_version, identities) VALUES (1, '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', 'complete', 'old', 0)",
      )
      .run();
    raw.close();

    // Read-only cannot migrate: it says so.
    await expect(openSqliteStore(file, { readOnly: true })).rejects.toThrow(/schema version 2 is older/);
    const store = await openSqliteStore(file);
    const scans = await store.listScans();
    expect(scans.map((s) => [s.id, s.toolVersion, s.governanceHash])).toEqual([[1, 'old', null]]);
    await store.recordReview(review());
    expect((await store.reviewHistory(subject)).length).toBe(1);
    await store.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(check.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(
      MIGRATIONS.map((m) => m.version),
    );
    check.close();
  });
});
