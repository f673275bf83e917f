import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import microsoft365 from '../connectors/microsoft365/index.js';
import { analyseScan } from '../src/analysis/analyse.js';
import type { ConfiguredConnector } from '../src/config/config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import type { Finding } from '../src/findings/finding.js';
import { canonicalJson } from '../src/model/record.js';
import { defaultPolicy } from '../src/policy/index.js';
import type { ScanSummary, SnapshotStore } from '../src/store/store.js';
import { STORE_KINDS, storeFactory } from './store-behaviour/store-factory.js';
import { runTestScan } from './support/test-scan.js';
import { BUILTIN_VOCABULARY } from './support/vocabulary.js';

/**
 * An unchanged Entra rescan carries the delegated grants forward: the oauth2-permission-grants
 * collector emits none, the store keeps the previous scan's open records, and the snapshot and its
 * findings read back as they were. Any change the records derive from (a grant, a consenting user)
 * is emitted as on a full read, and `--full` never carries. Against the emulator, on both stores.
 */
const TENANT = '7d0b6a52-3c1e-4f8a-9b2d-5e6f7a8b9c0d';
const U = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const SP = (n: number) => `10000000-0000-4000-8000-00000000000${n}`;
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const VENDOR = '8e422e70-b829-4245-8f87-6c50f2844aeb';
const COLLECTOR = 'oauth2-permission-grants';
const APP_ROLES = 'app-role-assignments';
const AS_OF = new Date('2026-12-07T00:00:00Z');

interface Shape {
  /** User number → enabled. */
  users: Record<number, boolean>;
  /** Delegated grants on Microsoft Graph: client SP number, scope, the consenting user (else all users). */
  grants: Array<{ id: string; client: number; scope: string; user?: number }>;
  /** Application permissions on Microsoft Graph: client SP number, app role value. */
  appRoles: Array<{ client: number; role: string }>;
}

const BASE: Shape = {
  users: { 1: true, 2: true },
  grants: [
    { id: 'grant-admin', client: 1, scope: 'User.Read Mail.Read' },
    { id: 'grant-user', client: 2, scope: 'Files.Read.All offline_access', user: 2 },
  ],
  appRoles: [
    { client: 1, role: 'Mail.Read' },
    { client: 2, role: 'User.Read.All' },
  ],
};

let emu: RunningEmulator;
let dir: string;
let caFile: string;

function world(name: string, shape: Shape): string {
  const section = {
    tenant: { id: TENANT, displayName: 'Fabrikam', defaultDomain: 'fabrikam.example' },
    scanner: {
      appId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
      permissions: ['Application.Read.All', 'Directory.Read.All', 'AuditLog.Read.All'],
    },
    users: Object.entries(shape.users).map(([n, enabled]) => ({
      id: U(Number(n)),
      displayName: `User ${n}`,
      userPrincipalName: `user${n}@fabrikam.example`,
      accountEnabled: enabled,
    })),
    servicePrincipals: [1, 2].map((n) => ({
      id: SP(n),
      appId: `30000000-0000-4000-8000-00000000000${n}`,
      displayName: `Vendor app ${n}`,
      appOwnerOrganizationId: VENDOR,
      owners: [],
    })),
    oauth2PermissionGrants: shape.grants.map((g) => ({
      id: g.id,
      clientId: SP(g.client),
      resourceAppId: GRAPH_APP_ID,
      consentType: g.user ? 'Principal' : 'AllPrincipals',
      ...(g.user ? { principalId: U(g.user) } : {}),
      scope: g.scope,
    })),
    appRoleAssignments: shape.appRoles.map((a) => ({
      principalId: SP(a.client),
      resourceAppId: GRAPH_APP_ID,
      appRole: a.role,
    })),
  };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify({ name, microsoft365: section }));
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-grants-carry-'));
  caFile = join(dir, 'emulator-ca.pem');
}, 30_000);
afterAll(async () => {
  await emu?.stop();
});

/** A fresh emulator on `shape`: its delta rounds know only this test's changes. */
async function freshEmulator(shape: Shape) {
  await emu?.stop();
  emu = await startEmulator({ world: world('base', shape) });
  writeFileSync(caFile, emu.caCert);
}

async function scan(store: SnapshotStore, fullResync = false) {
  const setup = emu.clientSetup();
  for (const [name, content] of Object.entries(setup.files)) writeFileSync(join(dir, name), content);
  const config = microsoft365.configSchema.parse(setup.config.microsoft365);
  const cc: ConfiguredConnector = {
    connector: microsoft365,
    config,
    tenant: config.tenantId,
    path: 'microsoft365',
  };
  const out = await runTestScan({
    store,
    connectors: [cc],
    configDir: dir,
    caFile,
    fullResync,
  });
  expect(out.scan.status).toBe('complete');
  const grants = out.coverage[0]!.collectors.find((c) => c.collector === COLLECTOR)!;
  const appRoles = out.coverage[0]!.collectors.find((c) => c.collector === APP_ROLES)!;
  return { scan: out.scan, grants, notes: grants.notes.join('\n'), appRoles };
}

/** Every record open at `scan`, canonical and sorted. */
async function snapshot(store: SnapshotStore, scan: ScanSummary): Promise<string[]> {
  const out: string[] = [];
  for await (const b of store.readSnapshot(scan.id)) {
    if (b.identity) out.push(canonicalJson(b.identity));
    for (const r of [...b.grants, ...b.credentials]) out.push(canonicalJson(r));
  }
  return out.sort();
}

/** The findings of `scan`, without what names the scan or its time. */
async function findings(store: SnapshotStore, scan: ScanSummary): Promise<string[]> {
  const analysis = await analyseScan(store, scan, {
    policy: defaultPolicy(BUILTIN_VOCABULARY),
    asOf: AS_OF,
    vocabulary: BUILTIN_VOCABULARY,
  });
  const out: string[] = [];
  for await (const f of analysis.findings.read() as AsyncIterable<Finding>) {
    const { firstSeen: _f, lastSeen: _l, scanId: _s, ...rest } = f;
    out.push(canonicalJson(rest));
  }
  return out.sort();
}

describe.each(STORE_KINDS)('Entra delegated grants carried forward (%s store)', (kind) => {
  const factory = storeFactory(kind);

  /** Grant versions the store opened at `scan` (written by it, not carried). */
  async function grantsWrittenAt(store: SnapshotStore, scan: ScanSummary): Promise<number> {
    const rows = await factory.sql(store, 'SELECT count(*) AS n FROM grants WHERE valid_from = ?', [scan.id]);
    return Number(rows[0]!.n);
  }

  it('an unchanged rescan emits no grant and reads back the same snapshot and findings', async () => {
    await freshEmulator(BASE);
    const store = await factory.open();
    try {
      const first = await scan(store);
      expect(first.grants.items).toBe(4);
      expect(first.notes).not.toMatch(/unchanged since/);
      const again = await scan(store);
      expect(again.grants.items).toBe(0);
      expect(again.grants.status).toBe('complete');
      expect(again.grants.incremental).toEqual({ since: first.scan.id, removed: [] });
      expect(again.notes).toMatch(
        new RegExp(`unchanged since scan #${first.scan.id}: its 4 record\\(s\\) are carried forward`),
      );
      // The collector's own note (grant objects, users, resources) is still given.
      expect(again.notes).toMatch(/2 grant object\(s\), 1 consenting user\(s\)/);
      // The application permissions too.
      expect(first.appRoles.items).toBe(2);
      expect(again.appRoles.items).toBe(0);
      expect(again.appRoles.status).toBe('complete');
      expect(again.appRoles.incremental).toEqual({ since: first.scan.id, removed: [] });
      expect(again.appRoles.notes.join('\n')).toMatch(/unchanged since scan #\d+: its 2 record\(s\)/);
      expect(await grantsWrittenAt(store, again.scan)).toBe(0);
      expect(again.scan.counts).toEqual(first.scan.counts);
      expect(await snapshot(store, again.scan)).toEqual(await snapshot(store, first.scan));
      const changes: string[] = [];
      for await (const c of store.changesBetween(first.scan.id, again.scan.id)) changes.push(c.key);
      expect(changes).toEqual([]);
      const before = await findings(store, first.scan);
      expect(before.some((f) => f.includes('"platform":"microsoft365"'))).toBe(true);
      expect(await findings(store, again.scan)).toEqual(before);
      // Carried again from the carried scan: the digest it kept is its own.
      const third = await scan(store);
      expect(third.grants.incremental?.since).toBe(again.scan.id);
      expect(await snapshot(store, third.scan)).toEqual(await snapshot(store, first.scan));
    } finally {
      await store.close();
    }
  }, 90_000);

  it('a grant changed between scans is emitted, as a full read of the changed tenant stores it', async () => {
    await freshEmulator(BASE);
    const store = await factory.open();
    const reference = await factory.open();
    try {
      await scan(store);
      const changed: Shape = {
        ...BASE,
        grants: [{ ...BASE.grants[0]!, scope: 'User.Read Mail.Read Mail.Send' }, BASE.grants[1]!],
      };
      emu.setWorld(world('scope-added', changed));
      const again = await scan(store);
      expect(again.notes).toMatch(/delta since scan #\d+: 1 changed, 0 removed/);
      expect(again.notes).not.toMatch(/unchanged since/);
      expect(again.grants.incremental).toBeUndefined();
      expect(again.grants.items).toBe(5);
      const full = await scan(reference);
      expect(await snapshot(store, again.scan)).toEqual(await snapshot(reference, full.scan));
      // The reference has no previous scan; here the new scope is a scope expansion.
      const found = await findings(store, again.scan);
      expect(found.filter((f) => f.includes('"rule":"scope-expansion"')).join()).toMatch(
        /Mail\.Send \(new\)/,
      );
    } finally {
      await store.close();
      await reference.close();
    }
  }, 90_000);

  it('an application permission granted between scans is emitted; the unchanged delegated grants are carried', async () => {
    await freshEmulator(BASE);
    const store = await factory.open();
    const reference = await factory.open();
    try {
      await scan(store);
      const changed: Shape = { ...BASE, appRoles: [...BASE.appRoles, { client: 2, role: 'Mail.Read' }] };
      emu.setWorld(world('app-role-added', changed));
      const again = await scan(store);
      expect(again.appRoles.incremental).toBeUndefined();
      expect(again.appRoles.items).toBe(3);
      expect(again.grants.items).toBe(0);
      expect(await grantsWrittenAt(store, again.scan)).toBe(1);
      const full = await scan(reference);
      expect(await snapshot(store, again.scan)).toEqual(await snapshot(reference, full.scan));
    } finally {
      await store.close();
      await reference.close();
    }
  }, 90_000);

  it('a consenting user disabled (no grant changed) is emitted: the delta alone does not carry', async () => {
    await freshEmulator(BASE);
    const store = await factory.open();
    const reference = await factory.open();
    try {
      const first = await scan(store);
      emu.setWorld(world('user-disabled', { ...BASE, users: { 1: true, 2: false } }));
      const again = await scan(store);
      expect(again.notes).toMatch(/delta since scan #\d+: 0 changed, 0 removed/);
      expect(again.notes).not.toMatch(/unchanged since/);
      expect(again.grants.items).toBe(4);
      const full = await scan(reference);
      const stored = await snapshot(store, again.scan);
      expect(stored).toEqual(await snapshot(reference, full.scan));
      expect(stored).not.toEqual(await snapshot(store, first.scan));
      expect(stored.some((r) => r.includes(`"id":"${U(2)}"`) && r.includes('"active":false'))).toBe(true);
    } finally {
      await store.close();
      await reference.close();
    }
  }, 90_000);

  it('--full reads and emits every grant, and the scan after it carries from it', async () => {
    await freshEmulator(BASE);
    const store = await factory.open();
    try {
      const first = await scan(store);
      const full = await scan(store, true);
      expect(full.notes).toMatch(/full read: --full/);
      expect(full.notes).not.toMatch(/unchanged since/);
      expect(full.grants.incremental).toBeUndefined();
      expect(full.grants.items).toBe(4);
      expect(full.appRoles.incremental).toBeUndefined();
      expect(full.appRoles.items).toBe(2);
      expect(await snapshot(store, full.scan)).toEqual(await snapshot(store, first.scan));
      const after = await scan(store);
      expect(after.grants.incremental?.since).toBe(full.scan.id);
      expect(after.grants.items).toBe(0);
    } finally {
      await store.close();
    }
  }, 90_000);
});
