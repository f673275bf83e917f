import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfiguredConnector } from '../../src/config/config.js';
import type { CoverageReport } from '../../src/connector/coverage.js';
import type { FaultRuleInput } from '../../src/emulator/faults.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { loadWorld } from '../../src/emulator/world.js';
import type { Grant, Identity, ModelRecord } from '../../src/model/index.js';
import { canonicalJson } from '../../src/model/record.js';
import { openStore } from '../../src/store/open.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { runTestScan } from '../../test/support/test-scan.js';
import connector from './index.js';

/**
 * A collector failing must not change what the others emit. Each case scans the unchanged demo domain
 * through the engine and a real store: a clean scan, the same domain with one collector failing, then
 * a clean scan again. Nothing changed in the domain, so both scans after the clean one must store no new
 * version of any record: every record the failing scan emits must equal the clean version, and the
 * records of the failed collector are carried over by the store. A record that differs only because
 * another collector failed shows up here as a change (false owner changes, false findings).
 */
const DEMO = 'fixtures/worlds/test/google-workspace.yaml';
const CHANGED = 'fixtures/worlds/test/google-workspace-changed.yaml';
const TENANT = 'C03acme7x';
const mailMerge = '283746519027-mm3rg8pr0q4w7e1r5t9y2u6i0o3p7a5s.apps.googleusercontent.com';
const zoom = '849173526041-zq4k7m2p9r1t6v8x3b5n0c7d2f4h6j8l.apps.googleusercontent.com';
const backupDwd = '113948572038475610293';

let emu: RunningEmulator;
let store: SnapshotStore;
let dir: string;
let caFile: string;

interface Scanned {
  id: number;
  coverage: CoverageReport;
}

async function engineScan(): Promise<Scanned> {
  const setup = emu.clientSetup();
  for (const [name, content] of Object.entries(setup.files)) writeFileSync(join(dir, name), content);
  const cc: ConfiguredConnector = {
    connector: connector,
    config: connector.configSchema.parse(setup.config['google-workspace']),
    tenant: TENANT,
    path: 'google-workspace',
  };
  const now = emu.now;
  const out = await runTestScan({
    store,
    connectors: [cc],
    configDir: dir,
    caFile,
    clock: { now: () => new Date(now), sleep: async () => {} },
    // Every scan here runs at the same world time while the world changes under it, which an
    // incremental read (token events since the last scan) cannot see: these cases are about full reads.
    fullResync: true,
  });
  expect(out.rejected).toBe(0);
  return { id: out.scan.id, coverage: out.coverage[0]! };
}

/** Each changed record as `type:key` with the top-level fields that differ. */
async function changes(a: number, b: number): Promise<string[]> {
  const out: string[] = [];
  for await (const c of store.changesBetween(a, b)) {
    const before = (c.before ?? {}) as Record<string, unknown>;
    const after = (c.after ?? {}) as Record<string, unknown>;
    const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
      (f) => canonicalJson(before[f]) !== canonicalJson(after[f]),
    );
    out.push(`${c.type}:${c.key} ${c.before ? (c.after ? `[${fields.join(',')}]` : 'removed') : 'added'}`);
  }
  return out;
}

async function snapshot(scanId: number): Promise<ModelRecord[]> {
  const out: ModelRecord[] = [];
  for await (const b of store.readSnapshot(scanId, { platform: 'google-workspace', tenant: TENANT })) {
    if (b.identity) out.push(b.identity);
    out.push(...b.grants, ...b.credentials);
  }
  return out;
}

const failed = (s: Scanned) =>
  s.coverage.collectors
    .filter((c) => c.status === 'failed')
    .map((c) => c.collector)
    .sort();

const status = (code: number, message: string) => ({
  kind: 'status' as const,
  status: code,
  body: { error: { code, message, status: code === 403 ? 'PERMISSION_DENIED' : 'INTERNAL' } },
});

let clean: Scanned;
let userIds: Map<string, string>;

beforeAll(async () => {
  emu = await startEmulator({ world: DEMO });
  dir = mkdtempSync(join(tmpdir(), 'gs-partial-'));
  caFile = join(dir, 'emulator-ca.pem');
  writeFileSync(caFile, emu.caCert);
  store = await openStore(join(dir, 'g.db'));
  clean = await engineScan();
  userIds = new Map(
    (await snapshot(clean.id))
      .filter((r): r is Grant => r.type === 'grant' && r.principal !== null)
      .map((g) => [g.principal!.name!, g.principal!.id]),
  );
}, 30_000);
afterAll(async () => {
  await store?.close();
  await emu?.stop();
});

/** Scan with `faults`, expecting exactly `collectors` to fail; then clean again. Returns the changes. */
async function scanFailing(faults: FaultRuleInput[], collectors: string[]) {
  const before = await engineScan();
  expect(failed(before)).toEqual([]);
  for (const f of faults) emu.faults.add(f);
  let failing: Scanned;
  try {
    failing = await engineScan();
  } finally {
    emu.faults.clear();
  }
  expect(failed(failing)).toEqual([...collectors].sort());
  const after = await engineScan();
  expect(failed(after)).toEqual([]);
  return {
    failing,
    records: await snapshot(failing.id),
    intoFailing: await changes(before.id, failing.id),
    outOfFailing: await changes(failing.id, after.id),
  };
}

interface FailureCase {
  name: string;
  faults: () => FaultRuleInput[];
  failed: string[];
  /**
   * Fields of records that also hold fresh data (so are stored anew when the domain changes) but come
   * from the failed collector: they keep the previous value, or are null when there is none.
   */
  lagging?: { kind: string; fields: string[] };
}

const cases: FailureCase[] = [
  {
    name: 'users (users.list 403; oauth-grants cannot run)',
    faults: () => [
      {
        path: '^/admin/directory/v1/users$',
        action: status(403, 'Not Authorized to access this resource/api'),
      },
    ],
    failed: ['users', 'oauth-grants'],
  },
  {
    name: 'oauth-grants (tokens.list keeps failing for one user)',
    faults: () => [
      {
        path: `^/admin/directory/v1/users/${userIds.get('chen.wei@acme.example')}/tokens$`,
        action: status(500, 'Internal error'),
      },
    ],
    failed: ['oauth-grants'],
  },
  {
    name: 'oauth-grants (tokens.list 403 for everyone)',
    faults: () => [{ path: '/admin/directory/v1/users/{userKey}/tokens', action: status(403, 'Forbidden') }],
    failed: ['oauth-grants'],
  },
  {
    name: 'token-activity (Reports token log 403)',
    faults: () => [
      {
        path: '^/admin/reports/v1/activity/users/all/applications/token$',
        action: status(403, 'Forbidden'),
      },
    ],
    failed: ['token-activity'],
    // A new app, a new grant or a re-authorized one (its token's scopes changed) is stored anew, with
    // its grant time, first grant and last use kept from before or unknown until the log can be read.
    lagging: {
      kind: 'oauth-client',
      fields: [
        'grantedAt',
        'createdAt',
        'lastUsed',
        'attributes.lastRevokedAt',
        'attributes.grantedBeforeWindow',
      ],
    },
  },
  {
    name: 'domain-wide-delegation (Reports admin log 403)',
    faults: () => [
      {
        path: '^/admin/reports/v1/activity/users/all/applications/admin$',
        action: status(403, 'Forbidden'),
      },
    ],
    failed: ['domain-wide-delegation'],
  },
  {
    name: 'gcp-projects (projects:search 403; service accounts and keys cannot run)',
    faults: () => [{ path: '/v3/projects:search', action: status(403, 'Forbidden') }],
    failed: ['gcp-projects', 'service-accounts', 'service-account-keys'],
  },
  {
    name: 'gcp-projects (getIamPolicy 403 for one project)',
    faults: () => [
      { method: 'POST', path: '^/v3/projects/acme-it-ops:getIamPolicy$', action: status(403, 'Forbidden') },
    ],
    failed: ['gcp-projects'],
  },
  {
    name: 'service-accounts (serviceAccounts.list 403 everywhere; keys incomplete)',
    faults: () => [{ path: '/v1/projects/{project}/serviceAccounts', action: status(403, 'Forbidden') }],
    failed: ['service-accounts', 'service-account-keys'],
  },
  {
    name: 'service-accounts (serviceAccounts.list 500 for one project)',
    faults: () => [
      { path: '^/v1/projects/acme-it-ops/serviceAccounts$', action: status(500, 'Internal error') },
    ],
    failed: ['service-accounts', 'service-account-keys'],
  },
  {
    name: 'service-account-keys (keys.list 403)',
    faults: () => [
      { path: '/v1/projects/{project}/serviceAccounts/{account}/keys', action: status(403, 'Forbidden') },
    ],
    failed: ['service-account-keys'],
  },
];

describe('google-workspace: a failing collector changes no record of the unchanged domain', () => {
  it('a clean scan after a clean scan changes nothing (the baseline this test relies on)', async () => {
    const again = await engineScan();
    expect(await changes(clean.id, again.id)).toEqual([]);
  });

  for (const c of cases) {
    it(`${c.name}: no record changes, in or out of the failing scan`, async () => {
      const { intoFailing, outOfFailing } = await scanFailing(c.faults(), c.failed);
      expect(intoFailing).toEqual([]);
      expect(outOfFailing).toEqual([]);
    });
  }

  it('keeps the apps a failing user holds exactly as they were (no "owners changed −chen.wei")', async () => {
    const chen = userIds.get('chen.wei@acme.example')!;
    const { records } = await scanFailing(
      [{ path: `^/admin/directory/v1/users/${chen}/tokens$`, action: status(500, 'Internal error') }],
      ['oauth-grants'],
    );
    for (const id of [mailMerge, zoom]) {
      const app = records.find((r): r is Identity => r.type === 'identity' && r.nativeId === id)!;
      expect(app.owners.map((o) => o.name)).toContain('chen.wei@acme.example');
      expect(app.ownersKnown).toBe(true);
    }
  });

  it('keeps the join of a delegation to its service account and project when GCP cannot be read', async () => {
    const { records } = await scanFailing(
      [{ path: '/v3/projects:search', action: status(403, 'Forbidden') }],
      ['gcp-projects', 'service-accounts', 'service-account-keys'],
    );
    const backup = records.find((r): r is Identity => r.type === 'identity' && r.nativeId === backupDwd)!;
    expect(backup).toMatchObject({
      displayName: 'Mail and Drive backup',
      origin: 'internal',
      enabled: true,
      publisher: { name: 'acme-it-ops', id: '415104041262' },
      attributes: { serviceAccount: 'backup-sa@acme-it-ops.iam.gserviceaccount.com' },
    });
    expect(backup.owners.map((o) => o.name)).toEqual(['ana.silva@acme.example', 'it-admin@acme.example']);
  });
});

describe('google-workspace: domain-wide delegation grants do not churn with the user count', () => {
  it('a hire changes no delegation record', async () => {
    const before = await engineScan();
    const world = loadWorld(DEMO);
    (world.platforms['google-workspace'] as { users: unknown[] }).users.push({
      email: 'second.hire@acme.example',
      name: 'Noor Haddad',
      orgUnit: '/Sales',
      createdAt: 'now-1d',
    });
    emu.setWorld(world);
    try {
      const after = await engineScan();
      expect(failed(after)).toEqual([]);
      expect(await changes(before.id, after.id)).toEqual([]);
    } finally {
      emu.setWorld(DEMO);
    }
  });
});

/**
 * The same failures while the domain changes (the demo's week-later version: an app added, grants widened
 * and revoked, a delegation re-authorized, a key deleted). Each record the failing scan stores anew must
 * be exactly the version a clean scan of the changed domain stores: new information, never a version that
 * exists only because something failed. Records of the failed collector may lag (carried over), and
 * nothing may be removed that the clean scan does not remove.
 */
describe('google-workspace: a failing collector while the domain changes', () => {
  let reference: Map<string, ModelRecord>;
  let referenceRemoved: Set<string>;

  beforeAll(async () => {
    emu.setWorld(DEMO);
    const before = await engineScan();
    emu.setWorld(CHANGED);
    const after = await engineScan();
    emu.setWorld(DEMO);
    reference = new Map();
    referenceRemoved = new Set();
    for await (const c of store.changesBetween(before.id, after.id)) {
      if (c.after) reference.set(`${c.type}:${c.key}`, c.after);
      else referenceRemoved.add(`${c.type}:${c.key}`);
    }
    expect(reference.size).toBeGreaterThan(5);
    expect(referenceRemoved.size).toBeGreaterThan(0);
  }, 30_000);

  const kindOf = (r: ModelRecord) => (r.type === 'identity' ? r.kind : r.identity.kind);
  const valueAt = (r: ModelRecord | null, path: string): unknown =>
    path
      .split('.')
      .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], r ?? undefined);
  const without = (r: ModelRecord, paths: string[]): unknown => {
    const copy = structuredClone(r) as unknown as Record<string, Record<string, unknown>>;
    for (const p of paths) {
      const [head, tail] = p.split('.') as [string, string | undefined];
      if (tail) delete copy[head]?.[tail];
      else delete copy[head];
    }
    return copy;
  };

  for (const c of cases) {
    it(`${c.name}: stores only versions a clean scan stores too`, async () => {
      emu.setWorld(DEMO);
      const before = await engineScan();
      expect(failed(before)).toEqual([]);
      emu.setWorld(CHANGED);
      for (const f of c.faults()) emu.faults.add(f);
      let failing: Scanned;
      try {
        failing = await engineScan();
      } finally {
        emu.faults.clear();
        emu.setWorld(DEMO);
      }
      expect(failed(failing)).toEqual([...c.failed].sort());
      const wrong: string[] = [];
      let stored = 0;
      for await (const ch of store.changesBetween(before.id, failing.id)) {
        const key = `${ch.type}:${ch.key}`;
        if (!ch.after) {
          if (!referenceRemoved.has(key)) wrong.push(`${key} removed`);
          continue;
        }
        stored += 1;
        const clean = reference.get(key);
        const lagging = c.lagging && kindOf(ch.after) === c.lagging.kind ? c.lagging.fields : [];
        if (!clean || canonicalJson(without(clean, lagging)) !== canonicalJson(without(ch.after, lagging)))
          wrong.push(`${key} differs from the clean scan`);
        for (const f of lagging) {
          const v = valueAt(ch.after, f);
          if (v != null && canonicalJson(v) !== canonicalJson(valueAt(ch.before, f)))
            wrong.push(`${key} ${f} is neither the previous value nor unknown`);
        }
      }
      expect(wrong).toEqual([]);
      // The scan did pick up some of the changes (the comparison is not vacuous).
      expect(stored).toBeGreaterThan(0);
    });
  }
});
