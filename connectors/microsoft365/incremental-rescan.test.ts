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
import { GRANTS_DELTA_LINK, GRANTS_UNRECORDED } from './grants-delta.js';
import connector from './index.js';
import { OWNERS_AUDIT_CURSOR, OWNERS_DELETED, OWNERS_USERS_DELTA_LINK } from './owners-incremental.js';
import { SERVICE_PRINCIPALS_DELTA_LINK } from './service-principals-delta.js';

/**
 * Owners on a rescan: read again only where the audit log (owner added or removed), users delta (an
 * owner disabled or deleted) or the service principal list (a new one) says they may have changed,
 * carried from the previous snapshot elsewhere. Each change must show in the rescan exactly as a full
 * read of the changed tenant shows it; the fallbacks read in full and say why.
 */
const TENANT = '7d0b6a52-3c1e-4f8a-9b2d-5e6f7a8b9c0d';
const U = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const SP = (n: number) => `10000000-0000-4000-8000-00000000000${n}`;
const APP_ID = (n: number) => `30000000-0000-4000-8000-00000000000${n}`;
const OWN_APP = '40000000-0000-4000-8000-000000000001';
const OWN_APP_ID = '50000000-0000-4000-8000-000000000001';
const OWN_SP = '60000000-0000-4000-8000-000000000001';
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const VENDOR = '8e422e70-b829-4245-8f87-6c50f2844aeb';

interface Shape {
  users: Array<{ n: number; enabled?: boolean }>;
  /** Service principal n → owner user numbers. */
  owners: Record<number, number[]>;
  ownAppOwners: number[];
  permissions?: string[];
  /** Delegated grants on Microsoft Graph: client SP number, scope (may be empty). */
  grants?: Array<{ id: string; client: number; scope: string }>;
  /** Service principal n → display name (default `Vendor app n`). */
  names?: Record<number, string>;
  /** Application permissions on Microsoft Graph: client SP number, role value. */
  appRoles?: Array<{ client: number; role: string }>;
}

const BASE: Shape = {
  users: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }],
  owners: { 1: [1], 2: [2, 3], 3: [4] },
  ownAppOwners: [1],
};

function world(name: string, shape: Shape): string {
  const section = {
    tenant: { id: TENANT, displayName: 'Fabrikam', defaultDomain: 'fabrikam.example' },
    scanner: {
      appId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
      permissions: shape.permissions ?? ['Application.Read.All', 'Directory.Read.All', 'AuditLog.Read.All'],
    },
    users: shape.users.map((u) => ({
      id: U(u.n),
      displayName: `User ${u.n}`,
      userPrincipalName: `user${u.n}@fabrikam.example`,
      accountEnabled: u.enabled ?? true,
    })),
    servicePrincipals: [
      ...Object.entries(shape.owners).map(([n, owners]) => ({
        id: SP(Number(n)),
        appId: APP_ID(Number(n)),
        displayName: shape.names?.[Number(n)] ?? `Vendor app ${n}`,
        appOwnerOrganizationId: VENDOR,
        owners: owners.map(U),
      })),
      { id: OWN_SP, appId: OWN_APP_ID, displayName: 'Own app', appOwnerOrganizationId: TENANT, owners: [] },
    ],
    oauth2PermissionGrants: (shape.grants ?? []).map((g) => ({
      id: g.id,
      clientId: SP(g.client),
      resourceAppId: GRAPH_APP_ID,
      consentType: 'AllPrincipals',
      scope: g.scope,
    })),
    appRoleAssignments: (shape.appRoles ?? []).map((a) => ({
      principalId: SP(a.client),
      resourceAppId: GRAPH_APP_ID,
      appRole: a.role,
    })),
    applications: [
      { id: OWN_APP, appId: OWN_APP_ID, displayName: 'Own app', owners: shape.ownAppOwners.map(U) },
    ],
  };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify({ name, microsoft365: section }));
  return file;
}

let emu: RunningEmulator;
let dir: string;
let caFile: string;
const stores: SnapshotStore[] = [];

async function scan(store: SnapshotStore, options: { fullResync?: boolean; shiftDays?: number } = {}) {
  const setup = emu.clientSetup();
  for (const [name, content] of Object.entries(setup.files)) writeFileSync(join(dir, name), content);
  const config = connector.configSchema.parse(setup.config.microsoft365);
  const cc: ConfiguredConnector = { connector, config, tenant: config.tenantId, path: 'microsoft365' };
  const shift = (options.shiftDays ?? 0) * 86_400_000;
  emu.resetStats();
  const out = await runTestScan({
    store,
    connectors: [cc],
    configDir: dir,
    caFile,
    clock: { now: () => new Date(Date.now() + shift), sleep: async () => {} },
    fullResync: options.fullResync ?? false,
  });
  const coverage = out.coverage[0]!;
  const owners = coverage.collectors.find((c) => c.collector === 'owners')!;
  const served = (pattern: string) =>
    emu
      .stats()
      .routes.filter((r) => r.method === 'GET' && r.pattern.endsWith(pattern))
      .reduce((n, r) => n + r.count, 0);
  return {
    id: out.scan.id,
    /** Requests the emulator served: the service principal list's pages, its delta's. */
    spList: served('/servicePrincipals'),
    spDelta: served('/servicePrincipals/delta'),
    status: out.scan.status,
    coverage,
    ownerNotes: owners.notes.join('\n'),
    /** Owner lookups this scan made (from the collector's own note). */
    lookups: Number(/(\d+) owner lookup\(s\)/.exec(owners.notes.join('\n'))?.[1] ?? Number.NaN),
  };
}

async function identities(store: SnapshotStore, scanId: number): Promise<string[]> {
  const out: ModelRecord[] = [];
  for await (const b of store.readSnapshot(scanId)) {
    if (b.identity) out.push(b.identity);
    out.push(...b.grants, ...b.credentials);
  }
  return out.map((r) => canonicalJson(r)).sort();
}

async function ownersOf(store: SnapshotStore, scanId: number, spId: string) {
  for await (const b of store.readSnapshot(scanId)) {
    if (b.identity?.nativeId === spId) return b.identity.owners.map((o) => `${o.id}:${o.active}`);
  }
  return undefined;
}

/** A fresh emulator on `file`: its audit log holds only the changes of the test at hand. */
async function freshEmulator(file: string) {
  await emu?.stop();
  emu = await startEmulator({ world: file });
  writeFileSync(caFile, emu.caCert);
}

async function newStore(name: string) {
  const s = await openStore(join(dir, `${name}.db`));
  stores.push(s);
  return s;
}

const note = (c: CoverageReport, collector: string) =>
  c.collectors.find((k) => k.collector === collector)!.notes.join('\n');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-m365-owners-'));
  caFile = join(dir, 'emulator-ca.pem');
}, 30_000);
afterAll(async () => {
  for (const s of stores) await s.close();
  await emu?.stop();
});

/** Scans BASE then `changed` incrementally, and `changed` alone in full; both must store the same. */
async function rescanAgainstFull(name: string, changed: Shape) {
  const incremental = await newStore(`${name}-incremental`);
  const full = await newStore(`${name}-full`);
  await freshEmulator(world('base', BASE));
  const first = await scan(incremental);
  expect(first.status).toBe('complete');
  expect(first.ownerNotes).toMatch(/full read of owners: no audit cursor/);
  emu.setWorld(world(name, changed));
  const rescan = await scan(incremental);
  const reference = await scan(full);
  expect(rescan.status).toBe('complete');
  expect(rescan.ownerNotes).toMatch(/incremental: owners since scan #\d+/);
  expect(await identities(incremental, rescan.id)).toEqual(await identities(full, reference.id));
  return { incremental, first, rescan };
}

describe('microsoft365 owners on a rescan', () => {
  it('keeps every owner of an unchanged tenant without a lookup, and the state for the next scan', async () => {
    const store = await newStore('unchanged');
    await freshEmulator(world('base', BASE));
    const first = await scan(store);
    expect(first.lookups).toBe(5);
    const state = await store.readConnectorState(`microsoft365:${TENANT}`);
    expect(state.get(OWNERS_USERS_DELTA_LINK)?.scanId).toBe(first.id);
    expect(state.get(OWNERS_AUDIT_CURSOR)?.scanId).toBe(first.id);
    const again = await scan(store);
    expect(again.lookups).toBe(0);
    expect(again.ownerNotes).toMatch(
      /0 owner change\(s\) in the audit log, 0 user\(s\) changed or removed; 0 service principal\(s\) re-read/,
    );
    const changed: string[] = [];
    for await (const c of store.changesBetween(first.id, again.id)) changed.push(`${c.type}:${c.key}`);
    expect(changed).toEqual([]);
    const next = await store.readConnectorState(`microsoft365:${TENANT}`);
    expect(next.get(OWNERS_USERS_DELTA_LINK)?.scanId).toBe(again.id);
  }, 60_000);

  it('shows an owner removed from a service principal (audit log)', async () => {
    const { incremental, rescan } = await rescanAgainstFull('removed', {
      ...BASE,
      owners: { ...BASE.owners, 2: [2] },
    });
    expect(await ownersOf(incremental, rescan.id, SP(2))).toEqual([`${U(2)}:true`]);
    expect(rescan.lookups).toBe(1);
  }, 60_000);

  it('shows an owner removed from an app registration (audit log)', async () => {
    const { incremental, rescan } = await rescanAgainstFull('app-removed', { ...BASE, ownAppOwners: [] });
    expect(await ownersOf(incremental, rescan.id, OWN_SP)).toEqual([]);
  }, 60_000);

  it('shows an owner added (audit log)', async () => {
    const { incremental, rescan } = await rescanAgainstFull('added', {
      ...BASE,
      owners: { ...BASE.owners, 1: [1, 3] },
    });
    expect(await ownersOf(incremental, rescan.id, SP(1))).toEqual([`${U(1)}:true`, `${U(3)}:true`]);
  }, 60_000);

  it('shows an owner user disabled (users delta)', async () => {
    const { incremental, rescan } = await rescanAgainstFull('disabled', {
      ...BASE,
      users: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4, enabled: false }],
    });
    expect(await ownersOf(incremental, rescan.id, SP(3))).toEqual([`${U(4)}:false`]);
    expect(rescan.ownerNotes).toMatch(/0 owner change\(s\) in the audit log, 1 user\(s\) changed or removed/);
  }, 60_000);

  it('shows an owner user deleted (users delta, no owner activity in the audit log)', async () => {
    const { incremental, rescan } = await rescanAgainstFull('deleted', {
      ...BASE,
      users: [{ n: 1 }, { n: 2 }, { n: 3 }],
      owners: { ...BASE.owners, 3: [] },
    });
    expect(await ownersOf(incremental, rescan.id, SP(3))).toEqual([]);
    expect(rescan.ownerNotes).toMatch(/0 owner change\(s\) in the audit log, 1 user\(s\) changed or removed/);
  }, 60_000);

  it('shows an owner user restored after its deletion (its owner links come back, no owner activity)', async () => {
    const deleted: Shape = {
      ...BASE,
      users: [{ n: 1 }, { n: 2 }, { n: 3 }],
      owners: { ...BASE.owners, 3: [] },
    };
    const { incremental } = await rescanAgainstFull('deleted-then-restored', deleted);
    const state = await incremental.readConnectorState(`microsoft365:${TENANT}`);
    expect(JSON.parse(state.get(OWNERS_DELETED)!.value)).toEqual({
      [U(4)]: { at: expect.any(String), servicePrincipals: [SP(3)] },
    });
    emu.setWorld(world('restored', BASE));
    const restored = await scan(incremental);
    const full = await newStore('restored-full');
    const reference = await scan(full);
    expect(restored.ownerNotes).toMatch(/incremental: owners since/);
    expect(await ownersOf(incremental, restored.id, SP(3))).toEqual([`${U(4)}:true`]);
    expect(await identities(incremental, restored.id)).toEqual(await identities(full, reference.id));
    expect(
      (await incremental.readConnectorState(`microsoft365:${TENANT}`)).get(OWNERS_DELETED),
    ).toBeUndefined();
  }, 60_000);

  it('reads the owners of a new service principal', async () => {
    const { incremental, rescan } = await rescanAgainstFull('new-sp', {
      ...BASE,
      owners: { ...BASE.owners, 5: [2] },
    });
    expect(await ownersOf(incremental, rescan.id, SP(5))).toEqual([`${U(2)}:true`]);
    expect(rescan.ownerNotes).toMatch(/1 service principal\(s\) re-read \(1 new/);
  }, 60_000);

  it('reads in full under --full', async () => {
    const store = await newStore('full-flag');
    await freshEmulator(world('base', BASE));
    await scan(store);
    const again = await scan(store, { fullResync: true });
    expect(again.ownerNotes).toMatch(/full read of owners: --full/);
    expect(again.lookups).toBe(5);
  }, 60_000);

  it('reads in full when the audit cursor is older than the 7-day retention', async () => {
    const store = await newStore('old-cursor');
    await freshEmulator(world('base', BASE));
    await scan(store);
    const later = await scan(store, { shiftDays: 8 });
    expect(later.ownerNotes).toMatch(/full read of owners: the audit cursor .* is older than the 7 days/);
    expect(later.lookups).toBe(5);
  }, 60_000);

  it('reads in full when the audit log is refused (no AuditLog.Read.All)', async () => {
    const store = await newStore('refused');
    const shape = { ...BASE, permissions: ['Application.Read.All', 'Directory.Read.All'] };
    await freshEmulator(world('no-audit', shape));
    await scan(store);
    emu.setWorld(world('no-audit-removed', { ...shape, owners: { ...BASE.owners, 2: [2] } }));
    const again = await scan(store);
    expect(again.ownerNotes).toMatch(/full read of owners: the audit log or users delta was refused/);
    expect(again.lookups).toBe(5);
    expect(await ownersOf(store, again.id, SP(2))).toEqual([`${U(2)}:true`]);
    expect(note(again.coverage, 'owners')).not.toMatch(/incremental/);
  }, 60_000);

  it('reads in full when the users delta link expired', async () => {
    const store = await newStore('expired');
    await freshEmulator(world('base', BASE));
    await scan(store);
    // A new emulator process on the same origin knows no earlier token: 410 syncStateNotFound.
    const port = emu.port;
    await emu.stop();
    emu = await startEmulator({ world: world('base', BASE), port });
    writeFileSync(caFile, emu.caCert);
    const again = await scan(store);
    expect(again.ownerNotes).toMatch(/full read of owners: the users delta link expired/);
    expect(again.lookups).toBe(5);
    const third = await scan(store);
    expect(third.lookups).toBe(0);
  }, 60_000);
});

describe('microsoft365 oauth2PermissionGrants delta with grant objects that produce no record', () => {
  it('keeps them in the connector state with the link, and rebuilds them on the rescan', async () => {
    const grants = [
      { id: 'grant-no-scope', client: 1, scope: '' },
      { id: 'grant-read', client: 2, scope: 'User.Read' },
    ];
    const incremental = await newStore('grants-incremental');
    const full = await newStore('grants-full');
    await freshEmulator(world('grants', { ...BASE, grants }));
    const first = await scan(incremental);
    const state = await incremental.readConnectorState(`microsoft365:${TENANT}`);
    expect(state.get(GRANTS_DELTA_LINK)?.scanId).toBe(first.id);
    expect(JSON.parse(state.get(GRANTS_UNRECORDED)!.value).map((g: { id: string }) => g.id)).toEqual([
      'grant-no-scope',
    ]);
    // The scope-less grant gets scopes: only the delta says so, and it must be rebuilt from the state.
    emu.setWorld(
      world('grants-scoped', { ...BASE, grants: [{ ...grants[0]!, scope: 'Mail.Read' }, grants[1]!] }),
    );
    const rescan = await scan(incremental);
    const reference = await scan(full);
    expect(note(rescan.coverage, 'oauth2-permission-grants')).toMatch(
      /incremental: oauth2PermissionGrants delta since scan #\d+: 1 changed, 0 removed/,
    );
    expect(await identities(incremental, rescan.id)).toEqual(await identities(full, reference.id));
    const after = await incremental.readConnectorState(`microsoft365:${TENANT}`);
    expect(after.get(GRANTS_UNRECORDED)).toBeUndefined();
    expect(after.get(GRANTS_DELTA_LINK)?.scanId).toBe(rescan.id);
  }, 60_000);
});

describe('microsoft365 records carried forward on a rescan', () => {
  const people = async (store: SnapshotStore, scanId: number) => {
    const out: string[] = [];
    for await (const p of store.readPeople(scanId)) out.push(`${p.nativeId}:${p.status}`);
    return out.sort();
  };
  const collector = (c: CoverageReport, name: string) => c.collectors.find((k) => k.collector === name)!;
  const CARRIED = /unchanged since scan #\d+: its \d+ record\(s\) are carried forward/;

  it('carries the identities, credentials and owner people of an unchanged tenant; sends them again once they change', async () => {
    const store = await newStore('carried');
    await freshEmulator(world('base', BASE));
    const first = await scan(store);
    const identityCount = collector(first.coverage, 'service-principals').items;
    expect(identityCount).toBeGreaterThan(4);
    expect(collector(first.coverage, 'owners').items).toBe(4);
    const again = await scan(store);
    for (const name of ['service-principals', 'owners', 'application-credentials']) {
      const c = collector(again.coverage, name);
      expect(c.items, name).toBe(0);
      expect(c.notes.join('\n'), name).toMatch(CARRIED);
    }
    // Carried, not dropped: the snapshot is the first scan's.
    expect(await identities(store, again.id)).toEqual(await identities(store, first.id));
    expect(await people(store, again.id)).toEqual(await people(store, first.id));
    expect(await people(store, again.id)).toHaveLength(4);

    // User 4 disabled: the identity it owns and its person record change, so both are sent again.
    emu.setWorld(
      world('carried-disabled', { ...BASE, users: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4, enabled: false }] }),
    );
    const changed = await scan(store);
    expect(collector(changed.coverage, 'service-principals').items).toBe(identityCount);
    expect(collector(changed.coverage, 'service-principals').notes.join('\n')).not.toMatch(CARRIED);
    expect(collector(changed.coverage, 'owners').items).toBe(4);
    expect(collector(changed.coverage, 'application-credentials').notes.join('\n')).toMatch(CARRIED);
    expect(await ownersOf(store, changed.id, SP(3))).toEqual([`${U(4)}:false`]);
    expect(await people(store, changed.id)).toContain(`${U(4)}:disabled`);

    // --full never carries.
    const full = await scan(store, { fullResync: true });
    expect(collector(full.coverage, 'service-principals').items).toBe(identityCount);
    expect(collector(full.coverage, 'owners').items).toBe(4);
  }, 60_000);
});

describe('microsoft365 service principals through delta on a rescan', () => {
  const spNote = (c: CoverageReport) => note(c, 'service-principals');
  // Microsoft Graph's app roles make it a resource: its assignments are read from the rebuilt list too.
  const WITH_ROLES: Shape = { ...BASE, appRoles: [{ client: 1, role: 'User.Read.All' }] };

  it('reads an unchanged tenant in one delta request, and keeps the link', async () => {
    const store = await newStore('sp-unchanged');
    await freshEmulator(world('sp-base', WITH_ROLES));
    const first = await scan(store);
    // The first scan: the list, and one `$deltatoken=latest` for the link.
    expect(first.spList).toBe(1);
    expect(first.spDelta).toBe(1);
    const state = await store.readConnectorState(`microsoft365:${TENANT}`);
    expect(state.get(SERVICE_PRINCIPALS_DELTA_LINK)?.scanId).toBe(first.id);
    const again = await scan(store);
    expect(again.status).toBe('complete');
    expect(again.spList).toBe(0);
    expect(again.spDelta).toBe(1);
    expect(spNote(again.coverage)).toMatch(
      /incremental: servicePrincipals delta since scan #\d+: 0 changed, 0 removed/,
    );
    const changed: string[] = [];
    for await (const c of store.changesBetween(first.id, again.id)) changed.push(`${c.type}:${c.key}`);
    expect(changed).toEqual([]);
    const next = await store.readConnectorState(`microsoft365:${TENANT}`);
    expect(next.get(SERVICE_PRINCIPALS_DELTA_LINK)?.scanId).toBe(again.id);
  }, 60_000);

  it('shows a service principal added, renamed and removed as a full read does', async () => {
    const incremental = await newStore('sp-changes-incremental');
    const full = await newStore('sp-changes-full');
    await freshEmulator(world('sp-base', WITH_ROLES));
    await scan(incremental);
    const { 3: _, ...owners } = WITH_ROLES.owners;
    emu.setWorld(
      world('sp-changed', {
        ...WITH_ROLES,
        owners: { ...owners, 5: [2] },
        names: { 2: 'Vendor app 2, renamed' },
        appRoles: [...WITH_ROLES.appRoles!, { client: 5, role: 'Mail.Read' }],
      }),
    );
    const rescan = await scan(incremental);
    const reference = await scan(full);
    expect(rescan.status).toBe('complete');
    expect(rescan.spList).toBe(0);
    expect(spNote(rescan.coverage)).toMatch(
      /incremental: servicePrincipals delta since scan #\d+: 2 changed, 1 removed/,
    );
    expect(await identities(incremental, rescan.id)).toEqual(await identities(full, reference.id));
    // The new one's owners are read; the renamed one is sent again.
    expect(await ownersOf(incremental, rescan.id, SP(5))).toEqual([`${U(2)}:true`]);
    expect(await ownersOf(incremental, rescan.id, SP(3))).toBeUndefined();
  }, 60_000);

  it('reads the list in full when the link expired, and under --full', async () => {
    const store = await newStore('sp-expired');
    await freshEmulator(world('sp-base', WITH_ROLES));
    await scan(store);
    // A new emulator process on the same origin knows no earlier token: 410 syncStateNotFound.
    const port = emu.port;
    await emu.stop();
    emu = await startEmulator({
      world: world('sp-renamed', { ...WITH_ROLES, names: { 1: 'Renamed' } }),
      port,
    });
    writeFileSync(caFile, emu.caCert);
    const again = await scan(store);
    expect(again.status).toBe('complete');
    expect(spNote(again.coverage)).toMatch(
      /full read of service principals: the delta link of scan #\d+ expired .*syncStateNotFound/,
    );
    expect(again.spList).toBe(1);
    const reference = await newStore('sp-expired-full');
    expect(await identities(store, again.id)).toEqual(
      await identities(reference, (await scan(reference)).id),
    );
    const third = await scan(store);
    expect(third.spList).toBe(0);
    expect(spNote(third.coverage)).toMatch(/incremental: servicePrincipals delta/);
    const forced = await scan(store, { fullResync: true });
    expect(forced.spList).toBe(1);
    expect(spNote(forced.coverage)).toMatch(/full read of service principals: --full/);
  }, 60_000);
});
