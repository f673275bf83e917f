import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfiguredConnector } from '../../src/config/config.js';
import type { Clock, PreviousSnapshot } from '../../src/connector/context.js';
import type { CoverageReport } from '../../src/connector/coverage.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { Grant, Identity, ModelRecord } from '../../src/model/index.js';
import { contentHash, recordKey } from '../../src/model/record.js';
import { openStore } from '../../src/store/open.js';
import type { IdentityBundle, SnapshotStore } from '../../src/store/store.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import { runTestScan } from '../../test/support/test-scan.js';
import connector from './index.js';

/**
 * Audit events ageing out of the window, scan after scan, through the engine and a real store: the
 * emulator is restarted at a later `now` for each scan (the world's dates are absolute), and each scan
 * gets the previous snapshot from the store as the engine gives it.
 */
const WORLD = 'fixtures/worlds/test/google-workspace-ageing.yaml';
const TENANT = 'C03acme7x';
const SCOPE = 'https://www.googleapis.com/auth/';
const T0 = Date.parse('2026-11-01T09:00:00Z');
const day = (n: number) => new Date(T0 + n * 86_400_000);
const backup = '113948572038475610293';
const directorySync = '117465382910473829156';
const app = {
  ageingNotes: '530174829361-ag31ngn0t3s8k2j6h0g4f8d2s6a0q4w8.apps.googleusercontent.com',
  quietForms: '640285930472-qu13tf0rms9l3k7j1h5g9f3d7s1a5q9e.apps.googleusercontent.com',
  oldPlanner: '750396041583-0ldpl4nn3r0m4l8k2j6h0g4f8d2s6a0w.apps.googleusercontent.com',
};

interface Scanned {
  id: number;
  startedAt: string;
  records: ModelRecord[];
  coverage: CoverageReport;
}

const fixedClock = (now: Date): Clock => ({ now: () => new Date(now), sleep: async () => {} });

/** Start the emulator at `now`, write the client files it hands out, run `body`, stop it. */
async function atTime<T>(
  now: Date,
  body: (setup: { dir: string; caFile: string; config: unknown; caCert: string }) => Promise<T>,
): Promise<T> {
  const emu = await startEmulator({ world: WORLD, now });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'gs-ageing-'));
    const setup = emu.clientSetup();
    for (const [name, content] of Object.entries(setup.files)) writeFileSync(join(dir, name), content);
    const caFile = join(dir, 'emulator-ca.pem');
    writeFileSync(caFile, emu.caCert);
    const config = connector.configSchema.parse(setup.config['google-workspace']);
    return await body({ dir, caFile, config, caCert: emu.caCert });
  } finally {
    await emu.stop();
  }
}

async function snapshotRecords(store: SnapshotStore, scanId: number): Promise<ModelRecord[]> {
  const out: ModelRecord[] = [];
  for await (const b of store.readSnapshot(scanId, { platform: 'google-workspace', tenant: TENANT })) {
    if (b.identity) out.push(b.identity);
    out.push(...b.grants, ...b.credentials);
  }
  return out;
}

/** One scan as the engine runs it: the previous snapshot comes from the store. */
function engineScanAt(store: SnapshotStore, now: Date): Promise<Scanned> {
  return atTime(now, async ({ dir, caFile, config }) => {
    const cc: ConfiguredConnector = {
      connector: connector,
      config,
      tenant: TENANT,
      path: 'google-workspace',
    };
    const out = await runTestScan({
      store,
      connectors: [cc],
      configDir: dir,
      caFile,
      http: { caFile, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 } },
      clock: fixedClock(now),
    });
    expect(out.rejected).toBe(0);
    return {
      id: out.scan.id,
      startedAt: out.scan.startedAt,
      records: await snapshotRecords(store, out.scan.id),
      coverage: out.coverage[0]!,
    };
  });
}

/** One scan straight through the connector, with a hand-made (or no) previous snapshot. */
function connectorScanAt(now: Date, previous?: PreviousSnapshot) {
  return atTime(now, async ({ dir, config, caCert }) => {
    const ctx = await createTestContext({ connector, tenant: TENANT, caCert, now, configDir: dir, previous });
    return collectScan(connector, connector.configSchema.parse(config), ctx);
  });
}

const identity = (records: ModelRecord[], nativeId: string) =>
  records.find((r): r is Identity => r.type === 'identity' && r.nativeId === nativeId);
const grantsOf = (records: ModelRecord[], nativeId: string) =>
  records.filter((r): r is Grant => r.type === 'grant' && r.identity.nativeId === nativeId);
/** The identity and its grants, keyed, with their content hashes: what decides whether a new version is stored. */
const hashes = (records: ModelRecord[], nativeId: string) =>
  Object.fromEntries(
    records
      .filter(
        (r) =>
          (r.type === 'identity' ? r.nativeId : r.type === 'grant' ? r.identity.nativeId : '') === nativeId,
      )
      .map((r) => [`${r.type}:${recordKey(r)}`, contentHash(r)]),
  );
/** A hand-made previous snapshot holding `records`, each identity passed through `edit`. */
function snapshotOf(
  records: ModelRecord[],
  scanId: number,
  scannedAt: string,
  edit: (i: Identity) => Identity = (i) => i,
): PreviousSnapshot {
  return {
    scanId,
    scannedAt,
    async *bundles(filter) {
      for (const r of records) {
        if (r.type !== 'identity' || (filter?.kinds && !filter.kinds.includes(r.kind))) continue;
        const bundle: IdentityBundle = {
          source: `google-workspace:${TENANT}`,
          identityKey: recordKey(r),
          identity: edit(r),
          grants: grantsOf(records, r.nativeId),
          credentials: [],
        };
        yield bundle;
      }
    },
  };
}
const notes = (s: { coverage: CoverageReport }) =>
  s.coverage.collectors.find((c) => c.collector === 'domain-wide-delegation')!.notes.join('\n');

describe('google-workspace: audit events ageing out of the window (engine + real store)', () => {
  let store: SnapshotStore;
  const scans: Scanned[] = [];

  beforeAll(async () => {
    store = await openStore(join(mkdtempSync(join(tmpdir(), 'gs-ageing-db-')), 'g.db'));
    // 11-01: everything in the window. 11-03: backup's first authorize and directory-sync's only one have
    // aged out. 11-06: backup's last authorize too. 11-07: directory-sync re-authorized (11-06T12:00).
    // 11-09: backup removed (11-08).
    for (const n of [0, 2, 5, 6, 8]) scans.push(await engineScanAt(store, day(n)));
  }, 60_000);
  afterAll(() => store?.close());

  it('every scan is complete', () => {
    expect(scans.map((s) => s.coverage.status)).toEqual([
      'complete',
      'complete',
      'complete',
      'complete',
      'complete',
    ]);
  });

  it('rebuilds both delegations from the window on the first scan', () => {
    const [s1] = scans;
    expect(identity(s1!.records, backup)).toMatchObject({
      createdAt: '2026-05-06T09:00:00.000Z',
      attributes: { authorizedAt: '2026-05-08T09:00:00.000Z', visibleInAuditLog: true },
    });
    expect(identity(s1!.records, backup)!.attributes).not.toHaveProperty('carriedFromScan');
    expect(identity(s1!.records, directorySync)!.attributes).toMatchObject({ visibleInAuditLog: true });
    expect(notes(s1!)).toMatch(/first scan of this tenant/);
  });

  it('keeps a delegation whose earliest event aged out exactly as it was (since and history included)', () => {
    const [s1, s2] = scans;
    expect(identity(s2!.records, backup)!.attributes.history).toHaveLength(2);
    expect(hashes(s2!.records, backup)).toEqual(hashes(s1!.records, backup));
    expect(Object.keys(hashes(s1!.records, backup))).toHaveLength(3); // identity + 2 scopes
  });

  it('carries a delegation whose authorize event aged out, marked as no longer visible, joined afresh', () => {
    const [s1, s2] = scans;
    const sync = identity(s2!.records, directorySync)!;
    expect(sync).toMatchObject({
      displayName: 'HR directory sync',
      origin: 'internal',
      createdAt: '2026-05-06T09:00:00.000Z',
      owners: [
        expect.objectContaining({ name: 'ana.silva@acme.example', active: true }),
        expect.objectContaining({ name: 'it-admin@acme.example', active: true }),
      ],
      attributes: {
        serviceAccount: 'directory-sync@acme-it-ops.iam.gserviceaccount.com',
        scopes: [`${SCOPE}admin.directory.user.readonly`],
        authorizedAt: '2026-05-06T09:00:00.000Z',
        visibleInAuditLog: false,
        carriedFromScan: s1!.id,
        lastSeenInAuditLog: s1!.startedAt,
      },
    });
    // Its grants as they were.
    expect(grantsOf(s2!.records, directorySync)).toEqual(grantsOf(s1!.records, directorySync));
    // The service account still shows the delegation.
    expect(
      identity(s2!.records, 'directory-sync@acme-it-ops.iam.gserviceaccount.com')!.attributes,
    ).toMatchObject({
      domainWideDelegation: true,
    });
    expect(notes(s2!)).toMatch(
      /1 delegation was carried over from earlier scans because its authorize event is older than 2026-05-07T09:00:00\.000Z.*117465382910473829156.*Admin console → Security → API controls → Domain-wide delegation/,
    );
  });

  it('stores no new version of a delegation carried in two consecutive scans', async () => {
    const [, s2, s3, s4] = scans;
    // directory-sync: carried in scans 2 and 3; backup: carried in scans 3 and 4.
    expect(hashes(s3!.records, directorySync)).toEqual(hashes(s2!.records, directorySync));
    expect(identity(s3!.records, backup)!.attributes).toMatchObject({
      visibleInAuditLog: false,
      carriedFromScan: s2!.id,
      lastSeenInAuditLog: s2!.startedAt,
      history: [
        expect.objectContaining({ at: '2026-05-06T09:00:00.000Z' }),
        expect.objectContaining({ at: '2026-05-08T09:00:00.000Z' }),
      ],
    });
    expect(hashes(s4!.records, backup)).toEqual(hashes(s3!.records, backup));
    const changed: string[] = [];
    for await (const c of store.changesBetween(s3!.id, s4!.id)) changed.push(c.key);
    expect(changed.filter((k) => k.includes(backup))).toEqual([]);
  });

  it('takes the fresh data when a carried delegation is re-authorized', () => {
    const [, , s3, s4] = scans;
    const sync = identity(s4!.records, directorySync)!;
    expect(sync).toMatchObject({
      createdAt: '2026-05-06T09:00:00.000Z',
      attributes: {
        authorizedAt: '2026-11-06T12:00:00.000Z',
        authorizedBy: 'it-admin@acme.example',
        scopes: [`${SCOPE}admin.directory.group.readonly`, `${SCOPE}admin.directory.user.readonly`],
        visibleInAuditLog: true,
        history: [
          expect.objectContaining({ at: '2026-05-06T09:00:00.000Z', by: 'ana.silva@acme.example' }),
          expect.objectContaining({ at: '2026-11-06T12:00:00.000Z', by: 'it-admin@acme.example' }),
        ],
      },
    });
    expect(sync.attributes).not.toHaveProperty('carriedFromScan');
    expect(grantsOf(s4!.records, directorySync).map((g) => [g.permission.id, g.grantedAt])).toEqual(
      expect.arrayContaining([
        [`${SCOPE}admin.directory.group.readonly`, '2026-11-06T12:00:00.000Z'],
        [`${SCOPE}admin.directory.user.readonly`, '2026-11-06T12:00:00.000Z'],
      ]),
    );
    expect(grantsOf(s3!.records, directorySync)).toHaveLength(1);
  });

  it('drops a carried delegation once a removal shows up in the window', async () => {
    const [, , , s4, s5] = scans;
    expect(identity(s5!.records, backup)).toBeUndefined();
    expect(grantsOf(s5!.records, backup)).toEqual([]);
    expect(identity(s5!.records, directorySync)).toBeDefined();
    expect(identity(s5!.records, 'backup-sa@acme-it-ops.iam.gserviceaccount.com')!.attributes).toMatchObject({
      domainWideDelegation: false,
    });
    expect(notes(s5!)).toMatch(/1 delegation in force \(0 carried over\), 1 removed/);
    const removed: string[] = [];
    for await (const c of store.changesBetween(s4!.id, s5!.id))
      if (!c.after) removed.push(`${c.type}:${c.key}`);
    expect(removed.sort()).toEqual(
      [
        `identity:domain-wide-delegation:${backup}`,
        `grant:domain-wide-delegation:${backup}||${SCOPE}gmail.readonly||`,
        `grant:domain-wide-delegation:${backup}||${SCOPE}drive.readonly||`,
      ].sort(),
    );
  });

  it('keeps OAuth grant times, first grant and last use when their events age out: no new versions', () => {
    const [s1, s2, s3, s4, s5] = scans;
    const notes1 = identity(s1!.records, app.ageingNotes)!;
    expect(notes1).toMatchObject({
      createdAt: '2026-05-06T09:00:00.000Z',
      lastUsed: { at: '2026-05-06T10:00:00.000Z' },
    });
    expect(grantsOf(s1!.records, app.ageingNotes).map((g) => g.grantedAt)).toEqual([
      '2026-05-06T09:00:00.000Z',
      '2026-05-06T09:00:00.000Z',
    ]);
    expect(identity(s1!.records, app.quietForms)).toMatchObject({
      createdAt: '2026-05-06T11:00:00.000Z',
      lastUsed: { at: null },
    });
    // Not used in the first window: an upper bound at that window's start, kept from then on.
    expect(identity(s1!.records, app.oldPlanner)!.lastUsed).toMatchObject({ at: '2026-05-05T09:00:00.000Z' });
    for (const id of Object.values(app)) {
      for (const later of [s2, s3, s4, s5])
        expect(hashes(later!.records, id), id).toEqual(hashes(s1!.records, id));
    }
  });
});

describe('google-workspace: ageing without a usable previous snapshot', () => {
  it('cannot see a delegation or grant time older than the window on a first scan', async () => {
    const { records, coverage } = await connectorScanAt(day(5));
    expect(identity(records, backup)).toBeUndefined();
    expect(identity(records, directorySync)).toBeUndefined();
    expect(grantsOf(records, app.ageingNotes).every((g) => g.grantedAt === null)).toBe(true);
    expect(identity(records, app.ageingNotes)).toMatchObject({
      createdAt: null,
      lastUsed: { at: '2026-05-10T09:00:00.000Z' },
      attributes: { grantedBeforeWindow: true },
    });
    expect(notes({ coverage })).toMatch(/first scan of this tenant/);
  });

  it('after a gap longer than the window: carries delegations (saying so), but no grant times', async () => {
    // Scan 1 stored at 11-01, then handed over as if it had been taken half a year earlier.
    const store = await openStore(join(mkdtempSync(join(tmpdir(), 'gs-ageing-gap-')), 'g.db'));
    try {
      const first = await engineScanAt(store, day(0));
      const previous: PreviousSnapshot = {
        scanId: first.id,
        scannedAt: '2026-04-01T00:00:00.000Z',
        bundles: (filter) =>
          store.readSnapshot(first.id, { platform: 'google-workspace', tenant: TENANT, ...filter }),
      };
      const { records, coverage } = await connectorScanAt(day(5), previous);
      expect(identity(records, backup)!.attributes).toMatchObject({
        visibleInAuditLog: false,
        carriedFromScan: first.id,
        lastSeenInAuditLog: '2026-04-01T00:00:00.000Z',
      });
      expect(notes({ coverage })).toMatch(
        /is older than the window start .*removed between the two cannot be seen/,
      );
      expect(grantsOf(records, app.ageingNotes).every((g) => g.grantedAt === null)).toBe(true);
      const activity = coverage.collectors.find((c) => c.collector === 'token-activity')!;
      expect(activity.notes.join('\n')).toMatch(/not carried over/);
    } finally {
      await store.close();
    }
  });

  it('carries delegations stored before the carry-over attributes existed', async () => {
    const first = (await connectorScanAt(day(0))).records;
    const older = snapshotOf(first, 7, day(0).toISOString(), (i) => {
      if (i.kind !== 'domain-wide-delegation') return i;
      const { visibleInAuditLog: _v, ...attributes } = i.attributes;
      const { authorizedById: _id, ...raw } = i.raw as Record<string, string>;
      return { ...i, attributes, raw };
    });
    const { records } = await connectorScanAt(day(5), older);
    expect(identity(records, backup)).toMatchObject({
      createdAt: '2026-05-06T09:00:00.000Z',
      attributes: {
        scopes: [`${SCOPE}drive.readonly`, `${SCOPE}gmail.readonly`],
        visibleInAuditLog: false,
        carriedFromScan: 7,
        lastSeenInAuditLog: day(0).toISOString(),
      },
    });
    expect(grantsOf(records, backup)).toEqual(grantsOf(first, backup));
  });
});
