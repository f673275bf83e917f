import { mkdtempSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { PreviousSnapshot } from '../../src/connector/context.js';
import type { CollectorCoverage, CoverageReport } from '../../src/connector/coverage.js';
import { generatedWorkspace } from '../../src/emulator/google-workspace/generated-world.js';
import { parseSection } from '../../src/emulator/google-workspace/world-schema.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { loadWorld, type World } from '../../src/emulator/world.js';
import { ConfigError, CredentialSourceError, StoreError } from '../../src/errors.js';
import type { Credential, Grant, Identity, ModelRecord } from '../../src/model/index.js';
import { recordKey } from '../../src/model/record.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import type { GoogleWorkspaceConfigInput } from './config.js';
import connector from './index.js';

const DEMO = 'fixtures/worlds/test/google-workspace.yaml';
const CHANGED = 'fixtures/worlds/test/google-workspace-changed.yaml';
const SCOPE = 'https://www.googleapis.com/auth/';
const app = {
  pdfMagic: '164820937152-pdfm4gic8c0nv3rt7r1q5w9e2r6t0y4u.apps.googleusercontent.com',
  mailMerge: '283746519027-mm3rg8pr0q4w7e1r5t9y2u6i0o3p7a5s.apps.googleusercontent.com',
  syncDrive: '451029384756-sdbk2up9d8r7i6v5e4b3a2c1k0u9p8q7.apps.googleusercontent.com',
  legacyCrm: '672819304561-lcrm7c0nn3ct0r5q9w2e6r0t4y8u1i5o.apps.googleusercontent.com',
  trello: '819203746158-tr3ll0b0ard2k6m0n4b8v2c6x0z4l8k2.apps.googleusercontent.com',
  grammarly: '245067183920-gr4mm4rly1w5r9t3y7u1i5o9p3a7s1d5.apps.googleusercontent.com',
  zoom: '849173526041-zq4k7m2p9r1t6v8x3b5n0c7d2f4h6j8l.apps.googleusercontent.com',
  chrome: '77185425430.apps.googleusercontent.com',
  meetingNotes: '356192874036-a1m33t1ngn0t3s5k7j9h1g3f5d7s9a1q.apps.googleusercontent.com',
};
const dwd = {
  backup: '113948572038475610293',
  cloudVault: '108273645190283746510',
  directorySync: '117465382910473829156',
  oldReporting: '102938475610293847561',
};

type ScanResult = {
  records: ModelRecord[];
  coverage: CoverageReport;
  ctx: Awaited<ReturnType<typeof createTestContext>>;
};

let emu: RunningEmulator;

async function scan(
  options: {
    config?: Partial<GoogleWorkspaceConfigInput>;
    files?: Record<string, string>;
    drop?: string[];
    previous?: PreviousSnapshot;
  } = {},
): Promise<ScanResult> {
  const setup = emu.clientSetup();
  const ctx = await createTestContext({
    connector,
    tenant: 'C03acme7x',
    caCert: emu.caCert,
    now: emu.now,
    // Small retry delays through the engine's retry policy (the test clock does not sleep either).
    http: { retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 } },
    previous: options.previous,
  });
  for (const [name, content] of Object.entries({ ...setup.files, ...options.files })) {
    await writeFile(join(ctx.configDir, name), content);
  }
  const section: Record<string, unknown> = {
    ...(setup.config['google-workspace'] as object),
    ...options.config,
  };
  for (const k of options.drop ?? []) delete section[k];
  const { records, coverage } = await collectScan(connector, connector.configSchema.parse(section), ctx);
  // A configuration problem stops the scan, as the engine does (run-scan.ts).
  if (ctx.coverage.fatal) throw ctx.coverage.fatal;
  return { records, coverage, ctx };
}

const identities = (records: ModelRecord[], kind: string) =>
  records.filter((r): r is Identity => r.type === 'identity' && r.kind === kind);
const identity = (records: ModelRecord[], nativeId: string) =>
  records.find((r): r is Identity => r.type === 'identity' && r.nativeId === nativeId);
const grantsOf = (records: ModelRecord[], nativeId: string) =>
  records.filter((r): r is Grant => r.type === 'grant' && r.identity.nativeId === nativeId);
const credentials = (records: ModelRecord[]) =>
  records.filter((r): r is Credential => r.type === 'credential');
const collector = (coverage: CoverageReport, name: string) =>
  coverage.collectors.find((c) => c.collector === name) as CollectorCoverage;
const statuses = (coverage: CoverageReport) =>
  Object.fromEntries(coverage.collectors.map((c) => [c.collector, c.status]));
const daysBefore = (days: number) => new Date(emu.now.getTime() - days * 86_400_000).toISOString();
const routeCount = (pattern: string, method = 'GET') =>
  emu.stats().routes.find((r) => r.pattern === pattern && r.method === method)?.count ?? 0;

type Section = { scanner: { delegatedScopes: string[] } };
function demoWith(edit: (section: Section) => void): World {
  const w = loadWorld(DEMO);
  edit(w.platforms['google-workspace'] as Section);
  return w;
}

beforeAll(async () => {
  emu = await startEmulator({ world: DEMO });
});
afterAll(() => emu.stop());
afterEach(() => {
  emu.setWorld(DEMO);
  emu.resetStats();
});

describe('google-workspace connector on the demo domain (real SDK, JWT-bearer with subject)', () => {
  let demo: ScanResult;
  beforeAll(async () => {
    emu.resetStats();
    demo = await scan();
  });

  it('completes every collector and counts every request it made', () => {
    expect(demo.coverage.status).toBe('complete');
    expect(Object.values(statuses(demo.coverage)).every((s) => s === 'complete')).toBe(true);
    // The emulator saw exactly the requests coverage attributed to collectors.
    expect(demo.coverage.requests).toBe(emu.stats().total);
    // One token per scope group, not per call: users, tokens, audit (DWD), cloud read, IAM.
    expect(routeCount('/token', 'POST')).toBe(5);
    expect(collector(demo.coverage, 'oauth-grants').requests).toBe(15); // a token + 14 users
    expect(collector(demo.coverage, 'users').notes[0]).toBe('14 users (2 suspended, 1 archived)');
  });

  it('inventories the third-party apps with their users, scopes, risk and last use', () => {
    const apps = identities(demo.records, 'oauth-client');
    expect(apps).toHaveLength(13);
    const pdf = identity(demo.records, app.pdfMagic)!;
    expect(pdf).toMatchObject({
      displayName: 'PDF Magic Converter',
      origin: 'third-party',
      createdAt: daysBefore(45),
      lastUsed: { at: daysBefore(2), source: 'google-workspace:reports.token.activity' },
      attributes: {
        userCount: 2,
        activeUserCount: 2,
        scopes: ['email', 'https://mail.google.com/', `${SCOPE}drive`, 'openid'],
      },
    });
    const pdfGrants = grantsOf(demo.records, app.pdfMagic);
    expect(pdfGrants).toHaveLength(8); // 4 scopes × 2 users
    const fullMail = pdfGrants.filter((g) => g.permission.id === 'https://mail.google.com/');
    expect(fullMail.map((g) => [g.principal?.name, g.risk.tier, g.target.breadth, g.grantedVia])).toEqual([
      ['dara.novak@acme.example', 'critical', 'user', 'user-consent'],
      ['elif.yilmaz@acme.example', 'critical', 'user', 'user-consent'],
    ]);
    expect(fullMail[1]!.grantedAt).toBe(daysBefore(20));
    expect(grantsOf(demo.records, app.mailMerge).filter((g) => g.risk.tier === 'high')).toHaveLength(3);
    expect(identity(demo.records, app.chrome)!.origin).toBe('platform');
    expect(identity(demo.records, app.zoom)!.lastUsed?.at).toBe(
      new Date(emu.now.getTime() - 6 * 3600_000).toISOString(),
    );
  });

  it("reports a suspended user's grants as orphaned: principal inactive, no active owner", () => {
    for (const id of [app.syncDrive, app.legacyCrm]) {
      const grants = grantsOf(demo.records, id);
      expect(grants.length).toBeGreaterThan(0);
      expect(grants.every((g) => g.principal?.active === false)).toBe(true);
      const ident = identity(demo.records, id)!;
      expect(ident.owners.some((o) => o.active)).toBe(false);
      expect(ident.attributes.activeUserCount).toBe(0);
    }
    const drive = grantsOf(demo.records, app.syncDrive).find((g) => g.permission.id === `${SCOPE}drive`)!;
    expect(drive).toMatchObject({
      principal: { name: 'greta.lind@acme.example', active: false },
      risk: { tier: 'critical' },
    });
    expect(drive.attributes).toMatchObject({ userSuspended: true });
    // Ben's Legacy CRM grant was revoked: history only, not a grant.
    expect(grantsOf(demo.records, app.legacyCrm).map((g) => g.principal?.name)).not.toContain(
      'ben.okafor@acme.example',
    );
    expect(identity(demo.records, app.legacyCrm)!.attributes).toMatchObject({
      lastRevokedAt: daysBefore(150),
      grantedBeforeWindow: true,
    });
    expect(grantsOf(demo.records, app.zoom).every((g) => g.principal?.active === true)).toBe(true);
  });

  it('tells never used from not used in the audit window', () => {
    // Granted inside the window and never used: last use null.
    expect(identity(demo.records, app.grammarly)).toMatchObject({
      createdAt: daysBefore(60),
      lastUsed: { at: null },
    });
    // Granted before the window, no use inside it: last use is before the window start (an upper bound).
    const trello = identity(demo.records, app.trello)!;
    expect(trello.createdAt).toBeNull();
    expect(trello.lastUsed?.at).toBe(daysBefore(180));
    expect(trello.lastUsed?.source).toMatch(/none in the audit window/);
    expect(collector(demo.coverage, 'token-activity').notes[0]).toMatch(
      /from 2026-05-05T09:00:00.000Z .*\(180 days/,
    );
  });

  it('rebuilds domain-wide delegation from audit events, including a removal, joined to service accounts', () => {
    const delegations = identities(demo.records, 'domain-wide-delegation');
    expect(delegations.map((d) => d.nativeId).sort()).toEqual(
      [dwd.cloudVault, dwd.backup, dwd.directorySync].sort(),
    );
    expect(identity(demo.records, dwd.oldReporting)).toBeUndefined();

    const backup = identity(demo.records, dwd.backup)!;
    expect(backup).toMatchObject({
      origin: 'internal',
      displayName: 'Mail and Drive backup',
      attributes: {
        serviceAccount: 'backup-sa@acme-it-ops.iam.gserviceaccount.com',
        projectId: 'acme-it-ops',
      },
    });
    const backupGrants = grantsOf(demo.records, dwd.backup);
    expect(backupGrants.map((g) => [g.permission.id, g.risk.tier, g.target.breadth, g.grantedVia])).toEqual([
      [`${SCOPE}gmail.readonly`, 'critical', 'tenant', 'delegation'],
      [`${SCOPE}drive.readonly`, 'critical', 'tenant', 'delegation'],
    ]);
    expect(backupGrants[0]!.grantedBy).toMatchObject({ name: 'ana.silva@acme.example', active: true });

    const vault = identity(demo.records, dwd.cloudVault)!;
    expect(vault.origin).toBe('third-party');
    expect(vault.owners).toEqual([
      expect.objectContaining({ name: 'hugo.moreau@acme.example', active: false }),
    ]);
    // Any DWD grant is at least high, even for a medium scope.
    expect(
      grantsOf(demo.records, dwd.cloudVault).find((g) => g.permission.id === `${SCOPE}calendar`)!.risk.tier,
    ).toBe('high');

    const sync = identity(demo.records, dwd.directorySync)!;
    expect(sync.createdAt).toBe(daysBefore(120));
    expect(sync.attributes.history).toEqual([
      {
        at: daysBefore(120),
        action: 'authorize',
        by: 'ana.silva@acme.example',
        scopes: [`${SCOPE}admin.directory.user.readonly`],
      },
      {
        at: daysBefore(100),
        action: 'authorize',
        by: 'it-admin@acme.example',
        scopes: [`${SCOPE}admin.directory.user.readonly`, `${SCOPE}admin.directory.group.readonly`],
      },
    ]);
    expect(collector(demo.coverage, 'domain-wide-delegation').notes[0]).toMatch(
      /between 2026-05-05T09:00:00.000Z and 2026-11-01T09:00:00.000Z .*3 delegations in force \(0 carried over\), 1 removed.*first scan of this tenant.*not visible/,
    );
    // The service account side of the join.
    const sa = identity(demo.records, 'backup-sa@acme-it-ops.iam.gserviceaccount.com')!;
    expect(sa.attributes).toMatchObject({ domainWideDelegation: true, oauth2ClientId: dwd.backup });
  });

  it('lists service accounts with project owners and user-managed keys with expiry', () => {
    expect(identities(demo.records, 'service-account')).toHaveLength(7);
    expect(identity(demo.records, 'old-cron@acme-legacy.iam.gserviceaccount.com')!.owners).toEqual([
      expect.objectContaining({ name: 'hugo.moreau@acme.example', active: false }),
    ]);
    const keys = credentials(demo.records);
    expect(keys).toHaveLength(5); // user-managed only; every account's system-managed key is left out
    expect(keys.every((k) => k.credentialType === 'service-account-key')).toBe(true);
    const byAccount = (email: string) => keys.filter((k) => k.identity.nativeId === email);
    const [backupKey] = byAccount('backup-sa@acme-it-ops.iam.gserviceaccount.com');
    expect(backupKey).toMatchObject({
      nativeId:
        'projects/acme-it-ops/serviceAccounts/backup-sa@acme-it-ops.iam.gserviceaccount.com/keys/9f1c2b7e4d6a8f0b3c5e7a9d1f3b5c7e9a1d3f5b',
      expiresAt: null,
      enabled: true,
    });
    expect(
      byAccount('etl-runner@acme-data-platform.iam.gserviceaccount.com').map((k) => k.expiresAt),
    ).toEqual([daysBefore(35).replace('.000Z', 'Z'), daysBefore(-10).replace('.000Z', 'Z')]);
  });

  it('keeps secrets out of records and logs', () => {
    const text = JSON.stringify(demo.records) + demo.ctx.logger.lines.join('\n');
    expect(text).not.toMatch(/PRIVATE KEY|ya29\.|privateKeyData|assertion/);
  });
});

describe('google-workspace connector: paging, faults and failures', () => {
  it('pages users and report events of a generated domain', async () => {
    const section = {
      customer: { id: 'C03acme7x', domain: 'acme.example' },
      scanner: {
        serviceAccount: 'grantscope-scanner@acme-secops.iam.gserviceaccount.com',
        clientId: '104117239861203948571',
        subject: 'admin@acme.example',
      },
      generate: {
        seed: 11,
        users: 1100,
        tokenSlotsPerUser: 16,
        apps: 25,
        projects: 3,
        serviceAccountsPerProject: 2,
        delegations: 3,
      },
    };
    emu.setWorld({
      name: 'gen',
      description: null,
      now: null,
      faults: [],
      files: [],
      platforms: { 'google-workspace': section },
    });
    emu.resetStats();
    const { records, coverage, ctx } = await scan();
    expect(coverage.status).toBe('complete');

    // Ground truth from the same seeded world.
    const world = generatedWorkspace(parseSection(section, 'gen', 'google-workspace'), emu.now);
    let grants = 0;
    for (let i = 0; i < world.userCount; i++)
      for (const t of world.tokensOf(world.userAt(i))) grants += t.scopes.length;
    const inWindow = (name: string) => {
      let n = 0;
      let cursor: string | null = null;
      do {
        const page = world.events(
          {
            app: 'token',
            eventName: name,
            start: emu.now.getTime() - 180 * 86_400_000,
            end: emu.now.getTime(),
            filters: [],
            actorId: null,
          },
          cursor,
          1000,
        );
        n += page.items.length;
        cursor = page.cursor;
      } while (cursor);
      return n;
    };
    const authorize = inWindow('authorize');
    const revoke = inWindow('revoke');
    expect(authorize).toBeGreaterThan(2000);

    expect(collector(coverage, 'users').items).toBe(1100);
    // The customer check (maxResults=1) when the scan opens, then 500 + 500 + 100.
    const usersLists = ctx.requests.filter((r) => /\/admin\/directory\/v1\/users\?/.test(r.url));
    expect(usersLists.map((r) => new URL(r.url).searchParams.get('maxResults'))).toEqual([
      '1',
      '500',
      '500',
      '500',
    ]);
    expect(routeCount('/admin/directory/v1/users/{userKey}/tokens')).toBe(1100);
    expect(records.filter((r) => r.type === 'grant' && r.identity.kind === 'oauth-client')).toHaveLength(
      grants,
    );
    const authorizePages = ctx.requests.filter((r) => r.url.includes('eventName=authorize')).length;
    expect(authorizePages).toBe(Math.ceil(authorize / 1000));
    expect(collector(coverage, 'token-activity').items).toBe(authorize + revoke);
    // Last use: never more requests than one per app (the log's first pages, then lookups of the apps
    // not seen in them), and the newest activity event of each app, as the whole log says.
    const apps = identities(records, 'oauth-client');
    const activityRequests = ctx.requests.filter((r) => r.url.includes('eventName=activity')).length;
    expect(activityRequests).toBeLessThanOrEqual(apps.length);
    const newest = new Map<string, string>();
    let activityEvents = 0;
    let cursor: string | null = null;
    do {
      const page = world.events(
        {
          app: 'token',
          eventName: 'activity',
          start: emu.now.getTime() - 180 * 86_400_000,
          end: emu.now.getTime(),
          filters: [],
          actorId: null,
        },
        cursor,
        1000,
      );
      activityEvents += page.items.length;
      for (const e of page.items)
        for (const p of e.params)
          if (p.name === 'client_id' && typeof p.value === 'string' && !newest.has(p.value))
            newest.set(p.value, e.time);
      cursor = page.cursor;
    } while (cursor);
    expect(newest.size).toBeGreaterThan(0);
    // The log is many pages here, but every app shows in its first ones: no per-app lookup is needed.
    expect(activityEvents).toBeGreaterThan(10 * 1000);
    expect(activityRequests).toBeLessThan(apps.length);
    for (const a of apps) {
      if (a.lastUsed?.source.startsWith('google-workspace:reports.token.activity') && a.lastUsed.at)
        expect(a.lastUsed.at).toBe(newest.get(a.nativeId));
    }
    expect(
      apps.filter((a) => newest.has(a.nativeId) && a.lastUsed?.at === newest.get(a.nativeId)).length,
    ).toBe([...newest.keys()].filter((id) => apps.some((a) => a.nativeId === id)).length);
    expect(apps.some((a) => a.lastUsed?.at && a.lastUsed.at > daysBefore(30))).toBe(true);
  });

  it("retries a user's tokens.list after 5xx and completes", async () => {
    const users = (await scan()).records.filter(
      (r): r is Grant => r.type === 'grant' && r.identity.nativeId === app.syncDrive,
    );
    const gretaId = users[0]!.principal!.id;
    emu.resetStats();
    emu.faults.add({
      service: 'google',
      path: `^/admin/directory/v1/users/${gretaId}/tokens$`,
      times: 2,
      action: {
        kind: 'status',
        status: 503,
        body: { error: { code: 503, message: 'Backend Error', status: 'UNAVAILABLE' } },
      },
    });
    const { records, coverage, ctx } = await scan();
    expect(coverage.status).toBe('complete');
    expect(ctx.requests.filter((r) => r.url.includes(`/users/${gretaId}/tokens`))).toHaveLength(3);
    expect(grantsOf(records, app.syncDrive)).toHaveLength(2);
    expect(collector(coverage, 'oauth-grants').requests).toBe(17); // a token + 14 users + 2 retries
    expect(
      emu.stats().routes.find((r) => r.pattern === '/admin/directory/v1/users/{userKey}/tokens')?.statuses,
    ).toEqual({
      200: 14,
      503: 2,
    });
  });

  it('fails oauth-grants when one user keeps failing, keeping the other users’ grants', async () => {
    const ines = (await scan()).records.find(
      (r): r is Grant => r.type === 'grant' && r.principal?.name === 'ines.costa@acme.example',
    )!.principal!.id;
    emu.faults.add({
      path: `^/admin/directory/v1/users/${ines}/tokens$`,
      action: {
        kind: 'status',
        status: 500,
        body: { error: { code: 500, message: 'Internal error', status: 'INTERNAL' } },
      },
    });
    const { coverage, records } = await scan();
    expect(collector(coverage, 'oauth-grants')).toMatchObject({ status: 'failed', httpStatus: 500 });
    expect(collector(coverage, 'oauth-grants').reason).toMatch(
      /tokens\.list failed for 1 of 14 users after retries/,
    );
    expect(identities(records, 'oauth-client')).toHaveLength(13);
    expect(grantsOf(records, app.legacyCrm).map((g) => g.principal?.name)).toEqual([
      'greta.lind@acme.example',
    ]);
    // No previous snapshot to keep: apps seen through some users only, whose other users are unknown.
    expect(identities(records, 'oauth-client').every((a) => a.ownersKnown === false)).toBe(true);
    expect(identity(records, app.legacyCrm)!.owners.map((o) => o.name)).toEqual(['greta.lind@acme.example']);
  });

  it('on a first scan, marks owners unknown where a project policy could not be read', async () => {
    emu.faults.add({
      method: 'POST',
      path: '^/v3/projects/acme-it-ops:getIamPolicy$',
      action: {
        kind: 'status',
        status: 403,
        body: { error: { code: 403, message: 'Permission denied', status: 'PERMISSION_DENIED' } },
      },
    });
    const { coverage, records } = await scan();
    expect(collector(coverage, 'gcp-projects')).toMatchObject({ status: 'failed', httpStatus: 403 });
    expect(collector(coverage, 'gcp-projects').reason).toMatch(/project owners unknown for 1 of 4 projects/);
    expect(statuses(coverage)).toMatchObject({
      'service-accounts': 'complete',
      'service-account-keys': 'complete',
    });
    expect(identity(records, 'backup-sa@acme-it-ops.iam.gserviceaccount.com')).toMatchObject({
      owners: [],
      ownersKnown: false,
    });
    expect(identity(records, 'old-cron@acme-legacy.iam.gserviceaccount.com')).toMatchObject({
      owners: [expect.objectContaining({ name: 'hugo.moreau@acme.example', active: false })],
      ownersKnown: true,
    });
    // The delegation still has the admin who authorized it, but not its project's owners.
    expect(identity(records, dwd.backup)).toMatchObject({
      owners: [expect.objectContaining({ name: 'ana.silva@acme.example', active: true })],
      ownersKnown: false,
      origin: 'internal',
    });
    expect(identity(records, dwd.cloudVault)!.ownersKnown).toBe(true);
  });

  it('on a first scan without the users, cannot judge owners', async () => {
    emu.faults.add({
      path: '^/admin/directory/v1/users$',
      action: {
        kind: 'status',
        status: 403,
        body: { error: { code: 403, message: 'Not Authorized to access this resource/api' } },
      },
    });
    const { coverage, records } = await scan();
    expect(statuses(coverage)).toMatchObject({ users: 'failed', 'oauth-grants': 'failed' });
    const vault = identity(records, dwd.cloudVault)!;
    expect(vault).toMatchObject({ ownersKnown: false, owners: [expect.objectContaining({ active: null })] });
    expect(grantsOf(records, dwd.cloudVault)[0]!.grantedBy).toMatchObject({
      name: 'hugo.moreau@acme.example',
      active: null,
    });
    expect(identities(records, 'service-account').every((a) => a.ownersKnown === false)).toBe(true);
  });

  it('stores nothing when a collector failed and the previous snapshot cannot be read', async () => {
    const unreadable: PreviousSnapshot = {
      scanId: 7,
      scannedAt: daysBefore(1),
      // biome-ignore lint/correctness/useYield: a snapshot that fails before its first bundle
      async *bundles() {
        throw new StoreError('/tmp/g.db', 'database disk image is malformed');
      },
    };
    emu.faults.add({ path: '/v3/projects:search', action: { kind: 'status', status: 403 } });
    const { coverage, records } = await scan({ previous: unreadable });
    // The store keeps every record as it was: no record, and no collector complete (nothing removed).
    expect(records).toEqual([]);
    expect(Object.values(statuses(coverage)).every((s) => s === 'failed')).toBe(true);
    expect(collector(coverage, 'gcp-projects')).toMatchObject({ httpStatus: 403 });
    expect(collector(coverage, 'users').reason).toMatch(
      /nothing stored: a collector failed, and the previous snapshot .* could not be read \(.*malformed\)/,
    );
  });

  it('reads API_SCOPES sent as one comma-separated value, and counts an event once', async () => {
    const event = {
      kind: 'admin#reports#activity',
      id: { time: daysBefore(10), uniqueQualifier: '42', applicationName: 'admin', customerId: 'C03acme7x' },
      actor: { email: 'ana.silva@acme.example', profileId: '1' },
      events: [
        {
          type: 'DOMAIN_SETTINGS',
          name: 'AUTHORIZE_API_CLIENT_ACCESS',
          parameters: [
            { name: 'API_CLIENT_NAME', value: '119999999999999999999' },
            { name: 'API_SCOPES', value: `${SCOPE}gmail.readonly,${SCOPE}calendar` },
          ],
        },
      ],
    };
    // Both listings (AUTHORIZE and REMOVE) get this page: the replay must not see the event twice.
    emu.faults.add({
      path: '^/admin/reports/v1/activity/users/all/applications/admin$',
      action: { kind: 'status', status: 200, body: { kind: 'admin#reports#activities', items: [event] } },
    });
    const { coverage, records } = await scan();
    expect(collector(coverage, 'domain-wide-delegation').status).toBe('complete');
    // Coverage items are the records emitted (the runner counts them); the replayed events are in the note.
    expect(collector(coverage, 'domain-wide-delegation').notes[0]).toContain('(1 events;');
    expect(identities(records, 'domain-wide-delegation').map((d) => d.nativeId)).toEqual([
      '119999999999999999999',
    ]);
    expect(grantsOf(records, '119999999999999999999').map((g) => g.permission.id)).toEqual([
      `${SCOPE}gmail.readonly`,
      `${SCOPE}calendar`,
    ]);
  });

  it('fails only the collectors whose scope is not delegated, after one token request', async () => {
    emu.setWorld(
      demoWith((s) => {
        s.scanner.delegatedScopes = [
          `${SCOPE}admin.directory.user.readonly`,
          `${SCOPE}admin.reports.audit.readonly`,
        ];
      }),
    );
    emu.resetStats();
    const { records, coverage } = await scan();
    expect(coverage.status).toBe('incomplete');
    expect(statuses(coverage)).toEqual({
      users: 'complete',
      'oauth-grants': 'failed',
      'token-activity': 'complete',
      'domain-wide-delegation': 'complete',
      'gcp-projects': 'complete',
      'service-accounts': 'complete',
      'service-account-keys': 'complete',
    });
    const failed = collector(coverage, 'oauth-grants');
    expect(failed).toMatchObject({ httpStatus: 401, api: 'POST /token' });
    expect(failed.reason).toMatch(/unauthorized_client/);
    // No per-user calls were spent on a scope that cannot work.
    expect(routeCount('/admin/directory/v1/users/{userKey}/tokens')).toBe(0);
    expect(emu.stats().routes.find((r) => r.pattern === '/token')?.statuses[401]).toBe(1);
    expect(identities(records, 'oauth-client')).toHaveLength(0);
    expect(identities(records, 'domain-wide-delegation')).toHaveLength(3);
    expect(credentials(records)).toHaveLength(5);
  });

  it('stops the per-user fan-out at the first permission error', async () => {
    emu.faults.add({
      path: '/admin/directory/v1/users/{userKey}/tokens',
      action: {
        kind: 'status',
        status: 403,
        body: {
          error: {
            code: 403,
            message: 'Not Authorized to access this resource/api',
            errors: [{ reason: 'forbidden' }],
          },
        },
      },
    });
    const { coverage } = await scan();
    expect(collector(coverage, 'oauth-grants')).toMatchObject({ status: 'failed', httpStatus: 403 });
    expect(collector(coverage, 'oauth-grants').reason).toMatch(/Not Authorized to access this resource\/api/);
    expect(routeCount('/admin/directory/v1/users/{userKey}/tokens')).toBe(1);
  });

  it('fails the Workspace collectors when the subject is not an admin, keeping the GCP ones', async () => {
    const { coverage, records } = await scan({ config: { subject: 'ben.okafor@acme.example' } });
    expect(statuses(coverage)).toMatchObject({
      users: 'failed',
      'oauth-grants': 'failed',
      'token-activity': 'failed',
      'domain-wide-delegation': 'failed',
      'gcp-projects': 'complete',
      'service-accounts': 'complete',
      'service-account-keys': 'complete',
    });
    expect(collector(coverage, 'users')).toMatchObject({
      httpStatus: 403,
      api: 'GET /admin/directory/v1/users',
    });
    expect(collector(coverage, 'oauth-grants').reason).toMatch(/needs the users collector/);
    expect(identities(records, 'service-account')).toHaveLength(7);
  });

  it('fails service accounts and keys on an IAM 403, and marks unmatched delegations unknown', async () => {
    emu.faults.add({
      path: '/v1/projects/{project}/serviceAccounts',
      action: {
        kind: 'status',
        status: 403,
        body: {
          error: {
            code: 403,
            message: "Permission 'iam.serviceAccounts.list' denied",
            status: 'PERMISSION_DENIED',
          },
        },
      },
    });
    const { coverage, records } = await scan();
    expect(statuses(coverage)).toMatchObject({
      'gcp-projects': 'complete',
      'service-accounts': 'failed',
      'service-account-keys': 'failed',
      'oauth-grants': 'complete',
    });
    expect(collector(coverage, 'service-accounts')).toMatchObject({
      httpStatus: 403,
      api: 'GET /v1/projects/{project}/serviceAccounts',
    });
    expect(collector(coverage, 'service-accounts').reason).toMatch(/iam\.serviceAccounts\.list/);
    expect(identities(records, 'domain-wide-delegation').map((d) => d.origin)).toEqual([
      'unknown',
      'unknown',
      'unknown',
    ]);
  });

  it('turns a malformed body into an ApiError for that collector', async () => {
    emu.faults.add({ path: '/v3/projects:search', action: { kind: 'malformed' } });
    const { coverage, records } = await scan();
    expect(collector(coverage, 'gcp-projects')).toMatchObject({
      status: 'failed',
      api: 'GET /v3/projects:search',
    });
    expect(collector(coverage, 'gcp-projects').reason).toMatch(/malformed response \(body is not JSON\)/);
    expect(statuses(coverage)).toMatchObject({
      'service-accounts': 'failed',
      'service-account-keys': 'failed',
      users: 'complete',
    });
    expect(identities(records, 'oauth-client')).toHaveLength(13);
  });

  it('retries a rate-limited report page and a reset connection', async () => {
    emu.faults.add({
      path: '^/admin/reports/v1/activity/users/all/applications/admin$',
      times: 1,
      action: { kind: 'rate-limit', retryAfter: 0 },
    });
    emu.faults.add({ path: '/v3/projects:search', times: 1, action: { kind: 'reset' } });
    const { coverage, records } = await scan();
    expect(coverage.status).toBe('complete');
    expect(identities(records, 'domain-wide-delegation')).toHaveLength(3);
    expect(identities(records, 'service-account')).toHaveLength(7);
  });

  it('paces Directory calls to the configured quota', async () => {
    const { coverage, ctx } = await scan({ config: { directoryQuotaPerMinute: 60 } });
    expect(coverage.status).toBe('complete');
    // 16 Directory calls (the customer check, then 15) at one a second (burst 1): the k-th waits k seconds
    // on the test clock.
    const waits = ctx.sleeps.filter((ms) => ms >= 1000).sort((a, b) => a - b);
    expect(waits).toEqual(Array.from({ length: 15 }, (_, k) => (k + 1) * 1000));
  });

  it("honours the key file's token_uri, and a tokenUri override in the config", async () => {
    expect((await scan({ drop: ['tokenUri'] })).coverage.status).toBe('complete');
    const key = JSON.parse(emu.clientSetup().files['google-workspace-sa.json']!);
    const elsewhere = JSON.stringify({ ...key, token_uri: 'https://127.0.0.1:9/token' });
    const broken = await scan({ drop: ['tokenUri'], files: { 'google-workspace-sa.json': elsewhere } });
    expect(collector(broken.coverage, 'users')).toMatchObject({ status: 'failed', api: 'POST /token' });
    const fixed = await scan({ files: { 'google-workspace-sa.json': elsewhere } });
    expect(fixed.coverage.status).toBe('complete');
  });

  it('names the key file and the problem when it cannot be used', async () => {
    await expect(scan({ config: { keyFile: 'nope.json' } })).rejects.toThrow(CredentialSourceError);
    await expect(scan({ config: { keyFile: 'nope.json' } })).rejects.toThrow(
      /google-workspace\.keyFile: cannot read .*nope\.json \(file not found\)/,
    );
    await expect(
      scan({ files: { 'google-workspace-sa.json': '{"type": "service_account",' } }),
    ).rejects.toThrow(/is not JSON/);
    const noKey = JSON.stringify({ type: 'service_account', client_email: 'a@b.iam.gserviceaccount.com' });
    const err = await scan({ files: { 'google-workspace-sa.json': noKey } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(String(err)).toMatch(/google-workspace-sa\.json[\s\S]*private_key/);
    expect(String(err)).not.toMatch(/a@b/);
  });

  it('refuses cleartext http:// for apiRoot, tokenUri and the key file token_uri (tokens and JWTs would travel in clear)', async () => {
    const base = { customerId: 'C03acme7x', subject: 'a@b.example', keyFile: 'k.json' };
    for (const key of ['apiRoot', 'tokenUri'] as const) {
      for (const url of ['http://private.googleapis.example/', 'http://127.0.0.1:8443/token']) {
        const r = connector.configSchema.safeParse({ ...base, [key]: url });
        expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
          [key, expect.stringMatching(/^must be an https:\/\/ URL/)],
        ]);
      }
    }
    // In grantscope.yaml: a config error (exit 2) naming the key and its line.
    const dir = mkdtempSync(join(tmpdir(), 'gs-gw-config-'));
    const file = join(dir, 'grantscope.yaml');
    writeFileSync(
      file,
      'google-workspace:\n  customerId: C03acme7x\n  subject: a@b.example\n  keyFile: k.json\n  apiRoot: https://ok.example/\n  tokenUri: http://oauth2.example/token\n',
    );
    const err = (() => {
      try {
        loadConfig(file, [connector]);
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(2);
    expect(err.issues).toEqual([expect.objectContaining({ path: 'google-workspace.tokenUri', line: 6 })]);
    // The key file's token_uri is used when the config names none: refused too, naming the file and key.
    const key = JSON.parse(emu.clientSetup().files['google-workspace-sa.json']!);
    const cleartext = JSON.stringify({ ...key, token_uri: 'http://127.0.0.1:9/token' });
    const keyErr = await scan({ drop: ['tokenUri'], files: { 'google-workspace-sa.json': cleartext } }).catch(
      (e: unknown) => e,
    );
    expect(keyErr).toBeInstanceOf(ConfigError);
    expect(String(keyErr)).toMatch(/google-workspace-sa\.json[\s\S]*token_uri: must be an https:\/\/ URL/);
  });

  it('rejects a config without a real customer id, naming the key', () => {
    const r = connector.configSchema.safeParse({
      customerId: 'my_customer',
      subject: 'a@b.c',
      keyFile: 'k.json',
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['customerId']);
  });
});

describe('google-workspace connector across the demo and its changed version', () => {
  it('shows grants added, widened and removed', async () => {
    const before = (await scan()).records;
    emu.setWorld(CHANGED);
    const after = (await scan()).records;
    const keys = (rs: ModelRecord[]) => new Set(rs.map((r) => `${r.type}:${recordKey(r)}`));
    const [a, b] = [keys(before), keys(after)];
    const added = [...b].filter((k) => !a.has(k));
    const removed = [...a].filter((k) => !b.has(k));
    const mentions = (list: string[], ...parts: string[]) =>
      list.filter((k) => parts.every((p) => k.includes(p)));

    expect(mentions(added, 'identity:', app.meetingNotes)).toHaveLength(1);
    expect(mentions(added, 'grant:', app.meetingNotes)).toHaveLength(4);
    expect(mentions(added, 'grant:', app.mailMerge, 'https://mail.google.com/')).toHaveLength(1);
    expect(mentions(added, 'grant:', dwd.directorySync, `${SCOPE}admin.directory.user|`)).toHaveLength(1);
    expect(
      mentions(removed, 'grant:', dwd.directorySync, `${SCOPE}admin.directory.user.readonly`),
    ).toHaveLength(1);
    expect(mentions(removed, 'grant:', app.trello)).toHaveLength(3); // Ben's openid, email, profile
    expect(mentions(removed, 'credential:', 'old-cron')).toHaveLength(1);
    expect(added).toHaveLength(1 + 4 + 1 + 1);
    expect(removed).toHaveLength(1 + 3 + 1);
    const widened = grantsOf(after, dwd.directorySync).find(
      (g) => g.permission.id === `${SCOPE}admin.directory.user`,
    )!;
    expect(widened.risk.tier).toBe('critical');
  });
});
