import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import { loadWorld, type World } from '../../src/emulator/world.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { type RescanBench, rescanBench } from '../../test/support/emulated-rescans.js';
import { collectorNotes, snapshotRecords } from '../../test/support/store-records.js';
import { decodeIds, encodeIds } from './incremental-hooks.js';
import connector from './index.js';

/**
 * Repository webhooks read incrementally from the GHEC audit log: after a full read, a rescan lists
 * webhooks only for the repositories the log names (or new ones), and stores exactly what a full rescan
 * of the same org stores. Changes are made by switching the emulator's world, which logs them as
 * GitHub would (hook.create, hook.destroy, hook.events_changed, repo.create).
 */
const BASE = loadWorld(new URL('../../fixtures/worlds/test/github-generated.yaml', import.meta.url).pathname);
const DAY = 86_400_000;

type Section = { org: Record<string, unknown>; repos?: unknown[] };

function world(edit: (github: Section) => void): World {
  const w = structuredClone(BASE);
  const github = w.platforms.github as Section;
  edit(github);
  return w;
}

const hook = (id: number, events: string[], at: string) => ({
  id,
  url: `https://hooks.partner.example/${id}`,
  events,
  secret: true,
  created_at: at,
});
const repo = (name: string, id: number, hooks: unknown[]) => ({
  name,
  id,
  created_at: '2026-01-10T00:00:00Z',
  hooks,
});

/** The org before: three named repositories (two with webhooks) besides the generated ones. */
const BEFORE = (ghec: boolean) =>
  world((g) => {
    g.org = { ...g.org, enterprise_cloud: ghec };
    g.repos = [
      repo('alpha', 101, [hook(9001, ['push'], '2026-02-01T00:00:00Z')]),
      repo('beta', 102, [hook(9002, ['push', 'pull_request'], '2026-02-02T00:00:00Z')]),
      repo('gamma', 103, []),
    ];
  });
/** After: alpha's webhook deleted, beta's events narrowed, gamma given one, a new repository with one. */
const AFTER = world((g) => {
  g.org = { ...g.org, enterprise_cloud: true };
  g.repos = [
    repo('alpha', 101, []),
    repo('beta', 102, [hook(9002, ['push'], '2026-02-02T00:00:00Z')]),
    repo('gamma', 103, [hook(9003, ['*'], '2026-03-01T00:00:00Z')]),
    repo('delta', 104, [hook(9004, ['push'], '2026-03-02T00:00:00Z')]),
  ];
});

let bench: RescanBench;
const emu = () => bench.emu;

async function scan(store: SnapshotStore, at: Date, fullResync = false) {
  const out = await bench.scan(store, at, fullResync);
  return {
    ...out,
    hookLists: out.requests('/repos/{owner}/{repo}/hooks'),
    auditLog: out.requests('/audit-log'),
  };
}

const snapshot = (store: SnapshotStore, scanId: number) =>
  snapshotRecords(store, scanId, { platform: 'github', tenant: 'big-corp' });
const notes = (c: CoverageReport) => collectorNotes(c, 'repo-webhooks');

beforeAll(async () => {
  bench = await rescanBench({ world: BEFORE(true), connector, section: 'github', tenant: 'big-corp' });
}, 30_000);
afterAll(() => bench?.close());

describe('github repository webhooks from the audit log', () => {
  it('lists only the repositories the log names, and stores what a full rescan stores', async () => {
    const incremental = await bench.newStore('incremental.db');
    const full = await bench.newStore('full.db');
    emu().setWorld(BEFORE(true));
    const first = await scan(incremental, emu().now);
    await scan(full, emu().now);
    expect(first.status).toBe('complete');
    const repos = first.hookLists;
    expect(repos).toBe(253);
    // The newest hook event is asked for before any webhook is read: the next scan searches from there
    // (this org's webhooks are older than the log's default three months: there is none).
    expect(first.auditLog).toBe(1);

    // Unchanged: the log names no repository; the snapshot is the same.
    const unchanged = await scan(incremental, new Date(emu().now.getTime() + 3_600_000));
    expect(unchanged.status).toBe('complete');
    expect(notes(unchanged.coverage)).toMatch(/incremental: webhooks listed for 0 of 253 repositories/);
    expect(unchanged.hookLists).toBe(0);
    expect(await snapshot(incremental, unchanged.id)).toEqual(await snapshot(incremental, first.id));

    emu().setWorld(AFTER);
    const fullRescan = await scan(full, emu().now, true);
    const rescan = await scan(incremental, new Date(emu().now.getTime() + 2 * 3_600_000));
    expect(rescan.status).toBe('complete');
    expect(notes(fullRescan.coverage)).toMatch(/full read of repository webhooks: --full/);
    expect(fullRescan.hookLists).toBe(254);
    // alpha, beta, gamma (named by hook events) and delta (new): nothing else.
    expect(notes(rescan.coverage)).toMatch(/incremental: webhooks listed for 4 of 254 repositories/);
    expect(rescan.hookLists).toBe(4);
    const after = await snapshot(incremental, rescan.id);
    expect(after).toEqual(await snapshot(full, fullRescan.id));
    expect(after.some((r) => r.includes('big-corp/alpha#9001'))).toBe(false);
    expect(after.some((r) => r.includes('big-corp/delta#9004'))).toBe(true);
    expect(after.some((r) => r.includes('big-corp/beta#9002') && r.includes('event:pull_request'))).toBe(
      false,
    );
  }, 120_000);

  it('reads every repository again once the last full read is more than 7 days old, and on --full', async () => {
    const store = await bench.newStore('aged.db');
    emu().setWorld(BEFORE(true));
    await scan(store, emu().now);
    const aged = await scan(store, new Date(emu().now.getTime() + 8 * DAY));
    expect(notes(aged.coverage)).toMatch(
      /full read of repository webhooks: the last full read .* more than 7 days old/,
    );
    expect(aged.hookLists).toBe(253);
    // The full read starts a new period: the next scan is incremental again.
    // Only the repositories of the newest events (this world's switch back, within the hour the search
    // goes back for late events): alpha, beta, gamma.
    const next = await scan(store, new Date(emu().now.getTime() + 9 * DAY));
    expect(next.hookLists).toBe(3);
    const forced = await scan(store, new Date(emu().now.getTime() + 9 * DAY), true);
    expect(forced.hookLists).toBe(253);
  }, 120_000);

  it('without GitHub Enterprise Cloud (the audit log answers 404) every scan reads every repository, and the log is asked once a period', async () => {
    const store = await bench.newStore('cloudless.db');
    emu().setWorld(BEFORE(false));
    const first = await scan(store, emu().now);
    const second = await scan(store, new Date(emu().now.getTime() + 3_600_000));
    expect(second.status).toBe('complete');
    expect(first.hookLists).toBe(253);
    expect(notes(first.coverage)).toMatch(/the audit log cannot be read \(.*404.*\)/);
    expect(first.auditLog).toBe(1);
    // Not asked again until the next full period: no 404 per scan.
    expect(second.hookLists).toBe(253);
    expect(second.auditLog).toBe(0);
    const later = await scan(store, new Date(emu().now.getTime() + 8 * DAY));
    expect(later.auditLog).toBe(1);
  }, 120_000);

  it('keeps repository ids compactly and reads them back', () => {
    const ids = [10_000_249, 101, 10_000_000, 103, 102, 101];
    const text = encodeIds(ids);
    expect(text).toBe('2t,1,1,5ybyx,6x');
    expect([...decodeIds(text)]).toEqual([101, 102, 103, 10_000_000, 10_000_249]);
  });
});
