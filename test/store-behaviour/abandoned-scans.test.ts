import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCAN_STALE_MS } from '../../src/store/scan-heartbeat.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { at, coverage, identity } from '../support/store-records.js';
import { STORE_KINDS, storeFactory } from './store-factory.js';

/**
 * A scan whose process died on another host (the pid cannot be checked there): its heartbeat
 * (schema 8) goes stale, and a later scan, open or read marks it failed, saying why. A scan that still
 * beats, and a store's own running scan, are left alone.
 */
describe.each(STORE_KINDS)('%s store: abandoned scans', (kind) => {
  const factory = storeFactory(kind);
  let store: SnapshotStore;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

  /** A `running` scan as a process on `host` left it, its last heartbeat `msAgo` ago. */
  async function runningScanOf(host: string, msAgo: number): Promise<number> {
    const [row] = await factory.sql(
      store,
      `INSERT INTO scans (started_at, status, tool_version, writer_pid, writer_host, heartbeat_at)
       VALUES (?, 'running', 't', 4242, ?, ?) RETURNING id`,
      [at(2), host, iso(msAgo)],
    );
    return row!.id as number;
  }

  const stored = async (id: number) =>
    (await factory.sql(store, 'SELECT status, failure FROM scans WHERE id = ?', [id]))[0];

  it('stamps a heartbeat on a running scan', async () => {
    const w = await store.beginScan({ startedAt: at(1), toolVersion: 't' });
    const row = (await factory.sql(store, 'SELECT heartbeat_at FROM scans WHERE id = ?', [w.scanId]))[0]!;
    expect(Date.now() - Date.parse(String(row.heartbeat_at))).toBeLessThan(SCAN_STALE_MS);
    // Its own store does not take it for abandoned.
    expect((await store.getScan(w.scanId))?.status).toBe('running');
    await w.write([identity('1')]);
    await w.complete([coverage({ 'app-installations': 'complete', 'deploy-keys': 'complete' })], at(1, 5));
    expect((await store.getScan(w.scanId))?.status).toBe('complete');
  });

  it('marks a scan of another host failed once its heartbeat is stale, when the next scan begins', async () => {
    const dead = await runningScanOf('elsewhere.example', SCAN_STALE_MS + 60_000);
    const live = await runningScanOf('elsewhere.example', 1_000);
    const next = await store.beginScan({ startedAt: at(3), toolVersion: 't' });
    await next.abort('test over', at(3, 1));
    expect(await stored(dead)).toEqual({
      status: 'failed',
      failure: expect.stringMatching(
        /^abandoned: no heartbeat from process 4242 on elsewhere\.example since \d{4}-\d\d-\d\dT.*; its writes were rolled back$/,
      ),
    });
    // Still beating: another machine's scan in progress is not touched.
    expect(await stored(live)).toEqual({ status: 'running', failure: null });
    expect((await store.listScans({ status: ['running'] })).map((s) => s.id)).toEqual([live]);
  });

  it('marks it when a later process opens the store and reads, without a scan', async () => {
    const location = store.location;
    await store.close();
    store = await factory.reopen(location);
    const dead = await runningScanOf('elsewhere.example', SCAN_STALE_MS + 60_000);
    await store.close();
    // SQLite marks on open; PostgreSQL on open's first read of scans.
    store = await factory.reopen(location);
    expect((await store.getScan(dead))?.status).toBe('failed');
    expect((await stored(dead))?.status).toBe('failed');
  });
});

describe.runIf(STORE_KINDS.includes('postgres'))('postgres store: schema 8 upgrade', () => {
  const factory = storeFactory('postgres');

  it('adds heartbeat_at to a database created at schema 7, and stamps running scans from their start', async () => {
    let store = await factory.open();
    await factory.sql(store, 'ALTER TABLE scans DROP COLUMN heartbeat_at');
    await factory.sql(store, 'ALTER TABLE finding_sources DROP COLUMN analysis_inputs');
    await factory.sql(store, 'ALTER TABLE finding_sources DROP COLUMN analysis_as_of');
    await factory.sql(store, 'DROP TABLE finding_carry');
    await factory.sql(store, 'DELETE FROM schema_migrations WHERE version >= 8');
    await factory.sql(
      store,
      "INSERT INTO scans (started_at, status, tool_version, writer_pid, writer_host) VALUES (?, 'running', 'old', 1, 'elsewhere.example')",
      [at(2)],
    );
    const location = store.location;
    await store.close();
    store = await factory.reopen(location);
    try {
      expect(await factory.sql(store, 'SELECT max(version) AS v FROM schema_migrations')).toEqual([
        { v: 11 },
      ]);
      // The old scan's start counts as its last heartbeat: long stale, so the next read marks it failed.
      const [old] = await store.listScans({ limit: 1 });
      expect(old).toMatchObject({ status: 'failed' });
      expect((await factory.sql(store, 'SELECT heartbeat_at FROM scans'))[0]).toEqual({
        heartbeat_at: at(2),
      });
    } finally {
      await store.close();
    }
  });
});
