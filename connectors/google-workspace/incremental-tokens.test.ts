import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfiguredConnector } from '../../src/config/config.js';
import type { CoverageReport } from '../../src/connector/coverage.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import type { ModelRecord } from '../../src/model/index.js';
import { canonicalJson } from '../../src/model/record.js';
import { openStore } from '../../src/store/open.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { runTestScan } from '../../test/support/test-scan.js';
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

let emu: RunningEmulator;
let dir: string;
let caFile: string;
const stores: SnapshotStore[] = [];

async function scan(store: SnapshotStore, at: Date, fullResync = false) {
  const setup = emu.clientSetup();
  for (const [name, content] of Object.entries(setup.files)) writeFileSync(join(dir, name), content);
  const cc: ConfiguredConnector = {
    connector,
    config: connector.configSchema.parse(setup.config['google-workspace']),
    tenant: TENANT,
    path: 'google-workspace',
  };
  emu.resetStats();
  const out = await runTestScan({
    store,
    connectors: [cc],
    configDir: dir,
    caFile,
    clock: { now: () => new Date(at), sleep: async () => {} },
    fullResync,
  });
  const tokensList = emu
    .stats()
    .routes.filter((r) => r.pattern.endsWith('/tokens'))
    .reduce((n, r) => n + r.count, 0);
  return {
    id: out.scan.id,
    status: out.scan.status,
    coverage: out.coverage[0]!,
    tokensList,
    total: emu.stats().total,
  };
}

async function snapshot(store: SnapshotStore, scanId: number): Promise<string[]> {
  const out: ModelRecord[] = [];
  for await (const b of store.readSnapshot(scanId, { platform: 'google-workspace', tenant: TENANT })) {
    if (b.identity) out.push(b.identity);
    out.push(...b.grants, ...b.credentials);
  }
  return out.map((r) => canonicalJson(r)).sort();
}

const notes = (c: CoverageReport, collector: string) =>
  c.collectors.find((k) => k.collector === collector)!.notes.join('\n');

async function newStore(name: string) {
  const s = await openStore(join(dir, name));
  stores.push(s);
  return s;
}

beforeAll(async () => {
  emu = await startEmulator({ world: WORLD });
  dir = mkdtempSync(join(tmpdir(), 'gs-incremental-'));
  caFile = join(dir, 'emulator-ca.pem');
  writeFileSync(caFile, emu.caCert);
}, 30_000);
afterAll(async () => {
  for (const s of stores) await s.close();
  await emu?.stop();
});

describe('google-workspace incremental tokens.list', () => {
  it('rescans only the users with token events, and stores what a full rescan stores', async () => {
    const incremental = await newStore('incremental.db');
    const full = await newStore('full.db');
    const earlier = new Date(emu.now.getTime() - 4 * DAY);
    emu.setWorld(WORLD);
    const first = await scan(incremental, earlier);
    await scan(full, earlier);
    expect(first.status).toBe('complete');
    expect(notes(first.coverage, 'oauth-grants')).not.toMatch(/incremental/);
    const users = first.tokensList;
    expect(users).toBeGreaterThan(5);

    emu.setWorld(CHANGED);
    const fullRescan = await scan(full, emu.now, true);
    const rescan = await scan(incremental, emu.now);
    expect(rescan.status).toBe('complete');
    expect(notes(fullRescan.coverage, 'oauth-grants')).toMatch(/full read: --full/);
    expect(notes(rescan.coverage, 'oauth-grants')).toMatch(/incremental: tokens\.list for 2 of \d+ users/);
    // Chen (a grant added, one widened) and Ben (a revoke): everyone else's grants come from the store.
    expect(rescan.tokensList).toBe(2);
    expect(fullRescan.tokensList).toBe(users);
    expect(await snapshot(incremental, rescan.id)).toEqual(await snapshot(full, fullRescan.id));

    // Nothing changed since: no one is listed again, and nothing new is stored.
    const unchanged = await scan(incremental, new Date(emu.now.getTime() + 2 * 3_600_000));
    expect(unchanged.tokensList).toBe(0);
    expect(unchanged.total).toBeLessThan(rescan.total);
    const changed: string[] = [];
    for await (const c of incremental.changesBetween(rescan.id, unchanged.id))
      changed.push(`${c.type}:${c.key}`);
    expect(changed).toEqual([]);
  }, 60_000);

  it('reads everyone when the last read is older than seven days', async () => {
    const store = await newStore('stale.db');
    emu.setWorld(WORLD);
    const first = await scan(store, new Date(emu.now.getTime() - 8 * DAY));
    const again = await scan(store, emu.now);
    expect(again.tokensList).toBe(first.tokensList);
    expect(notes(again.coverage, 'oauth-grants')).toMatch(/more than 7 days old/);
  }, 60_000);
});
