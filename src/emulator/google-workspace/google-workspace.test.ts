import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpPolicy } from '../../connector/http.js';
import { ConfigError } from '../../errors.js';
import { type RunningEmulator, startEmulator } from '../server.js';
import { loadWorld, resolveRelativeDates } from '../world.js';
import { DAY_MS, type EventQuery, type EventRec } from './data.js';
import { generatedWorkspace } from './generated-world.js';
import { googleWorkspaceEmulator } from './index.js';
import { applyFields, parseFields } from './partial-response.js';
import { checkValue, loadSchemas } from './schema-check.js';
import { parseSection } from './world-schema.js';

const DEMO = 'fixtures/worlds/test/google-workspace.yaml';
const SCOPE = 'https://www.googleapis.com/auth/';
const ADMIN = 'it-admin@acme.example';

const directory = loadSchemas('@googleapis/admin/build/directory_v1.d.ts');
const reports = loadSchemas('@googleapis/admin/build/reports_v1.d.ts');
const iam = loadSchemas('@googleapis/iam/build/v1.d.ts');
const crm = loadSchemas('@googleapis/cloudresourcemanager/build/v3.d.ts');

interface SaKey {
  client_email: string;
  private_key: string;
  token_uri: string;
}

function assertion(key: { email: string; pem: string }, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({
    iss: key.email,
    aud: 'https://oauth2.googleapis.com/token',
    iat: now,
    exp: now + 3600,
    ...claims,
  })}`;
  return `${body}.${sign('RSA-SHA256', Buffer.from(body), key.pem).toString('base64url')}`;
}

describe('Google Workspace emulator', () => {
  let emu: RunningEmulator;
  let fetch: typeof globalThis.fetch;
  let key: SaKey;

  const tokenRequest = (jwt: string, grantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer') =>
    fetch(`${emu.origin}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: grantType, assertion: jwt }).toString(),
    });
  const token = async (scopes: string[], sub?: string) => {
    const r = await tokenRequest(
      assertion(
        { email: key.client_email, pem: key.private_key },
        { scope: scopes.join(' '), ...(sub ? { sub } : {}) },
      ),
    );
    expect(r.status).toBe(200);
    return ((await r.json()) as { access_token: string }).access_token;
  };
  const get = async (path: string, accessToken?: string, method = 'GET') => {
    const r = await fetch(`${emu.origin}${path}`, {
      method,
      headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO });
    key = JSON.parse(emu.clientSetup().files['google-workspace-sa.json']!) as SaKey;
    const dir = await mkdtemp('/tmp/gs-gw-emu-');
    await writeFile(`${dir}/ca.pem`, emu.caCert);
    fetch = createHttpPolicy({ caFile: `${dir}/ca.pem` }).fetch;
  });
  afterAll(() => emu.stop());

  describe('token endpoint (JWT-bearer grant)', () => {
    const pem = () => ({ email: key.client_email, pem: key.private_key });

    it('issues a bearer token for a well-formed assertion, with and without sub', async () => {
      const r = await tokenRequest(
        assertion(pem(), { scope: `${SCOPE}admin.directory.user.readonly`, sub: ADMIN }),
      );
      expect(r.status).toBe(200);
      const body = (await r.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
      expect(body.access_token).toMatch(/^ya29\./);
      expect((await tokenRequest(assertion(pem(), { scope: `${SCOPE}cloud-platform` }))).status).toBe(200);
    });

    it('rejects what Google rejects, in its error shape', async () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      });
      const cases: Array<[string, Response, number, string]> = [
        [
          'signed with another key',
          await tokenRequest(assertion({ email: key.client_email, pem: other.toString() }, { scope: 'x' })),
          400,
          'invalid_grant',
        ],
        [
          'unknown issuer',
          await tokenRequest(assertion({ ...pem(), email: 'x@y.iam.gserviceaccount.com' }, { scope: 'x' })),
          400,
          'invalid_grant',
        ],
        [
          'expired',
          await tokenRequest(assertion(pem(), { scope: 'x', iat: 1000, exp: 4600 })),
          400,
          'invalid_grant',
        ],
        [
          'lifetime over an hour',
          await tokenRequest(assertion(pem(), { scope: 'x', exp: Math.floor(Date.now() / 1000) + 7200 })),
          400,
          'invalid_grant',
        ],
        [
          'wrong audience',
          await tokenRequest(assertion(pem(), { scope: 'x', aud: 'https://example.com/token' })),
          400,
          'invalid_grant',
        ],
        ['no scope', await tokenRequest(assertion(pem(), {})), 400, 'invalid_scope'],
        [
          'unknown subject',
          await tokenRequest(
            assertion(pem(), { scope: `${SCOPE}admin.directory.user.readonly`, sub: 'nobody@acme.example' }),
          ),
          400,
          'invalid_grant',
        ],
        [
          'suspended subject',
          await tokenRequest(
            assertion(pem(), {
              scope: `${SCOPE}admin.directory.user.readonly`,
              sub: 'hugo.moreau@acme.example',
            }),
          ),
          400,
          'invalid_grant',
        ],
        [
          'scope not delegated',
          await tokenRequest(assertion(pem(), { scope: `${SCOPE}gmail.readonly`, sub: ADMIN })),
          401,
          'unauthorized_client',
        ],
        ['other grant type', await tokenRequest('x', 'client_credentials'), 400, 'unsupported_grant_type'],
      ];
      for (const [what, res, status, error] of cases) {
        expect({ what, status: res.status }).toEqual({ what, status });
        const body = (await res.json()) as { error: string; error_description: string };
        expect({ what, error: body.error }).toEqual({ what, error });
        expect(body.error_description.length).toBeGreaterThan(5);
      }
    });
  });

  describe('access checks on API calls', () => {
    it('401 without a token, 403 for a token lacking the scope, 403 for a non-admin subject', async () => {
      const none = await get('/admin/directory/v1/users?customer=my_customer');
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({
        error: { code: 401, status: 'UNAUTHENTICATED', errors: [{ reason: 'required' }] },
      });

      const wrongScope = await get(
        '/admin/directory/v1/users?customer=my_customer',
        await token([`${SCOPE}admin.reports.audit.readonly`], ADMIN),
      );
      expect(wrongScope.status).toBe(403);
      expect(wrongScope.body).toMatchObject({
        error: {
          message: 'Request had insufficient authentication scopes.',
          errors: [{ reason: 'insufficientPermissions' }],
          details: [{ reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT' }],
        },
      });
      // tokens.list accepts only admin.directory.user.security: the read-only user scope is not enough.
      const ro = await token([`${SCOPE}admin.directory.user.readonly`], ADMIN);
      expect((await get('/admin/directory/v1/users/ben.okafor%40acme.example/tokens', ro)).status).toBe(403);

      const notAdmin = await token([`${SCOPE}admin.directory.user.readonly`], 'ben.okafor@acme.example');
      const r = await get('/admin/directory/v1/users?customer=my_customer', notAdmin);
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ error: { message: 'Not Authorized to access this resource/api' } });

      // IAM takes cloud-platform only; One Platform errors carry no legacy `errors` array.
      const readOnly = await token([`${SCOPE}cloud-platform.read-only`]);
      const iamDenied = await get('/v1/projects/acme-it-ops/serviceAccounts', readOnly);
      expect(iamDenied.status).toBe(403);
      expect((iamDenied.body.error as Record<string, unknown>).errors).toBeUndefined();
    });
  });

  describe('response shapes match the generated clients’ schemas', () => {
    it('serves every route in shapes the discovery-generated types accept', async () => {
      const dir = await token([`${SCOPE}admin.directory.user.readonly`], ADMIN);
      const sec = await token([`${SCOPE}admin.directory.user.security`], ADMIN);
      const audit = await token([`${SCOPE}admin.reports.audit.readonly`], ADMIN);
      const cloud = await token([`${SCOPE}cloud-platform`]);
      const checks: Array<[string, unknown, string, ReturnType<typeof loadSchemas>]> = [];
      const users = await get('/admin/directory/v1/users?customer=my_customer&maxResults=500', dir);
      checks.push(['users.list', users.body, 'Schema$Users', directory]);
      const tokens = await get('/admin/directory/v1/users/dara.novak%40acme.example/tokens', sec);
      checks.push(['tokens.list', tokens.body, 'Schema$Tokens', directory]);
      const tokenLog = await get('/admin/reports/v1/activity/users/all/applications/token', audit);
      checks.push(['activities(token)', tokenLog.body, 'Schema$Activities', reports]);
      const adminLog = await get('/admin/reports/v1/activity/users/all/applications/admin', audit);
      checks.push(['activities(admin)', adminLog.body, 'Schema$Activities', reports]);
      const projects = await get('/v3/projects:search', cloud);
      checks.push(['projects.search', projects.body, 'Schema$SearchProjectsResponse', crm]);
      const policy = await get('/v3/projects/acme-it-ops:getIamPolicy', cloud, 'POST');
      checks.push(['projects.getIamPolicy', policy.body, 'Schema$Policy', crm]);
      const accounts = await get('/v1/projects/acme-data-platform/serviceAccounts', cloud);
      checks.push(['serviceAccounts.list', accounts.body, 'Schema$ListServiceAccountsResponse', iam]);
      const keys = await get(
        '/v1/projects/acme-data-platform/serviceAccounts/etl-runner%40acme-data-platform.iam.gserviceaccount.com/keys',
        cloud,
      );
      checks.push(['keys.list', keys.body, 'Schema$ListServiceAccountKeysResponse', iam]);
      for (const [what, body, type, schemas] of checks) {
        expect({ what, errors: checkValue(body, type, schemas) }).toEqual({ what, errors: [] });
      }
      // Google conventions: no nulls; false booleans and empty lists left out by One Platform APIs.
      expect(JSON.stringify(checks.map((c) => c[1]))).not.toContain('null');
      const account = (accounts.body.accounts as Array<Record<string, unknown>>)[0]!;
      expect(account).not.toHaveProperty('disabled');
      expect(account.oauth2ClientId).toBe(account.uniqueId);
      expect((keys.body.keys as unknown[]).length).toBe(3); // two user-managed and one system-managed
      // A user who never signed in: the Directory API says 1970.
      const newHire = (users.body.users as Array<Record<string, unknown>>).find(
        (u) => u.primaryEmail === 'new.hire@acme.example',
      );
      expect(newHire?.lastLoginTime).toBe('1970-01-01T00:00:00.000Z');
      // tokens.list has no timestamps; userKey is the numeric id.
      const t = (tokens.body.items as Array<Record<string, unknown>>)[0]!;
      expect(Object.keys(t).sort()).toEqual([
        'anonymous',
        'clientId',
        'displayText',
        'etag',
        'kind',
        'nativeApp',
        'scopes',
        'userKey',
      ]);
      expect(t.userKey).toMatch(/^[0-9]{21}$/);
    });

    it('the schema check catches a wrong field name and a wrong type', () => {
      expect(checkValue({ users: [{ primaryMail: 'x' }] }, 'Schema$Users', directory)).toEqual([
        '$.users[0].primaryMail: not in Schema$User',
      ]);
      expect(
        checkValue({ keys: [{ disabled: 'no' }] }, 'Schema$ListServiceAccountKeysResponse', iam),
      ).toEqual(['$.keys[0].disabled: expected boolean, got string']);
    });
  });

  describe('paging, partial responses and filters', () => {
    it('pages users with nextPageToken, binds tokens to their query and validates maxResults', async () => {
      const dir = await token([`${SCOPE}admin.directory.user.readonly`], ADMIN);
      const seen: string[] = [];
      let next: string | undefined;
      let pages = 0;
      do {
        const r = await get(
          `/admin/directory/v1/users?customer=C03acme7x&maxResults=5&fields=nextPageToken,users(primaryEmail)${next ? `&pageToken=${next}` : ''}`,
          dir,
        );
        expect(r.status).toBe(200);
        pages++;
        for (const u of r.body.users as Array<{ primaryEmail: string }>) {
          expect(Object.keys(u)).toEqual(['primaryEmail']);
          seen.push(u.primaryEmail);
        }
        next = r.body.nextPageToken as string | undefined;
        if (next) {
          const reused = await get(
            `/admin/directory/v1/users?domain=acme.example&maxResults=5&pageToken=${next}`,
            dir,
          );
          expect(reused.status).toBe(400);
        }
      } while (next);
      expect(pages).toBe(3);
      expect(new Set(seen).size).toBe(14);
      expect((await get('/admin/directory/v1/users?customer=my_customer&maxResults=501', dir)).status).toBe(
        400,
      );
      expect(
        (await get('/admin/directory/v1/users?customer=my_customer&fields=users(nope)', dir)).status,
      ).toBe(400);
      expect((await get('/admin/directory/v1/users', dir)).status).toBe(400);
    });

    it('filters report events by name, parameter, actor and time, newest first, within retention', async () => {
      const audit = await token([`${SCOPE}admin.reports.audit.readonly`], ADMIN);
      const base = '/admin/reports/v1/activity/users';
      const zoom = '849173526041-zq4k7m2p9r1t6v8x3b5n0c7d2f4h6j8l.apps.googleusercontent.com';
      const all = await get(`${base}/all/applications/token?eventName=authorize`, audit);
      const times = (all.body.items as Array<{ id: { time: string } }>).map((i) => i.id.time);
      expect(times).toEqual([...times].sort().reverse());
      const horizon = emu.now.getTime() - 180 * DAY_MS;
      expect(times.every((t) => Date.parse(t) >= horizon)).toBe(true);
      const used = await get(
        `${base}/all/applications/token?eventName=activity&filters=client_id==${zoom}&maxResults=1`,
        audit,
      );
      expect(used.body.items).toHaveLength(1);
      expect((used.body.items as Array<{ id: { time: string } }>)[0]!.id.time).toBe(
        new Date(emu.now.getTime() - 6 * 3600_000).toISOString(),
      );
      const femi = await get(`${base}/femi.adeyemi%40acme.example/applications/token`, audit);
      expect(
        (femi.body.items as Array<{ actor: { email: string } }>).every(
          (i) => i.actor.email === 'femi.adeyemi@acme.example',
        ),
      ).toBe(true);
      const none = await get(`${base}/all/applications/token?endTime=2020-01-01T00:00:00Z`, audit);
      expect(none.body.items).toBeUndefined();
      expect((await get(`${base}/all/applications/nonsense`, audit)).status).toBe(400);
      expect((await get(`${base}/all/applications/drive`, audit)).body.items).toBeUndefined();
    });

    it('parses and applies field selections', () => {
      const tree = parseFields('nextPageToken,users(id,name/fullName),items/id(time)');
      expect(
        applyFields(
          {
            nextPageToken: 't',
            kind: 'k',
            users: [{ id: '1', name: { fullName: 'A', givenName: 'a' }, x: 1 }],
          },
          tree,
        ),
      ).toEqual({
        nextPageToken: 't',
        users: [{ id: '1', name: { fullName: 'A' } }],
      });
      expect(() => parseFields('users(id')).toThrow(/missing '\)'/);
    });
  });

  describe('world validation', () => {
    it('names the file and the key of a bad entry', () => {
      const section = loadWorld(DEMO).platforms['google-workspace'] as Record<string, unknown[]>;
      const broken = structuredClone(section);
      (broken.grants![0] as Record<string, unknown>).user = 'ghost@acme.example';
      (broken.users![1] as Record<string, unknown>).createdAt = 'yesterday';
      const load = () =>
        googleWorkspaceEmulator.load(
          resolveRelativeDates(broken, emu.now),
          { now: emu.now } as never,
          'demo.yaml',
        );
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(
        /demo\.yaml[\s\S]*google-workspace\.users\[1\]\.createdAt[\s\S]*google-workspace\.grants\[0\]\.user: no user ghost@acme\.example/,
      );
    });
  });
});

describe('seeded Google world generator', () => {
  const now = new Date('2026-11-01T00:00:00Z');
  const section = parseSection(
    {
      customer: { id: 'C0gen1234', domain: 'gen.example' },
      generate: { seed: 7, users: 3000, tokenSlotsPerUser: 4 },
    },
    'gen.yaml',
    'google-workspace',
  );
  const world = generatedWorkspace(section, now);
  const query = (over: Partial<EventQuery> = {}): EventQuery => ({
    app: 'token',
    eventName: null,
    start: 0,
    end: Number.MAX_SAFE_INTEGER,
    filters: [],
    actorId: null,
    ...over,
  });
  const drain = (q: EventQuery, max: number) => {
    const out: EventRec[] = [];
    let cursor: string | null = null;
    do {
      const page = world.events(q, cursor, max);
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return out;
  };

  it('is deterministic per seed and finds users by email and id', () => {
    const again = generatedWorkspace(section, now);
    for (const i of [0, 1, 1234, 2999]) {
      expect(again.userAt(i)).toEqual(world.userAt(i));
      expect(world.findUser(world.userAt(i).email)).toEqual(world.userAt(i));
      expect(world.findUser(world.userAt(i).id)).toEqual(world.userAt(i));
      expect(again.tokensOf(again.userAt(i))).toEqual(world.tokensOf(world.userAt(i)));
    }
    expect(world.findUser('nobody@gen.example')).toBeUndefined();
    const other = generatedWorkspace(
      parseSection({ ...section, generate: { ...section.generate!, seed: 8 } }, 'g', 'k'),
      now,
    );
    expect(other.userAt(5).email).not.toBe(world.userAt(5).email);
  });

  it('pages events newest first without gaps or repeats, whatever the page size', () => {
    const big = drain(query(), 100_000);
    const paged = drain(query(), 37);
    expect(paged.map((e) => e.uniqueQualifier)).toEqual(big.map((e) => e.uniqueQualifier));
    expect(new Set(big.map((e) => e.uniqueQualifier)).size).toBe(big.length);
    const times = big.map((e) => e.time);
    expect(times).toEqual([...times].sort().reverse());
    expect(Date.parse(times.at(-1)!)).toBeGreaterThanOrEqual(now.getTime() - 180 * DAY_MS);
    const names = new Set(big.map((e) => e.name));
    expect(names).toEqual(new Set(['authorize', 'revoke', 'activity']));
    expect(drain(query({ eventName: 'authorize' }), 50).length).toBe(
      big.filter((e) => e.name === 'authorize').length,
    );
  });

  it('keeps tokens, grants and events consistent', () => {
    // Every activity event is by a user who still holds a grant to that app.
    const activity = drain(query({ eventName: 'activity' }), 1000).slice(0, 300);
    for (const e of activity) {
      const user = world.findUser(e.actorProfileId)!;
      const client = e.params.find((p) => p.name === 'client_id')!.value!;
      expect(world.tokensOf(user).map((t) => t.clientId)).toContain(client);
    }
    // Filtering by client id finds that client's newest use.
    const client = activity[0]!.params.find((p) => p.name === 'client_id')!.value!;
    const first = world.events(
      query({ eventName: 'activity', filters: [{ name: 'client_id', op: '==', value: client }] }),
      null,
      1,
    );
    expect(first.items[0]?.uniqueQualifier).toBe(
      activity.find((e) => e.params.some((p) => p.value === client))!.uniqueQualifier,
    );
    // Revoked grants are gone from tokens.list.
    const revoke = drain(query({ eventName: 'revoke' }), 1000)[0]!;
    const revoker = world.findUser(revoke.actorProfileId)!;
    const revokedClient = revoke.params.find((p) => p.name === 'client_id')!.value!;
    const slotsForClient = world.tokensOf(revoker).filter((t) => t.clientId === revokedClient);
    // (A user can hold the same app again through another slot; then it is listed once.)
    expect(slotsForClient.length).toBeLessThanOrEqual(1);
  });

  it('addresses any of 20,000 users directly by index, email or id', () => {
    const big = parseSection(
      { customer: { id: 'C0gen1234', domain: 'gen.example' }, generate: { seed: 42, users: 20_000 } },
      'gen.yaml',
      'google-workspace',
    );
    const w = generatedWorkspace(big, now);
    expect(w.userCount).toBe(20_000);
    const last = w.userAt(19_999);
    expect(w.findUser(last.email)).toEqual(last);
    expect(w.userAt(20_000 - 1).id).not.toBe(w.userAt(0).id);
  });
});
