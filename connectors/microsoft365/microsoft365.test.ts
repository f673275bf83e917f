import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JOURNAL_ENV, type RecordedRequest } from '../../src/emulator/journal.js';
import type { Microsoft365Section } from '../../src/emulator/microsoft365/schema.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { loadWorld, type World } from '../../src/emulator/world.js';
import { CredentialSourceError } from '../../src/errors.js';
import type { Credential, Grant, Identity, ModelRecord } from '../../src/model/index.js';
import { contentHash, identityKey, recordKey } from '../../src/model/record.js';
import { defaultPolicy } from '../../src/policy/index.js';
import { evaluateRules } from '../../src/rules/index.js';
import type { IdentityBundle } from '../../src/store/store.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import { generatedEntraSection } from '../../test/support/entra-generated.js';
import { BUILTIN_VOCABULARY } from '../../test/support/vocabulary.js';
import { BATCH_SIZE, batchRequestBody } from './client.js';
import connector, { Microsoft365Config } from './index.js';

const NOW = new Date('2026-11-01T00:00:00Z');
const DEMO = 'fixtures/worlds/test/m365-demo.yaml';
const GUIDS = 'fixtures/worlds/test/m365-guids.yaml';
const GRAPH = '00000003-0000-0000-c000-000000000000';
const SHAREPOINT = '00000003-0000-0ff1-ce00-000000000000';

const DEMO_IDS = {
  tenant: 'f67a73f9-1da3-4124-974d-72e2bc80841b',
  zoom: '4eae3d12-2eda-4c8f-bf42-abdddb5f5285',
  salesforce: 'f412961c-7595-4ef0-bfb0-6e5557468ede',
};

/** What the stale rule reports in the demo tenant as of NOW (with the sign-in report). */
const STALE_IN_DEMO = ['Grammarly', 'Miro', 'PeopleSync HR Connector'];

type Section = z.input<typeof Microsoft365Section>;

function edited(file: string, edit: (section: Section) => void): World {
  const w = structuredClone(loadWorld(file));
  edit(w.platforms.microsoft365 as Section);
  return w;
}

const identities = (r: ModelRecord[]) => r.filter((x): x is Identity => x.type === 'identity');
const grants = (r: ModelRecord[]) => r.filter((x): x is Grant => x.type === 'grant');
const credentials = (r: ModelRecord[]) => r.filter((x): x is Credential => x.type === 'credential');

/** Records grouped per identity, as the store's `readSnapshot` hands them to the rules. */
function bundles(records: ModelRecord[]): IdentityBundle[] {
  const out = new Map<string, IdentityBundle>();
  const of = (r: ModelRecord, ref: { kind: string; nativeId: string }) => {
    const key = identityKey(ref);
    let b = out.get(key);
    if (!b) {
      b = {
        source: `${r.platform}:${r.tenant.id}`,
        identityKey: key,
        identity: null,
        grants: [],
        credentials: [],
      };
      out.set(key, b);
    }
    return b;
  };
  for (const r of records) {
    if (r.type === 'identity') of(r, r).identity = r;
    else if (r.type === 'grant') of(r, r.identity).grants.push(r);
    else of(r, r.identity).credentials.push(r);
  }
  return [...out.values()];
}

/** Names of the identities the stale rule reports in a scan's records, as of NOW. */
async function staleNames(records: ModelRecord[]): Promise<string[]> {
  const findings = await evaluateRules({
    bundles: bundles(records),
    diff: null,
    policy: defaultPolicy(BUILTIN_VOCABULARY),
    vocabulary: BUILTIN_VOCABULARY,
    asOf: NOW,
  });
  return findings
    .filter((f) => f.rule === 'stale')
    .map((f) => f.identity.name ?? f.identity.id)
    .sort();
}

/** Every value of every `key` property anywhere in `value`. */
function valuesOfKey(value: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) for (const v of value) valuesOfKey(v, key, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === key) out.push(v);
      valuesOfKey(v, key, out);
    }
  }
  return out;
}

describe('microsoft365 connector against the emulator', () => {
  let emu: RunningEmulator;

  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO, now: NOW });
  });
  afterAll(() => emu.stop());

  /** A context and the connector config the emulator writes, with `overrides` (undefined removes a key). */
  async function configured(overrides: Record<string, unknown> = {}) {
    const setup = emu.clientSetup();
    const ctx = await createTestContext({ connector, tenant: 'm365', caCert: emu.caCert, now: NOW });
    for (const [name, content] of Object.entries(setup.files))
      writeFileSync(`${ctx.configDir}/${name}`, content);
    const raw = { ...(setup.config.microsoft365 as Record<string, unknown>), ...overrides };
    for (const [k, v] of Object.entries(raw)) if (v === undefined) delete raw[k];
    return { setup, ctx, config: Microsoft365Config.parse(raw) };
  }

  /** Scan the emulator's current world through the real SDKs, as `grantscope scan` would. */
  async function scan(overrides: Record<string, unknown> = {}) {
    const { setup, ctx, config } = await configured(overrides);
    const result = await collectScan(connector, config, ctx);
    const byCollector = Object.fromEntries(result.coverage.collectors.map((c) => [c.collector, c]));
    return { ...result, ctx, byCollector, secret: setup.files['microsoft365-client-secret.txt']!.trim() };
  }

  const world = (w: string | World) => emu.setWorld(w);

  describe('the demo tenant', () => {
    let result: Awaited<ReturnType<typeof scan>>;
    beforeAll(async () => {
      world(DEMO);
      result = await scan();
    });

    it('sends every $batch step with a url relative to the version root: no /v1.0, /beta or scheme', () => {
      // https://learn.microsoft.com/graph/json-batching: "while the absolute URL is
      // https://graph.microsoft.com/v1.0/users, this url is /users". Read from the emulator's request
      // journal, i.e. the bodies as they went over the wire.
      const file = process.env[JOURNAL_ENV]!;
      expect(existsSync(file)).toBe(true);
      const batches = readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as RecordedRequest)
        .filter((r) => r.method === 'POST' && r.path.endsWith('/$batch'));
      expect(batches.length).toBeGreaterThan(0);
      const urls = batches.flatMap((b) =>
        (b.body as { requests: Array<{ url: string }> }).requests.map((x) => x.url),
      );
      expect(urls.length).toBeGreaterThan(20);
      expect(urls.filter((u) => /^\/(v1\.0|beta)(\/|$)/i.test(u) || /^[a-z][a-z0-9+.-]*:/i.test(u))).toEqual(
        [],
      );
      for (const b of batches)
        expect((b.body as { requests: unknown[] }).requests.length).toBeLessThanOrEqual(20);
    });

    it('collects every collector completely, in few requests', () => {
      expect(result.coverage.status).toBe('complete');
      const requests = Object.fromEntries(result.coverage.collectors.map((c) => [c.collector, c.requests]));
      // One list call each, owners in two $batches (22 lookups), grants: list + resources + users,
      // + the deleted consenting user asked once more before it counts as deleted.
      expect(requests).toEqual({
        'service-principals': 1,
        'app-role-assignments': 1,
        'oauth2-permission-grants': 4,
        owners: 2,
        'application-credentials': 1,
        'sign-in-activity': 1,
      });
      // + OpenID metadata and token request.
      expect(result.coverage.requests).toBe(12);
    });

    it('classifies third-party, internal and Microsoft first-party service principals', () => {
      const ids = identities(result.records);
      expect(ids).toHaveLength(26);
      const count = (o: string) => ids.filter((i) => i.origin === o).length;
      expect([count('third-party'), count('internal'), count('platform')]).toEqual([14, 4, 8]);
      // Microsoft's apps registered in its AME, PME and Torus tenants are first-party too.
      for (const name of [
        'Microsoft service (AME tenant)',
        'Microsoft service (PME tenant)',
        'Microsoft Graph Command Line Tools',
      ]) {
        expect(
          ids.find((i) => i.displayName === name),
          name,
        ).toMatchObject({
          origin: 'platform',
          publisher: { name: 'Microsoft' },
          ownersKnown: false,
        });
      }
      const zoom = ids.find((i) => i.nativeId === DEMO_IDS.zoom)!;
      expect(zoom).toMatchObject({
        kind: 'service-principal',
        displayName: 'Zoom',
        origin: 'third-party',
        enabled: true,
        createdAt: '2024-11-11T00:00:00Z',
        publisher: { name: 'Zoom Video Communications, Inc.', verified: true },
        lastUsed: { at: '2026-10-30T00:00:00Z', source: 'entra:servicePrincipalSignInActivities' },
        owners: [{ name: 'priya.raman@acme.example', type: 'user', active: true }],
        tenant: { id: DEMO_IDS.tenant },
      });
      expect(zoom.attributes.appId).toBe('2ed4808d-1f53-4b8c-8f0f-90f35709e405');
      expect(zoom.manageUrl).toContain(`/objectId/${DEMO_IDS.zoom}/appId/`);
      const peoplesync = ids.find((i) => i.displayName === 'PeopleSync HR Connector')!;
      expect(peoplesync.publisher).toEqual({ name: null, id: expect.any(String), verified: false });
      expect(peoplesync.owners).toEqual([]);
      expect(peoplesync.ownersKnown).toBe(true);
      const teams = ids.find((i) => i.displayName === 'Microsoft Teams')!;
      expect(teams).toMatchObject({ origin: 'platform', owners: [], lastUsed: null });
      expect(teams.ownersKnown).toBe(false);
    });

    it('keeps owners of the SP and of the app registration, with whether they are enabled', () => {
      const ids = identities(result.records);
      const owners = (name: string) =>
        ids
          .find((i) => i.displayName === name)!
          .owners.map((o) => `${o.name}:${o.active}`)
          .sort();
      expect(owners('acme-hr-sync')).toEqual([
        'priya.raman@acme.example:true',
        'sofia.alvarez@acme.example:true',
      ]);
      expect(owners('acme-ci-deployer')).toEqual(['raj.patel@acme.example:false']);
      expect(owners('CloudVault Backup for Microsoft 365')).toEqual(['dan.okafor@acme.example:false']);
      expect(owners('Trello')).toEqual([]);
    });

    it('records a missing report row as "never used" and report rows as last use', () => {
      const ids = identities(result.records);
      expect(ids.find((i) => i.displayName === 'Miro')!.lastUsed).toEqual({
        at: null,
        source: 'entra:servicePrincipalSignInActivities',
      });
      expect(ids.find((i) => i.displayName === 'PeopleSync HR Connector')!.lastUsed?.at).toBe(
        '2026-04-15T00:00:00Z',
      );
    });

    it('turns app-role assignments into tenant-wide application grants, resolved and rated', () => {
      const app = grants(result.records).filter((g) => g.permission.nativeLevel === 'application');
      expect(app).toHaveLength(12);
      const sf = app.filter((g) => g.identity.nativeId === DEMO_IDS.salesforce);
      expect(sf).toHaveLength(1);
      expect(sf[0]).toMatchObject({
        permission: {
          id: 'df021288-bdef-4463-88db-98f22de89214',
          name: 'User.Read.All',
          resource: GRAPH,
          access: 'read',
        },
        target: { breadth: 'tenant', type: 'tenant', id: DEMO_IDS.tenant },
        grantedVia: 'admin-consent',
        grantedAt: '2025-09-27T00:00:00Z',
        risk: { tier: 'high' },
        collector: 'app-role-assignments',
      });
      const cloudvault = app.filter(
        (g) =>
          g.attributes.resourceDisplayName &&
          g.identity.nativeId ===
            app.find((x) => x.permission.name === 'Sites.FullControl.All')!.identity.nativeId,
      );
      expect(
        cloudvault.map((g) => `${g.permission.name}@${g.permission.resource}:${g.risk.tier}`).sort(),
      ).toEqual([
        `Files.ReadWrite.All@${GRAPH}:critical`,
        `Mail.ReadWrite@${GRAPH}:critical`,
        `Sites.FullControl.All@${SHAREPOINT}:critical`,
      ]);
      // The internal API's own role: resolved by the API's appRoles, not in the catalog.
      expect(app.find((g) => g.permission.name === 'Records.ReadWrite.All')!.risk.tier).toBe('unknown');
      // Priya's user assignment and the default-access assignment are not application grants.
      expect(app.every((g) => g.permission.id !== '00000000-0000-0000-0000-000000000000')).toBe(true);
      expect(result.byCollector['app-role-assignments']!.notes.join(' ')).toMatch(/1 default-access/);
    });

    it('splits delegated consents into one grant per scope, per user for per-user consents', () => {
      const del = grants(result.records).filter((g) => g.permission.nativeLevel === 'delegated');
      expect(del).toHaveLength(40);
      const zoom = del.filter((g) => g.identity.nativeId === DEMO_IDS.zoom);
      expect(zoom.map((g) => g.permission.name).sort()).toEqual(
        ['Calendars.ReadWrite', 'User.Read', 'email', 'offline_access', 'openid', 'profile'].sort(),
      );
      expect(zoom.find((g) => g.permission.name === 'Calendars.ReadWrite')).toMatchObject({
        permission: { id: '1ec239c2-d7c9-4623-a91a-a9775856bb36', access: 'write', resource: GRAPH },
        target: { breadth: 'tenant', type: 'users' },
        grantedVia: 'admin-consent',
        principal: null,
        risk: { tier: 'medium' },
      });
      const grammarly = del.filter(
        (g) => g.attributes.grantId && g.principal && g.principal.active === false,
      );
      expect(grammarly.map((g) => `${g.principal!.name}:${g.target.breadth}`).sort()).toEqual([
        'null:user',
        'null:user',
        'raj.patel@acme.example:user',
        'raj.patel@acme.example:user',
      ]);
      expect(
        grammarly.filter((g) => g.attributes.principalDeleted).every((g) => g.grantedVia === 'user-consent'),
      ).toBe(true);
      const dropbox = del.find((g) => g.permission.name === 'Files.ReadWrite.All')!;
      expect(dropbox).toMatchObject({
        permission: { id: '863451e7-0667-486c-a5d6-d135439485f0' },
        target: { breadth: 'user', type: 'user', label: 'hannah.berg@acme.example' },
        principal: { name: 'hannah.berg@acme.example', active: true },
        risk: { tier: 'high' },
      });
    });

    it('records app registration secrets and certificates without secret material', () => {
      const creds = credentials(result.records);
      expect(
        creds.map((c) => `${c.displayName}:${c.credentialType}:${c.createdAt}:${c.expiresAt}`).sort(),
      ).toEqual([
        'CN=acme-hr-sync:certificate:2025-09-27T00:00:00Z:2026-10-22T00:00:00Z',
        'CN=acme-records-api:certificate:2026-10-02T00:00:00Z:2027-08-28T00:00:00Z',
        'github-actions:client-secret:2025-09-27T00:00:00Z:2027-09-27T00:00:00Z',
        // "Never" expires (end date 2299): recorded as no expiry.
        'powerbi-refresh:client-secret:2024-05-15T00:00:00Z:null',
        'workday-sync:client-secret:2026-05-25T00:00:00Z:2026-11-11T00:00:00Z',
      ]);
      const hrSync = identities(result.records).find((i) => i.displayName === 'acme-hr-sync')!;
      expect(creds.filter((c) => c.identity.nativeId === hrSync.nativeId)).toHaveLength(2);
      const everything = JSON.stringify(result.records);
      expect(everything).not.toContain(result.secret);
      expect(everything).not.toContain('secretText');
      expect(everything).not.toMatch(/PRIVATE KEY|"key":/);
    });

    it('keeps no part of a client secret: not even its hint (first characters)', () => {
      const hints = valuesOfKey(loadWorld(DEMO), 'hint').filter((h): h is string => typeof h === 'string');
      // The emulator serves them, as Graph does: the connector must drop them.
      expect(hints.length).toBeGreaterThanOrEqual(3);
      expect(valuesOfKey(result.records, 'hint')).toEqual([]);
      const everything = JSON.stringify(result.records);
      for (const h of hints) expect(everything).not.toContain(h);
    });
  });

  it('sees the changed demo tenant: one app added, two widened, one consent revoked', async () => {
    world(DEMO);
    const before = await scan();
    world('fixtures/worlds/test/m365-demo-changed.yaml');
    const after = await scan();
    const keys = (r: ModelRecord[]) =>
      new Set(grants(r).map((g) => `${g.identity.nativeId}|${g.permission.id}|${g.principal?.id ?? ''}`));
    const [b, a] = [keys(before.records), keys(after.records)];
    const added = [...a].filter((k) => !b.has(k));
    const removed = [...b].filter((k) => !a.has(k));
    const otter = 'dc95a4b6-262c-4d5d-895e-3e73c0c99ded';
    expect(added.filter((k) => k.startsWith(otter))).toHaveLength(6);
    expect(added.filter((k) => !k.startsWith(otter)).sort()).toEqual(
      [
        `${DEMO_IDS.zoom}|e383f46e-2787-4529-855e-0e479a3ffac0|`, // Mail.Send (delegated)
        `${DEMO_IDS.salesforce}|741f803b-c850-494e-b5df-cde7c675a1ca|`, // User.ReadWrite.All (application)
      ].sort(),
    );
    expect(removed).toEqual([
      'd2886bdc-2642-4fbb-afba-f9201d4e6c4b|e1fe6dd8-ba31-4d61-89e7-88639da4683d|1a715734-6352-4ef7-bde3-f69506bf97c0',
    ]);
    expect(identities(after.records).map((i) => i.nativeId)).toContain(otter);
  });

  it('authenticates with a client secret from a file or an env var, finding the same records', async () => {
    world(DEMO);
    const cert = await scan();
    const file = await scan({
      certificateFile: undefined,
      clientSecretFile: 'microsoft365-client-secret.txt',
    });
    process.env.GS_TEST_M365_SECRET = cert.secret;
    const env = await scan({ certificateFile: undefined, clientSecretEnv: 'GS_TEST_M365_SECRET' });
    delete process.env.GS_TEST_M365_SECRET;
    const keys = (r: ModelRecord[]) =>
      r.map((x) => `${x.type}:${x.type === 'identity' ? x.nativeId : JSON.stringify(x)}`).sort();
    for (const r of [file, env]) {
      expect(r.coverage.status).toBe('complete');
      expect(keys(r.records)).toEqual(keys(cert.records));
    }
  });

  it('fails every collector with Entra’s error when the secret is wrong, and emits nothing', async () => {
    world(DEMO);
    process.env.GS_TEST_M365_BAD = 'wrong-secret';
    const r = await scan({ certificateFile: undefined, clientSecretEnv: 'GS_TEST_M365_BAD' });
    delete process.env.GS_TEST_M365_BAD;
    expect(r.records).toEqual([]);
    expect(r.coverage.status).toBe('incomplete');
    for (const c of r.coverage.collectors) {
      expect(c).toMatchObject({ status: 'failed', httpStatus: 401 });
      expect(c.reason).toMatch(/entra-id POST .* returned 401: invalid_client: AADSTS7000215/);
      expect(c.reason).not.toContain('wrong-secret');
    }
  });

  it('fails every collector when the certificate is not the registered one', async () => {
    world(DEMO);
    const { generateKeyPairSync } = await import('node:crypto');
    const setup = emu.clientSetup();
    const pem = setup.files['microsoft365-client-cert.pem']!;
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const ctx = await createTestContext({ connector, tenant: 'm365', caCert: emu.caCert });
    writeFileSync(
      `${ctx.configDir}/wrong.pem`,
      `${other}${pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----'))}`,
    );
    const config = Microsoft365Config.parse({
      ...(setup.config.microsoft365 as object),
      certificateFile: 'wrong.pem',
    });
    const r = await collectScan(connector, config, ctx);
    expect(r.records).toEqual([]);
    expect(r.coverage.collectors[0]!.reason).toMatch(/401: invalid_client: AADSTS700027/);
  });

  it('follows nextLinks when pages are small', async () => {
    world(DEMO);
    const small = await scan({ pageSize: 3 });
    const big = await scan();
    expect(small.coverage.status).toBe('complete');
    expect(small.byCollector['service-principals']!.requests).toBe(Math.ceil(26 / 3));
    // Pages of grants, resources, users and the deleted user asked again.
    expect(small.byCollector['oauth2-permission-grants']!.requests).toBe(Math.ceil(12 / 3) + 3);
    expect(small.records.length).toBe(big.records.length);
    expect(new Set(identities(small.records).map((i) => i.nativeId))).toEqual(
      new Set(identities(big.records).map((i) => i.nativeId)),
    );
  });

  it("paces to the tenant's bucket once a user list counts its users, unless the config sets one", async () => {
    // Enough consenting users that the grants collector lists users (with $count) to look them up.
    const file = join(mkdtempSync(join(tmpdir(), 'gs-m365-counted-')), 'world.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'users counted',
        now: NOW,
        microsoft365: generatedEntraSection({ seed: 7, servicePrincipals: 300, users: 800 }),
      }),
    );
    world(file);
    const pacing = (r: Awaited<ReturnType<typeof scan>>) =>
      r.ctx.logger.lines.filter((l) => l.includes('resource units per 10 s'));
    const learnt = await scan();
    expect(learnt.coverage.status).toBe('complete');
    expect(pacing(learnt)).toHaveLength(1);
    expect(pacing(learnt)[0]).toMatch(
      /pacing to 8000 resource units per 10 s, the bucket of a tenant of 8\d\d users/,
    );
    const set = await scan({ resourceUnitsPer10s: 3500 });
    expect(pacing(set)).toEqual([]);
  });

  it("asks the tenant's size (GET /users/$count) once the smallest bucket binds, unless the config sets one", async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gs-m365-binding-')), 'world.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'bucket binds',
        now: NOW,
        microsoft365: generatedEntraSection({ seed: 11, servicePrincipals: 30, users: 120 }),
      }),
    );
    world(file);
    const journal = process.env[JOURNAL_ENV]!;
    const countRequests = () =>
      (existsSync(journal) ? readFileSync(journal, 'utf8') : '')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as RecordedRequest)
        .filter((r) => r.method === 'GET' && decodeURIComponent(r.path) === '/v1.0/users/$count');
    /** A session whose bucket is spent as by a scan's first 3,500 RU, then one more paced request. */
    const bindingSession = async (overrides: Record<string, unknown>) => {
      const { ctx, config } = await configured(overrides);
      const session = await connector.connect(config, ctx);
      await session.graph.pacer.take(3500);
      const info = { api: 'GET /servicePrincipals', requiredPermission: 'Application.Read.All' };
      for await (const _ of session.graph.list('/servicePrincipals?$select=id', z.unknown(), info)) break;
      return { session, ctx };
    };
    const before = countRequests().length;
    const unset = await bindingSession({});
    expect(await unset.session.graph.pacer.learnt()).toBe(true);
    const asked = countRequests().slice(before);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.headers.consistencylevel).toBe('eventual');
    // 120 users: the 50-500 bucket, from the count.
    expect(unset.session.graph.pacer.rate).toBe(5000);
    expect(unset.ctx.logger.lines.filter((l) => l.includes('resource units per 10 s'))).toEqual([
      expect.stringMatching(/pacing to 5000 resource units per 10 s, the bucket of a tenant of 120 users/),
    ]);
    const set = await bindingSession({ resourceUnitsPer10s: 3500 });
    expect(await set.session.graph.pacer.learnt()).toBe(false);
    expect(set.session.graph.pacer.rate).toBe(3500);
    expect(countRequests().slice(before + 1)).toEqual([]);
  });

  it('retries inner 429s of a $batch per request, honouring Retry-After', async () => {
    world(DEMO);
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/servicePrincipals/{id}/owners',
      skip: 2,
      times: 5,
      action: { kind: 'rate-limit', retryAfter: 0 },
    });
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/applications/{id}/owners',
      times: 1,
      action: { kind: 'rate-limit', retryAfter: 2 },
    });
    const r = await scan();
    const baseline = await scan();
    expect(r.coverage.status).toBe('complete');
    // 22 lookups in 2 batches, then the 6 throttled ones again in a third.
    expect(r.byCollector.owners!.requests).toBe(3);
    expect(r.ctx.sleeps).toContain(2000);
    const owners = (x: typeof r) =>
      identities(x.records).map((i) => `${i.nativeId}:${i.owners.map((o) => o.id).join(',')}`);
    expect(owners(r)).toEqual(owners(baseline));
  });

  it('gives up on an inner request after the retry limit: owners fail, the rest is kept', async () => {
    world(DEMO);
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/servicePrincipals/{id}/owners',
      skip: 4,
      action: { kind: 'rate-limit', retryAfter: 0 },
    });
    const r = await scan();
    expect(r.byCollector.owners).toMatchObject({
      status: 'failed',
      httpStatus: 429,
      api: 'GET /servicePrincipals/{id}/owners',
    });
    expect(r.coverage.status).toBe('incomplete');
    for (const c of [
      'service-principals',
      'app-role-assignments',
      'oauth2-permission-grants',
      'application-credentials',
    ]) {
      expect(r.byCollector[c]!.status).toBe('complete');
    }
    const ids = identities(r.records);
    expect(ids).toHaveLength(26);
    expect(ids.every((i) => i.ownersKnown === false)).toBe(true);
    expect(grants(r.records)).toHaveLength(52);
  });

  it('retries inner 5xx of a $batch per request: Retry-After when given, else back-off', async () => {
    world(DEMO);
    const baseline = await scan();
    const unavailable = { error: { code: 'ServiceUnavailable', message: 'emulated outage' } };
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/servicePrincipals/{id}/owners',
      skip: 3,
      times: 1,
      action: { kind: 'status', status: 503, headers: { 'Retry-After': '3' }, body: unavailable },
    });
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/applications/{id}/owners',
      times: 1,
      action: { kind: 'status', status: 500 },
    });
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/servicePrincipals/{id}/appRoleAssignedTo',
      times: 1,
      action: { kind: 'status', status: 502 },
    });
    // The resource lookups of the delegated grants: a 504 without Retry-After.
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/servicePrincipals/{id}',
      times: 1,
      action: { kind: 'status', status: 504 },
    });
    const r = await scan();
    expect(r.coverage.status).toBe('complete');
    expect(emu.faults.list().map((f) => f.applied)).toEqual([1, 1, 1, 1]);
    // One more $batch each, holding only the failed inner requests.
    expect(r.byCollector.owners!.requests).toBe(3);
    expect(r.byCollector['app-role-assignments']!.requests).toBe(2);
    // (+ the deleted consenting user, asked once more.)
    expect(r.byCollector['oauth2-permission-grants']!.requests).toBe(5);
    const { baseDelayMs } = r.ctx.http.retry;
    // Owners wait the longest Retry-After of the round; the others back off from the base delay.
    expect(r.ctx.sleeps.sort((a, b) => a - b)).toEqual([baseDelayMs, baseDelayMs, 3000]);
    const hashes = (x: typeof r) => x.records.map((rec) => `${recordKey(rec)}=${contentHash(rec)}`).sort();
    expect(hashes(r)).toEqual(hashes(baseline));
  });

  it('gives up on an inner 5xx after the retry limit, waiting at most maxDelayMs', async () => {
    world(DEMO);
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/servicePrincipals/{id}/owners',
      action: { kind: 'status', status: 503, headers: { 'Retry-After': '3600' } },
    });
    const r = await scan();
    expect(r.byCollector.owners).toMatchObject({
      status: 'failed',
      httpStatus: 503,
      api: 'GET /servicePrincipals/{id}/owners',
    });
    expect(r.byCollector.owners!.reason).toMatch(/retries exhausted/);
    const { maxRetries, maxDelayMs } = r.ctx.http.retry;
    // Two $batches for the 22 lookups, then maxRetries rounds of one for the 18 failing ones.
    expect(r.byCollector.owners!.requests).toBe(2 + maxRetries);
    expect(r.ctx.sleeps).toEqual(Array(maxRetries).fill(maxDelayMs));
    expect(identities(r.records).every((i) => i.ownersKnown === false)).toBe(true);
  });

  describe('a failed collector does not rewrite the records of the others', () => {
    const injected = {
      kind: 'status',
      status: 400,
      body: { error: { code: 'BadRequest', message: 'injected failure' } },
    } as const;
    const faults: Record<string, string> = {
      'service-principals': '^/v1\\.0/servicePrincipals$',
      'app-role-assignments': '/v1.0/servicePrincipals/{id}/appRoleAssignedTo',
      'oauth2-permission-grants': '/v1.0/oauth2PermissionGrants',
      owners: '^/v1\\.0/(servicePrincipals|applications)/[^/]+/owners$',
      'application-credentials': '^/v1\\.0/applications$',
      'sign-in-activity': '/beta/reports/servicePrincipalSignInActivities',
    };
    let clean: Map<string, ModelRecord>;
    const canonical = (v: unknown) => JSON.stringify(v);
    beforeAll(async () => {
      world(DEMO);
      const r = await scan();
      expect(r.coverage.status).toBe('complete');
      clean = new Map(r.records.map((rec) => [`${rec.type}:${recordKey(rec)}`, rec]));
    });

    /** A record without what a missing collector may leave unknown: usage, owners. */
    const withoutUnknowables = (rec: ModelRecord) =>
      rec.type === 'identity' ? { ...rec, lastUsed: null, owners: [], ownersKnown: false } : rec;

    it.each(Object.keys(faults))('when %s fails', async (failing) => {
      world(DEMO);
      emu.faults.add({ service: 'graph', path: faults[failing], action: injected });
      const r = await scan();
      expect(r.byCollector[failing]).toMatchObject({ status: 'failed' });
      const changed: string[] = [];
      for (const rec of r.records) {
        const key = `${rec.type}:${recordKey(rec)}`;
        const before = clean.get(key);
        expect(before, `${key} is not in the clean scan`).toBeDefined();
        if (contentHash(rec) === contentHash(before!)) continue;
        // Any other difference would be a record rewritten with incomplete data.
        expect(contentHash(withoutUnknowables(rec)), key).toBe(contentHash(withoutUnknowables(before!)));
        const id = rec as Identity;
        const was = before as Identity;
        // And what is missing is said to be unknown, never "none" / "never used".
        if (canonical(id.owners) !== canonical(was.owners) || id.ownersKnown !== was.ownersKnown) {
          expect(id.ownersKnown, key).toBe(false);
        }
        if (canonical(id.lastUsed) !== canonical(was.lastUsed)) expect(id.lastUsed, key).toBeNull();
        changed.push(key);
      }
      // The failed collector's own records are not emitted (the store carries them over).
      expect(r.records.filter((rec) => rec.collector === failing)).toEqual([]);
      if (failing === 'owners' || failing === 'sign-in-activity') expect(changed.length).toBeGreaterThan(0);
    });
  });

  it('retries a throttled list call (SDK RetryHandler) and a 500 (transport)', async () => {
    world(DEMO);
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/servicePrincipals',
      times: 2,
      action: { kind: 'rate-limit', retryAfter: 0 },
    });
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/oauth2PermissionGrants',
      times: 1,
      action: { kind: 'status', status: 500 },
    });
    const r = await scan();
    expect(r.coverage.status).toBe('complete');
    expect(r.byCollector['service-principals']!.requests).toBe(3);
    // List (twice), resources, users, the deleted user asked once more.
    expect(r.byCollector['oauth2-permission-grants']!.requests).toBe(5);
    expect(identities(r.records)).toHaveLength(26);
  });

  it('turns a malformed body into a failed collector naming the call', async () => {
    world(DEMO);
    emu.faults.add({ service: 'graph', path: '/v1.0/applications', times: 1, action: { kind: 'malformed' } });
    const r = await scan();
    expect(r.byCollector['application-credentials']).toMatchObject({ status: 'failed' });
    expect(r.byCollector['application-credentials']!.reason).toMatch(/microsoft-graph GET \/applications/);
    expect(r.byCollector['service-principals']!.status).toBe('complete');
    expect(r.byCollector.owners!.notes.join(' ')).toMatch(
      /app registration owners not read.*owners of 4 service principal\(s\) of the tenant's own apps left unknown/,
    );
    // Their owners could only be known in part: unknown, so no ownerless finding for lack of data.
    const own = identities(r.records).filter((i) => i.publisher.id === DEMO_IDS.tenant);
    expect(own.map((i) => i.ownersKnown)).toEqual([false, false, false, false]);
    expect(credentials(r.records)).toEqual([]);
  });

  it('marks only the collector whose permission is missing as failed', async () => {
    world(
      edited(DEMO, (s) => {
        s.scanner.permissions = ['Application.Read.All', 'AuditLog.Read.All'];
      }),
    );
    const r = await scan();
    expect(r.byCollector['oauth2-permission-grants']).toMatchObject({
      status: 'failed',
      httpStatus: 403,
      api: 'GET /oauth2PermissionGrants',
    });
    expect(r.byCollector['oauth2-permission-grants']!.reason).toMatch(/Authorization_RequestDenied/);
    for (const c of [
      'service-principals',
      'app-role-assignments',
      'owners',
      'application-credentials',
      'sign-in-activity',
    ]) {
      expect(r.byCollector[c]!.status).toBe('complete');
    }
    expect(grants(r.records).filter((g) => g.permission.nativeLevel === 'application')).toHaveLength(12);
    expect(grants(r.records).filter((g) => g.permission.nativeLevel === 'delegated')).toEqual([]);
  });

  it('reports owner activity as unknown, never active or none, when the scanner cannot read users', async () => {
    // With Application.Read.All alone, owners come back with @odata.type and id only, the rest null
    // (https://learn.microsoft.com/graph/api/serviceprincipal-list-owners, user-list-ownedobjects).
    world(
      edited(DEMO, (s) => {
        s.scanner.permissions = ['Application.Read.All', 'AuditLog.Read.All'];
      }),
    );
    const r = await scan();
    expect(r.byCollector.owners!.status).toBe('complete');
    expect(r.byCollector.owners!.notes.join(' ')).toMatch(
      /user owner\(s\) came back with their id only.*User\.Read\.All/,
    );
    const ids = identities(r.records);
    const zoom = ids.find((i) => i.nativeId === DEMO_IDS.zoom)!;
    expect(zoom.owners).toEqual([
      { id: '4651d4cc-381c-4efb-a6b8-8aa30ce8b406', name: null, type: 'user', active: null },
    ]);
    expect(zoom.ownersKnown).toBe(false);
    // Dan (disabled) owns CloudVault: with his status unknown it is not reported ownerless either.
    const cloudvault = ids.find((i) => i.displayName === 'CloudVault Backup for Microsoft 365')!;
    expect(cloudvault.owners.map((o) => o.active)).toEqual([null]);
    expect(cloudvault.ownersKnown).toBe(false);
    // No owner at all is still a fact: the list of owners is readable with Application.Read.All.
    const peoplesync = ids.find((i) => i.displayName === 'PeopleSync HR Connector')!;
    expect(peoplesync).toMatchObject({ owners: [], ownersKnown: true });
    const findings = await evaluateRules({
      bundles: bundles(r.records),
      diff: null,
      policy: defaultPolicy(BUILTIN_VOCABULARY),
      vocabulary: BUILTIN_VOCABULARY,
      asOf: NOW,
    });
    const ownerless = findings
      .filter((f) => f.rule === 'ownerless' && f.subject === null)
      .map((f) => f.identity.name)
      .sort();
    expect(ownerless).toEqual(['PeopleSync HR Connector', 'Trello']);
    // With User.Read.All the same owners are known again, with whether they are enabled.
    world(
      edited(DEMO, (s) => {
        s.scanner.permissions = ['Application.Read.All', 'AuditLog.Read.All', 'User.Read.All'];
      }),
    );
    const full = identities((await scan()).records);
    expect(full.find((i) => i.nativeId === DEMO_IDS.zoom)).toMatchObject({
      owners: [{ name: 'priya.raman@acme.example', active: true }],
      ownersKnown: true,
    });
    expect(full.find((i) => i.displayName === 'CloudVault Backup for Microsoft 365')).toMatchObject({
      owners: [{ active: false }],
      ownersKnown: true,
    });
  });

  it('carries on without the sign-in report when the tenant has no licence: unavailable, no usage signal', async () => {
    world(DEMO);
    const licensed = await scan();
    world(
      edited(DEMO, (s) => {
        s.licences = { entraIdP1: false };
      }),
    );
    const r = await scan();
    expect(r.coverage.status).toBe('complete');
    expect(r.byCollector['sign-in-activity']).toMatchObject({ status: 'unavailable', httpStatus: 403 });
    expect(r.byCollector['sign-in-activity']!.notes.join(' ')).toMatch(
      /no Entra ID P1\/P2 licence.*no service principal is judged stale/,
    );
    // lastUsed null = no signal: the stale rule has nothing to go on (not "never used").
    expect(identities(r.records).every((i) => i.lastUsed === null)).toBe(true);
    expect(grants(r.records).length).toBe(52);
    // The rules, run on both: with the report, the stale identities of the demo tenant; without it,
    // none at all (no false stale findings for lack of data).
    expect(await staleNames(licensed.records)).toEqual(STALE_IN_DEMO);
    expect(await staleNames(r.records)).toEqual([]);
  });

  it('treats a missing AuditLog permission the same way', async () => {
    world(
      edited(DEMO, (s) => {
        // Neither AuditLog.Read.All nor Directory.Read.All, which both read the report.
        s.scanner.permissions = [
          'Application.Read.All',
          'DelegatedPermissionGrant.ReadWrite.All',
          'User.Read.All',
        ];
      }),
    );
    const r = await scan();
    expect(r.coverage.status).toBe('complete');
    expect(r.byCollector['sign-in-activity']).toMatchObject({ status: 'unavailable', httpStatus: 403 });
    expect(r.byCollector['sign-in-activity']!.reason).toMatch(/AuditLog\.Read\.All/);
    expect(identities(r.records).every((i) => i.lastUsed === null)).toBe(true);
  });

  describe('permission GUID resolution', () => {
    let g: Grant[];
    beforeAll(async () => {
      world(GUIDS);
      const r = await scan();
      expect(r.coverage.status).toBe('complete');
      g = grants(r.records);
    });
    const find = (name: string, level: string, resource: string) =>
      g.filter(
        (x) =>
          x.permission.name === name &&
          x.permission.nativeLevel === level &&
          x.permission.resource === resource,
      );

    it('tells the application and the delegated Mail.ReadWrite apart by GUID', () => {
      const [app] = find('Mail.ReadWrite', 'application', GRAPH);
      const [del] = find('Mail.ReadWrite', 'delegated', GRAPH);
      expect(app).toMatchObject({
        permission: { id: 'e2a3a72e-5f79-4c64-b1b1-878b674786c9' },
        risk: { tier: 'critical' },
      });
      expect(del).toMatchObject({
        permission: { id: '024d486e-b451-40bb-833d-3e66d98c5c73' },
        risk: { tier: 'high' },
        target: { breadth: 'user' },
      });
    });

    it('keeps the same name on two resources apart', () => {
      expect(find('Sites.ReadWrite.All', 'application', GRAPH)[0]!.permission.id).toBe(
        '9492366f-7969-46a4-8d15-ed1a20078fff',
      );
      expect(find('Sites.ReadWrite.All', 'application', SHAREPOINT)[0]!.permission.id).toBe(
        'fbcd29d2-fcca-4405-aded-518d457caae4',
      );
    });

    it('never rates a permission by its name alone', () => {
      const ledger = 'c3c3c3c3-0000-4000-8000-00000000c003';
      expect(find('Mail.ReadWrite', 'application', ledger)[0]).toMatchObject({
        permission: { id: 'd4d4d4d4-0000-4000-8000-000000000004' },
        risk: { tier: 'unknown' },
      });
      expect(find('Directory.AccessAsUser.All', 'delegated', ledger)[0]).toMatchObject({
        permission: { id: 'e5e5e5e5-0000-4000-8000-000000000005' },
        risk: { tier: 'unknown' },
        target: { breadth: 'tenant' },
      });
    });

    it('keeps undeclared roles and scopes, unrated, and drops default access', () => {
      expect(g.find((x) => x.permission.id === 'f6f6f6f6-0000-4000-8000-000000000006')).toMatchObject({
        permission: { name: 'app role f6f6f6f6-0000-4000-8000-000000000006' },
        risk: { tier: 'unknown' },
        attributes: { permissionResolved: false },
      });
      expect(g.find((x) => x.permission.name === 'Legacy.NotAScope')).toMatchObject({
        permission: { id: 'Legacy.NotAScope', resource: GRAPH },
        risk: { tier: 'unknown' },
        attributes: { permissionResolved: false },
      });
      expect(g.some((x) => x.permission.id === '00000000-0000-0000-0000-000000000000')).toBe(false);
      expect(g).toHaveLength(8);
    });
  });
});

describe('microsoft365 $batch body', () => {
  it('numbers GET steps with urls relative to the version root', () => {
    expect(batchRequestBody(['/servicePrincipals/1/owners?$select=id', '/users/2'])).toEqual({
      requests: [
        { id: '1', method: 'GET', url: '/servicePrincipals/1/owners?$select=id' },
        { id: '2', method: 'GET', url: '/users/2' },
      ],
    });
  });

  it('refuses a versioned or absolute url, and more than 20 steps', () => {
    for (const url of ['/v1.0/users', '/beta/users', 'https://graph.microsoft.com/v1.0/users', 'users']) {
      expect(() => batchRequestBody([url]), url).toThrow(RangeError);
    }
    expect(() => batchRequestBody(Array(BATCH_SIZE + 1).fill('/users'))).toThrow(/at most 20/);
  });
});

describe('microsoft365 config', () => {
  const base = {
    tenantId: 'f67a73f9-1da3-4124-974d-72e2bc80841b',
    clientId: '5b1d0a3c-1111-4222-8333-444455556666',
  };

  it('needs exactly one credential source', () => {
    expect(Microsoft365Config.safeParse(base).error?.issues[0]?.message).toMatch(/set one credential/);
    const both = Microsoft365Config.safeParse({ ...base, certificateFile: 'a.pem', clientSecretEnv: 'X' });
    expect(both.error?.issues[0]).toMatchObject({
      path: ['clientSecretEnv'],
      message: expect.stringMatching(/only one/),
    });
  });

  it('needs https endpoints and GUID ids', () => {
    const http = Microsoft365Config.safeParse({
      ...base,
      clientSecretEnv: 'X',
      authorityHost: 'http://127.0.0.1:8443',
    });
    expect(http.error?.issues[0]).toMatchObject({
      path: ['authorityHost'],
      message: expect.stringMatching(/https/),
    });
    expect(
      Microsoft365Config.safeParse({ ...base, tenantId: 'acme', clientSecretEnv: 'X' }).error?.issues[0]
        ?.path,
    ).toEqual(['tenantId']);
  });

  it('names the config key when the credential cannot be read', async () => {
    const ctx = await createTestContext({ connector, tenant: 'x' });
    const config = Microsoft365Config.parse({ ...base, certificateFile: 'missing.pem' });
    // The engine's runner fails every collector with what `connect` throws, and stops on this kind.
    const run = () => connector.connect(config, ctx);
    await expect(run()).rejects.toThrow(CredentialSourceError);
    await expect(run()).rejects.toThrow(/microsoft365\.certificateFile: cannot read .*missing\.pem/);
    const env = Microsoft365Config.parse({ ...base, clientSecretEnv: 'GS_TEST_UNSET_VAR' });
    const runEnv = () => connector.connect(env, ctx);
    await expect(runEnv()).rejects.toThrow(
      /microsoft365\.clientSecretEnv: environment variable GS_TEST_UNSET_VAR is not set/,
    );
  });

  it('resolves national clouds', async () => {
    const { endpointsOf } = await import('./config.js');
    const cfg = Microsoft365Config.parse({ ...base, clientSecretEnv: 'X', cloud: 'usgov' });
    expect(endpointsOf(cfg)).toMatchObject({
      authorityHost: 'https://login.microsoftonline.us',
      graphBaseUrl: 'https://graph.microsoft.us',
      scope: 'https://graph.microsoft.us/.default',
    });
  });
});
