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
import { GRANTS_DELTA_LINK } from './grants-delta.js';
import connector from './index.js';

/**
 * Delegated grants through Graph's oauth2PermissionGrants delta: the first scan keeps a delta link, the
 * next reads only what changed (a grant added, one widened, one removed in the changed demo tenant) and
 * must store exactly what a full rescan stores.
 */
const WORLD = 'fixtures/worlds/test/m365-demo.yaml';
const CHANGED = 'fixtures/worlds/test/m365-demo-changed.yaml';
const NAME = 'oauth2-permission-grants';

let emu: RunningEmulator;
let dir: string;
let caFile: string;
let tenant: string;
const stores: SnapshotStore[] = [];

async function scan(store: SnapshotStore, fullResync = false) {
  const setup = emu.clientSetup();
  for (const [name, content] of Object.entries(setup.files)) writeFileSync(join(dir, name), content);
  const config = connector.configSchema.parse(setup.config.microsoft365);
  tenant = config.tenantId;
  const cc: ConfiguredConnector = { connector, config, tenant, path: 'microsoft365' };
  emu.resetStats();
  const out = await runTestScan({
    store,
    connectors: [cc],
    configDir: dir,
    caFile,
    fullResync,
  });
  const count = (suffix: string) =>
    emu
      .stats()
      .routes.filter((r) => r.pattern.endsWith(suffix))
      .reduce((n, r) => n + r.count, 0);
  return {
    id: out.scan.id,
    status: out.scan.status,
    coverage: out.coverage[0]!,
    list: count('/oauth2PermissionGrants'),
    delta: count('/oauth2PermissionGrants/delta'),
  };
}

async function snapshot(store: SnapshotStore, scanId: number): Promise<string[]> {
  const out: ModelRecord[] = [];
  for await (const b of store.readSnapshot(scanId)) {
    if (b.identity) out.push(b.identity);
    out.push(...b.grants, ...b.credentials);
  }
  return out.map((r) => canonicalJson(r)).sort();
}

const notes = (c: CoverageReport) => c.collectors.find((k) => k.collector === NAME)!.notes.join('\n');

async function newStore(name: string) {
  const s = await openStore(join(dir, name));
  stores.push(s);
  return s;
}

beforeAll(async () => {
  emu = await startEmulator({ world: WORLD });
  dir = mkdtempSync(join(tmpdir(), 'gs-m365-delta-'));
  caFile = join(dir, 'emulator-ca.pem');
  writeFileSync(caFile, emu.caCert);
}, 30_000);
afterAll(async () => {
  for (const s of stores) await s.close();
  await emu?.stop();
});

describe('microsoft365 oauth2PermissionGrants delta', () => {
  it('reads only the changes with the stored delta link, and stores what a full rescan stores', async () => {
    const incremental = await newStore('incremental.db');
    const full = await newStore('full.db');
    emu.setWorld(WORLD);
    const first = await scan(incremental);
    await scan(full);
    expect(first.status).toBe('complete');
    // The list, plus one request for a link to start from next time.
    expect(first.list).toBeGreaterThan(0);
    expect(first.delta).toBe(1);
    expect(
      (await incremental.readConnectorState(`microsoft365:${tenant}`)).get(GRANTS_DELTA_LINK)?.scanId,
    ).toBe(first.id);

    emu.setWorld(CHANGED);
    const fullRescan = await scan(full, true);
    const rescan = await scan(incremental);
    expect(rescan.status).toBe('complete');
    expect(notes(rescan.coverage)).toMatch(
      /incremental: oauth2PermissionGrants delta since scan #\d+: [1-9]\d* changed, [1-9]\d* removed/,
    );
    expect(notes(fullRescan.coverage)).toMatch(/full read: --full/);
    expect(rescan.list).toBe(0);
    expect(fullRescan.list).toBe(first.list);
    expect(await snapshot(incremental, rescan.id)).toEqual(await snapshot(full, fullRescan.id));

    // Unchanged since: one delta request, nothing new stored.
    const again = await scan(incremental);
    expect(again.list).toBe(0);
    expect(again.delta).toBe(1);
    expect(notes(again.coverage)).toMatch(/: 0 changed, 0 removed/);
    const changed: string[] = [];
    for await (const c of incremental.changesBetween(rescan.id, again.id)) changed.push(`${c.type}:${c.key}`);
    expect(changed).toEqual([]);
  }, 60_000);

  it('reads the list in full when the stored link has expired', async () => {
    const store = await newStore('expired.db');
    emu.setWorld(WORLD);
    const first = await scan(store);
    // A new emulator process on the same origin knows no earlier token: as for an expired one, Graph
    // answers 410 syncStateNotFound.
    const port = emu.port;
    await emu.stop();
    emu = await startEmulator({ world: WORLD, port });
    writeFileSync(caFile, emu.caCert);
    const state = await store.readConnectorState(`microsoft365:${tenant}`);
    expect(state.get(GRANTS_DELTA_LINK)).toBeDefined();
    const again = await scan(store);
    expect(again.status).toBe('complete');
    expect(again.list).toBe(first.list);
    expect(notes(again.coverage)).toMatch(/full read: the delta link of scan #\d+ expired/);
    // A fresh link was kept: the next scan is incremental again.
    const third = await scan(store);
    expect(third.list).toBe(0);
  }, 60_000);

  it('does not advance the link when the delta read fails; the next scan reads in full', async () => {
    const store = await newStore('failing.db');
    emu.setWorld(WORLD);
    const first = await scan(store);
    emu.setWorld(CHANGED);
    emu.faults.add({
      id: 'delta-500',
      path: '^/v1\\.0/oauth2PermissionGrants/delta$',
      action: { kind: 'status', status: 500 },
    });
    let failing: Awaited<ReturnType<typeof scan>>;
    try {
      failing = await scan(store);
    } finally {
      emu.faults.clear('delta-500');
    }
    expect(failing.status).toBe('incomplete');
    expect(failing.coverage.collectors.find((c) => c.collector === NAME)!.status).toBe('failed');
    const source = `microsoft365:${tenant}`;
    expect((await store.readConnectorState(source)).get(GRANTS_DELTA_LINK)?.scanId).toBe(first.id);
    // The link is from before the failed scan: read in full, which sees the changes.
    const next = await scan(store);
    expect(next.status).toBe('complete');
    expect(next.list).toBe(first.list);
    expect(notes(next.coverage)).toMatch(
      /full read: the delta link is from scan #\d+, not the previous scan/,
    );
    expect((await store.readConnectorState(source)).get(GRANTS_DELTA_LINK)?.scanId).toBe(next.id);
  }, 60_000);
});
