import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotStore } from '../../src/store/store.js';
import { type RescanBench, rescanBench } from '../../test/support/emulated-rescans.js';
import { collectorNotes, snapshotRecords } from '../../test/support/store-records.js';
import connector from './index.js';

/**
 * Incremental rescans: tokens.list only for users with token events since the last scan. The domain is
 * scanned four days before the world's time, then changes (a grant added, one widened, one revoked, all
 * within those four days). The incremental rescan must store exactly what a full rescan stores, with far
 * fewer tokens.list calls; an unchanged rescan then lists no one.
 */
const WORLD = 'fixtures/worlds/test/google-workspace.yaml';
const CHANGED = 'fixtures/worlds/test/google-workspace-changed.yaml';
const TENANT = 'C03acme7x';
const DAY = 86_400_000;

let bench: RescanBench;

async function scan(store: SnapshotStore, at: Date, fullResync = false) {
  const out = await bench.scan(store, at, fullResync);
  return { ...out, tokensList: out.requests('/tokens') };
}

const snapshot = (store: SnapshotStore, scanId: number) =>
  snapshotRecords(store, scanId, { platform: 'google-workspace', tenant: TENANT });
const notes = collectorNotes;

beforeAll(async () => {
  bench = await rescanBench({ world: WORLD, connector, section: 'google-workspace', tenant: TENANT });
}, 30_000);
afterAll(() => bench?.close());

describe('google-workspace incremental tokens.list', () => {
  it('rescans only the users with token events, and stores what a full rescan stores', async () => {
    const incremental = await bench.newStore('incremental.db');
    const full = await bench.newStore('full.db');
    const earlier = new Date(bench.emu.now.getTime() - 4 * DAY);
    bench.emu.setWorld(WORLD);
    const first = await scan(incremental, earlier);
    await scan(full, earlier);
    expect(first.status).toBe('complete');
    expect(notes(first.coverage, 'oauth-grants')).not.toMatch(/incremental/);
    const users = first.tokensList;
    expect(users).toBeGreaterThan(5);

    bench.emu.setWorld(CHANGED);
    const fullRescan = await scan(full, bench.emu.now, true);
    const rescan = await scan(incremental, bench.emu.now);
    expect(rescan.status).toBe('complete');
    expect(notes(fullRescan.coverage, 'oauth-grants')).toMatch(/full read: --full/);
    expect(notes(rescan.coverage, 'oauth-grants')).toMatch(/incremental: tokens\.list for 2 of \d+ users/);
    // Chen (a grant added, one widened) and Ben (a revoke): everyone else's grants come from the store.
    expect(rescan.tokensList).toBe(2);
    expect(fullRescan.tokensList).toBe(users);
    expect(await snapshot(incremental, rescan.id)).toEqual(await snapshot(full, fullRescan.id));

    // Nothing changed since: no one is listed again, and nothing new is stored.
    const unchanged = await scan(incremental, new Date(bench.emu.now.getTime() + 2 * 3_600_000));
    expect(unchanged.tokensList).toBe(0);
    expect(unchanged.total).toBeLessThan(rescan.total);
    const changed: string[] = [];
    for await (const c of incremental.changesBetween(rescan.id, unchanged.id))
      changed.push(`${c.type}:${c.key}`);
    expect(changed).toEqual([]);
  }, 60_000);

  it('reads everyone when the last read is older than seven days', async () => {
    const store = await bench.newStore('stale.db');
    bench.emu.setWorld(WORLD);
    const first = await scan(store, new Date(bench.emu.now.getTime() - 8 * DAY));
    const again = await scan(store, bench.emu.now);
    expect(again.tokensList).toBe(first.tokensList);
    expect(notes(again.coverage, 'oauth-grants')).toMatch(/more than 7 days old/);
  }, 60_000);
});
