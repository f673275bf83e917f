import { createSign, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exemptFromRequestConformance } from '../../../test/support/conformance.js';
import { createHttpPolicy } from '../../connector/http.js';
import { type RunningEmulator, startEmulator } from '../server.js';
import { loadWorld, resolveRelativeDates, type World } from '../world.js';
import { WorldError } from '../world-error.js';
import { GITHUB_APP_KEY_FILE } from './index.js';
import { buildState, rand } from './state.js';
import { type GithubSectionInput, parseGithubSection } from './world.js';

const WORLD = new URL('../../../fixtures/worlds/test/github-demo.yaml', import.meta.url).pathname;
const API = '/api/v3';

/**
 * Requests these tests send on purpose although GitHub refuses them (to assert the emulator refuses
 * them the same way) carry this header, and only those are exempt from the request-conformance check.
 */
const REFUSED = { 'x-test-expects-refusal': '1' };
exemptFromRequestConformance(
  'GitHub emulator tests send requests GitHub refuses, to assert the emulator refuses them alike',
  (r) => r.headers['x-test-expects-refusal'] === '1',
);

function signJwt(claims: Record<string, unknown>, privateKeyPem: string, alg = 'RS256'): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg, typ: 'JWT' })}.${enc(claims)}`;
  const sig = createSign('RSA-SHA256').update(head).sign(privateKeyPem).toString('base64url');
  return `${head}.${sig}`;
}

/** Size of the largest array, Map or Set reachable from `root` through properties and entries. */
function largestCollection(root: unknown): number {
  const seen = new Set<object>();
  let largest = 0;
  const walk = (v: unknown) => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    const items = Array.isArray(v)
      ? v
      : v instanceof Map
        ? [...v.entries()]
        : v instanceof Set
          ? [...v]
          : null;
    if (items) {
      largest = Math.max(largest, items.length);
      for (const x of items) walk(x);
    } else {
      for (const x of Object.values(v)) walk(x);
    }
  };
  walk(root);
  return largest;
}

function variant(edit: (github: GithubSectionInput) => void): World {
  const w = structuredClone(loadWorld(WORLD));
  edit(w.platforms.github as GithubSectionInput);
  return w;
}

describe('GitHub emulator', () => {
  let emu: RunningEmulator;
  let fetch: typeof globalThis.fetch;
  let appKey: string;
  const now = () => Math.floor(Date.now() / 1000);
  const jwt = (over: Record<string, unknown> = {}) =>
    signJwt({ iat: now() - 30, exp: now() + 540, iss: 900001, ...over }, appKey);
  const get = (path: string, auth?: string, headers: Record<string, string> = {}) =>
    fetch(`${emu.origin}${path}`, { headers: { ...(auth ? { authorization: auth } : {}), ...headers } });
  const mint = async (body?: unknown) => {
    const r = await fetch(`${emu.origin}${API}/app/installations/70001/access_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt()}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return {
      status: r.status,
      body: (await r.json()) as { token: string; expires_at: string; permissions: Record<string, string> },
    };
  };
  const token = async () => `token ${(await mint()).body.token}`;

  beforeAll(async () => {
    emu = await startEmulator({ world: WORLD });
    appKey = emu.clientSetup().files[GITHUB_APP_KEY_FILE]!;
    const dir = await mkdtemp(join(tmpdir(), 'gs-emu-gh-'));
    await writeFile(join(dir, 'ca.pem'), emu.caCert);
    fetch = createHttpPolicy({ caFile: join(dir, 'ca.pem') }).fetch;
  });
  afterEach(() => emu.setWorld(WORLD));
  afterAll(() => emu.stop());

  // Sources: docs "Generating a JSON Web Token (JWT) for a GitHub App" (RS256, `iat`, `exp` at most
  // 10 minutes after, `iss` = app id); OpenAPI apps/create-installation-access-token ("Installation
  // tokens expire one hour from the time you create them", 201, 404, 422); apps/get-org-installation.
  describe('GitHub App authentication', () => {
    it('mints a one-hour installation token for a JWT signed with the app key', async () => {
      const { status, body } = await mint();
      expect(status).toBe(201);
      expect(body.token).toMatch(/^ghs_[A-Za-z0-9]+$/);
      const expires = Date.parse(body.expires_at) - Date.now();
      expect(expires).toBeGreaterThan(3500_000);
      expect(expires).toBeLessThanOrEqual(3600_000);
      expect(body.permissions).toMatchObject({ organization_administration: 'read', metadata: 'read' });
      const inst = await get(`${API}/orgs/acme-corp/installation`, `Bearer ${jwt()}`);
      expect(inst.status).toBe(200);
      expect(await inst.json()).toMatchObject({ id: 70001, app_id: 900001, app_slug: 'grantscope-scanner' });
    });

    it.each([
      [
        'signed by another key',
        () =>
          signJwt(
            { iat: now() - 30, exp: now() + 540, iss: 900001 },
            generateKeyPairSync('rsa', { modulusLength: 2048 })
              .privateKey.export({ type: 'pkcs8', format: 'pem' })
              .toString(),
          ),
        'A JSON web token could not be decoded',
      ],
      ['expired', () => jwt({ iat: now() - 700, exp: now() - 100 }), /^'Expiration time' claim \('exp'\)/],
      [
        'valid for more than 10 minutes',
        () => jwt({ exp: now() + 3600 }),
        "'Expiration time' claim ('exp') is too far in the future",
      ],
      [
        'issued in the future',
        () => jwt({ iat: now() + 300, exp: now() + 600 }),
        /^'Issued at' claim \('iat'\)/,
      ],
      ['for another app', () => jwt({ iss: 12345 }), 'A JSON web token could not be decoded'],
      ['not a JWT', () => 'not-a-jwt', 'A JSON web token could not be decoded'],
    ])('rejects a JWT %s with 401', async (_label, make, message) => {
      const r = await fetch(`${emu.origin}${API}/app/installations/70001/access_tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${make()}`, ...REFUSED },
      });
      expect(r.status).toBe(401);
      const body = await r.json();
      expect(body).toMatchObject({
        status: '401',
        documentation_url: expect.stringMatching(/^https:\/\/docs\.github\.com\//),
      });
      // GitHub's messages: "A JSON web token could not be decoded" (octokit/auth-app.js#375: a JWT
      // whose `iss` is not the key's app; actions/create-github-app-token#153: app id and key that do
      // not match), "'Expiration time' claim ('exp') is too far in the future" (as GitHub sends it).
      expect(body.message).toMatch(message);
    });

    it('refuses an installation token where GitHub wants the JWT: 401 "A JSON web token could not be decoded"', async () => {
      // An installation token sent to a JWT-only endpoint: urcomputeringpal/kubevalidator#48
      // ("GET /app/installations: 401 A JSON web token could not be decoded").
      const t = await token();
      for (const [method, path] of [
        ['GET', `${API}/orgs/acme-corp/installation`],
        ['POST', `${API}/app/installations/70001/access_tokens`],
      ] as const) {
        const r = await fetch(`${emu.origin}${path}`, { method, headers: { authorization: t, ...REFUSED } });
        expect(r.status).toBe(401);
        expect(await r.json()).toMatchObject({
          message: 'A JSON web token could not be decoded',
          status: '401',
        });
      }
    });

    it('answers 404 for an installation that is not the app’s and 422 for permissions it does not hold', async () => {
      // Both are documented responses of apps/create-installation-access-token; "The installation
      // access token cannot be granted permissions that the app was not granted."
      const r = await fetch(`${emu.origin}${API}/app/installations/71003/access_tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt()}` },
      });
      expect(r.status).toBe(404);
      expect((await mint({ permissions: { contents: 'write' } })).status).toBe(422);
    });

    it('requires an installation token everywhere else (401 without, with a bad one, or with the JWT)', async () => {
      // A JWT sent to a non-app endpoint gets 401 "Bad credentials" (platform.github.community/t/5506);
      // no credential: components/responses/requires_authentication.
      const none = await get(`${API}/orgs/acme-corp/installations`);
      expect(none.status).toBe(401);
      expect(await none.json()).toMatchObject({ message: 'Requires authentication', status: '401' });
      expect((await get(`${API}/orgs/acme-corp/installations`, 'token ghs_nottokenatall')).status).toBe(401);
      const withJwt = await get(`${API}/orgs/acme-corp/installations`, `Bearer ${jwt()}`, REFUSED);
      expect(withJwt.status).toBe(401);
      expect(await withJwt.json()).toMatchObject({ message: 'Bad credentials', status: '401' });
      expect((await get(`${API}/orgs/acme-corp/installations`, await token())).status).toBe(200);
    });
  });

  it('refuses a route whose permission the token lacks, naming it in X-Accepted-GitHub-Permissions', async () => {
    // "Permissions required for GitHub Apps": list-app-installations-for-an-organization needs
    // organization administration (read); GitHub's body for a missing permission is quoted in
    // actions/create-github-app-token#258 ({message, documentation_url of the operation, status}).
    const { body } = await mint({ permissions: { metadata: 'read' } });
    const r = await get(`${API}/orgs/acme-corp/installations`, `token ${body.token}`);
    expect(r.status).toBe(403);
    expect(r.headers.get('x-accepted-github-permissions')).toBe('organization_administration=read');
    expect(await r.json()).toEqual({
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest/orgs/orgs#list-app-installations-for-an-organization',
      status: '403',
    });
  });

  it('refuses a `role` outside the enum orgs/list-members documents, with its 422 validation_failed', async () => {
    const r = await get(`${API}/orgs/acme-corp/members?role=owner`, await token(), REFUSED);
    expect(r.status).toBe(422);
    expect(await r.json()).toMatchObject({
      message: 'Validation Failed',
      documentation_url: expect.any(String),
    });
  });

  // Sources: OpenAPI components/parameters/per-page ("max 100", default 30) and page; docs "Using
  // pagination in the REST API" (Link rel next/last/prev/first); a larger per_page is answered with
  // 100 items, not refused (fledge-iot/fledge#428, github-tools/github#25).
  it('pages with per_page (default 30, max 100) and absolute Link URLs on its own origin', async () => {
    const t = await token();
    const first = await get(`${API}/orgs/acme-corp/repos?per_page=2`, t);
    expect((await first.json()).map((r: { name: string }) => r.name)).toEqual(['web', 'api']);
    const link = first.headers.get('link')!;
    expect(link).toContain(`<${emu.origin}${API}/orgs/acme-corp/repos?per_page=2&page=2>; rel="next"`);
    expect(link).toContain(`<${emu.origin}${API}/orgs/acme-corp/repos?per_page=2&page=3>; rel="last"`);
    const last = await get(`${API}/orgs/acme-corp/repos?per_page=2&page=3`, t);
    expect((await last.json()).map((r: { name: string }) => r.name)).toEqual(['mobile']);
    expect(last.headers.get('link')).toMatch(/rel="prev".*rel="first"/);
    expect(last.headers.get('link')).not.toContain('rel="next"');

    emu.setWorld(variant((g) => (g.generate = { seed: 1, repos: 250 })));
    const t2 = await token();
    expect(await (await get(`${API}/orgs/acme-corp/repos`, t2)).json()).toHaveLength(30);
    expect(await (await get(`${API}/orgs/acme-corp/repos?per_page=1000`, t2, REFUSED)).json()).toHaveLength(
      100,
    );
  });

  // OpenAPI orgs/list-app-installations: the 200 body is an object {total_count, installations}.
  it('wraps installations as {total_count, installations}', async () => {
    const r = await get(`${API}/orgs/acme-corp/installations?per_page=2`, await token());
    const body = await r.json();
    expect(body.total_count).toBe(6);
    expect(body.installations).toHaveLength(2);
    expect(r.headers.get('link')).toContain('rel="next"');
  });

  // Docs "Rate limits for the REST API": x-ratelimit-limit/-remaining/-used/-reset/-resource headers;
  // past the primary limit, 403 (or 429) with x-ratelimit-remaining 0.
  it('sends x-ratelimit headers and refuses with 403 and remaining 0 once the budget is spent', async () => {
    emu.setWorld(variant((g) => (g.rate_limit = { core: { limit: 100, remaining: 2, reset_seconds: 600 } })));
    const t = await token();
    const a = await get(`${API}/orgs/acme-corp/repos`, t);
    expect(a.status).toBe(200);
    expect(a.headers.get('x-ratelimit-limit')).toBe('100');
    expect(a.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(a.headers.get('x-ratelimit-used')).toBe('99');
    expect(a.headers.get('x-ratelimit-resource')).toBe('core');
    const reset = Number(a.headers.get('x-ratelimit-reset'));
    expect(reset - now()).toBeGreaterThan(590);
    expect((await get(`${API}/orgs/acme-corp/repos`, t)).status).toBe(200);
    const c = await get(`${API}/orgs/acme-corp/repos`, t);
    expect(c.status).toBe(403);
    expect(c.headers.get('x-ratelimit-remaining')).toBe('0');
    expect((await c.json()).message).toMatch(/^API rate limit exceeded for installation ID 70001/);
  });

  // Docs "Best practices for using the REST API", "Use conditional requests if appropriate": an ETag,
  // and a 304 to a matching If-None-Match that does not count against the primary rate limit.
  it('answers If-None-Match with 304 and no body, not counted against the primary rate limit', async () => {
    const t = await token();
    const a = await get(`${API}/orgs/acme-corp/repos`, t);
    expect(a.status).toBe(200);
    const etag = a.headers.get('etag');
    expect(etag).toMatch(/^W\/"[0-9a-f]+"$/);
    const used = Number(a.headers.get('x-ratelimit-used'));
    const b = await get(`${API}/orgs/acme-corp/repos`, t, { 'if-none-match': etag! });
    expect(b.status).toBe(304);
    expect(await b.text()).toBe('');
    expect(b.headers.get('etag')).toBe(etag);
    expect(Number(b.headers.get('x-ratelimit-used'))).toBe(used);
    const c = await get(`${API}/orgs/acme-corp/repos`, t, { 'if-none-match': 'W/"stale"' });
    expect(c.status).toBe(200);
    expect(Number(c.headers.get('x-ratelimit-used'))).toBe(used + 1);
  });

  // Docs "API Versions": the X-GitHub-Api-Version header selects a version; one GitHub does not
  // support is answered with 400.
  it('honours X-GitHub-Api-Version', async () => {
    const t = await token();
    const ok = await get(`${API}/orgs/acme-corp/repos`, t, { 'x-github-api-version': '2022-11-28' });
    expect(ok.headers.get('x-github-api-version-selected')).toBe('2022-11-28');
    const bad = await get(`${API}/orgs/acme-corp/repos`, t, {
      'x-github-api-version': '1999-01-01',
      ...REFUSED,
    });
    expect(bad.status).toBe(400);
  });

  // ghec.json orgs/list-saml-sso-authorizations: GitHub Enterprise Cloud only (`githubCloudOnly`),
  // "for an organization that uses SAML single sign-on".
  it('serves credential authorizations only for a SAML org (404 like a non-GHEC org otherwise)', async () => {
    const saml = await get(`${API}/orgs/acme-corp/credential-authorizations`, await token());
    expect(saml.status).toBe(200);
    expect((await saml.json()).map((c: { credential_id: number }) => c.credential_id)).toEqual([
      61001, 61002,
    ]);
    emu.setWorld(variant((g) => (g.org.saml = false)));
    expect((await get(`${API}/orgs/acme-corp/credential-authorizations`, await token())).status).toBe(404);
  });

  // Faults that must look like GitHub's own answers (api.ts restRouteFaults cites each shape).
  describe('faults in GitHub shapes', () => {
    afterEach(() => emu.faults.clear());

    it('expires an installation token mid-scan: 401 Bad credentials for it everywhere, a new token works', async () => {
      const t = await token();
      emu.faults.add({ path: `${API}/orgs/{org}/members`, times: 1, action: { kind: 'token-expired' } });
      const first = await get(`${API}/orgs/acme-corp/members`, t);
      expect(first.status).toBe(401);
      expect(await first.json()).toEqual({
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });
      // The fault fired once, but the token stays expired, on REST and GraphQL alike.
      expect((await get(`${API}/orgs/acme-corp/repos`, t)).status).toBe(401);
      const gql = await fetch(`${emu.origin}/api/graphql`, {
        method: 'POST',
        headers: { authorization: t, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ rateLimit { remaining } }' }),
      });
      expect(gql.status).toBe(401);
      expect((await gql.json()).message).toBe('Bad credentials');
      expect((await get(`${API}/orgs/acme-corp/members`, await token())).status).toBe(200);
    });

    it('withdraws the permission of one route: 403 naming the permission the route needs', async () => {
      emu.faults.add({ path: `${API}/repos/{owner}/{repo}/keys`, action: { kind: 'permission-denied' } });
      const t = await token();
      const r = await get(`${API}/repos/acme-corp/api/keys`, t);
      expect(r.status).toBe(403);
      expect(r.headers.get('x-accepted-github-permissions')).toBe('administration=read');
      expect(await r.json()).toEqual({
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest/deploy-keys/deploy-keys#list-deploy-keys',
        status: '403',
      });
      // Other routes keep their permissions.
      expect((await get(`${API}/repos/acme-corp/api/hooks`, t)).status).toBe(200);
    });

    it('404s one child list once while its repository is still listed', async () => {
      emu.faults.add({ path: `${API}/repos/acme-corp/api/keys`, times: 1, action: { kind: 'not-found' } });
      const t = await token();
      const repos = (await (await get(`${API}/orgs/acme-corp/repos`, t)).json()) as Array<{ name: string }>;
      expect(repos.map((r) => r.name)).toContain('api');
      const gone = await get(`${API}/repos/acme-corp/api/keys`, t);
      expect(gone.status).toBe(404);
      expect(await gone.json()).toMatchObject({ message: 'Not Found', status: '404' });
      const back = await get(`${API}/repos/acme-corp/api/keys`, t);
      expect(back.status).toBe(200);
      expect(await back.json()).toHaveLength(1);
    });

    it('loops Link rel="next" back to the page just read, on a single page too', async () => {
      emu.faults.add({ path: `${API}/orgs/{org}/installations`, action: { kind: 'paging-loop' } });
      const t = await token();
      const url = `${emu.origin}${API}/orgs/acme-corp/installations?per_page=2&page=2`;
      const r = await fetch(url, { headers: { authorization: t } });
      const link = r.headers.get('link') ?? '';
      expect(link).toContain(`<${url}>; rel="next"`);
      expect(link).toContain('rel="prev"');
      expect(link).not.toContain('rel="last"');
      const page = (await r.json()) as { installations: Array<{ id: number }> };
      const again = await fetch(url, { headers: { authorization: t } });
      expect(((await again.json()) as typeof page).installations).toEqual(page.installations);
      const single = await get(`${API}/orgs/acme-corp/installations`, t);
      expect(single.headers.get('link')).toBe(
        `<${emu.origin}${API}/orgs/acme-corp/installations>; rel="next"`,
      );
    });

    it('says so when a route cannot produce a fault (the GraphQL endpoint has no REST 404)', async () => {
      emu.faults.add({ path: '/api/graphql', times: 1, action: { kind: 'not-found' } });
      const r = await fetch(`${emu.origin}/api/graphql`, {
        method: 'POST',
        headers: { authorization: await token(), 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ rateLimit { remaining } }' }),
      });
      expect(r.status).toBe(500);
      expect((await r.json()).message).toMatch(/cannot produce a 'not-found' fault on POST \/api\/graphql/);
    });
  });

  describe('GraphQL', () => {
    const gql = async (
      auth: string,
      query: string,
      variables?: Record<string, unknown>,
      headers: Record<string, string> = {},
    ) => {
      const r = await fetch(`${emu.origin}/api/graphql`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return {
        r,
        body: (await r.json()) as {
          data: Record<string, unknown>;
          errors?: Array<{ type: string; path: string[]; message: string }>;
        },
      };
    };

    // A repository that does not exist is null with GitHub's NOT_FOUND error ("Could not resolve to a
    // Repository with the name 'o/n'."); rateLimit costs at least 1 point (docs "Rate limits and node
    // limits for the GraphQL API").
    it('answers batched repository lookups of deploy keys and outside collaborators', async () => {
      const { r, body } = await gql(
        await token(),
        `query($o: String!) {
          a: repository(owner: $o, name: "api") { nameWithOwner deployKeys(first: 10) { totalCount nodes { readOnly title } } }
          b: repository(owner: $o, name: "docs") { collaborators(affiliation: OUTSIDE, first: 10) { totalCount edges { permission node { login } } } }
          c: repository(owner: $o, name: "gone") { nameWithOwner }
          rateLimit { cost limit remaining }
        }`,
        { o: 'acme-corp' },
      );
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ratelimit-resource')).toBe('graphql');
      expect(body.data.a).toEqual({
        nameWithOwner: 'acme-corp/api',
        deployKeys: { totalCount: 1, nodes: [{ readOnly: false, title: 'old-jenkins' }] },
      });
      expect(body.data.b).toHaveProperty('collaborators.edges', [
        { permission: 'READ', node: { login: 'vendor-jane' } },
        { permission: 'READ', node: { login: 'ext-reader' } },
      ]);
      expect(body.data.c).toBeNull();
      expect(body.errors).toEqual([expect.objectContaining({ type: 'NOT_FOUND', path: ['c'] })]);
      expect(body.data.rateLimit).toMatchObject({ cost: 1, limit: 5000 });
    });

    // GitHub's answer to a field the installation may not read: null with a FORBIDDEN error "Resource
    // not accessible by integration" (actions/create-github-app-token#200).
    it('returns a field the installation may not read as null with a FORBIDDEN error', async () => {
      const { body: minted } = await mint({ permissions: { metadata: 'read' } });
      const { body } = await gql(
        `token ${minted.token}`,
        '{ r: repository(owner: "acme-corp", name: "api") { name deployKeys(first: 1) { totalCount } } }',
      );
      expect(body.data).toEqual({ r: null });
      expect(body.errors?.[0]).toMatchObject({ type: 'FORBIDDEN', path: ['r', 'deployKeys'] });
    });

    it('reports an invalid query and refuses without a token', async () => {
      const { body } = await gql(
        await token(),
        '{ repository(owner: "acme-corp", name: "api") { nope } }',
        undefined,
        REFUSED,
      );
      expect(body.errors?.[0]?.message).toMatch(/Cannot query field "nope"/);
      expect((await gql('token ghs_bad', '{ rateLimit { cost } }')).r.status).toBe(401);
    });

    // Validated against GitHub's published schema (@octokit/graphql-schema): GitHub's DeployKey has
    // no `enabled` field (the emulator's own schema once had one).
    it('refuses a field GitHub’s schema does not have', async () => {
      const { body } = await gql(
        await token(),
        '{ repository(owner: "acme-corp", name: "api") { deployKeys(first: 1) { nodes { enabled } } } }',
        undefined,
        REFUSED,
      );
      expect(body).not.toHaveProperty('data');
      expect(body.errors?.[0]?.message).toMatch(/Cannot query field "enabled" on type "DeployKey"/);
    });

    // docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api: "Clients must
    // supply a first or last argument on any connection. Values of first and last must be within
    // 1-100. Individual calls cannot request more than 500,000 total nodes." Messages and types as
    // GitHub sends them (see graphql-limits.ts).
    it.each([
      [
        'without first or last',
        '{ repository(owner: "acme-corp", name: "api") { deployKeys { totalCount } } }',
        'MISSING_PAGINATION_BOUNDARIES',
        'You must provide a `first` or `last` value to properly paginate the `deployKeys` connection.',
      ],
      [
        'with first above 100',
        '{ repository(owner: "acme-corp", name: "api") { deployKeys(first: 101) { totalCount } } }',
        'EXCESSIVE_PAGINATION',
        'Requesting 101 records on the `deployKeys` connection exceeds the `first` limit of 100 records.',
      ],
      [
        'with last above 100',
        '{ repository(owner: "acme-corp", name: "api") { collaborators(last: 250) { totalCount } } }',
        'EXCESSIVE_PAGINATION',
        'Requesting 250 records on the `collaborators` connection exceeds the `last` limit of 100 records.',
      ],
      [
        'over 500,000 nodes',
        `{ repository(owner: "acme-corp", name: "api") { collaborators(first: 100) { nodes {
            repositories(first: 100) { nodes { issues(first: 100) { totalCount } } } } } } }`,
        'MAX_NODE_LIMIT_EXCEEDED',
        'This query requests up to 1,010,100 possible nodes which exceeds the maximum limit of 500,000.',
      ],
    ])('refuses a connection %s before running the query', async (_label, query, type, message) => {
      const { r, body } = await gql(await token(), query, undefined, REFUSED);
      expect(r.status).toBe(200);
      expect(body).not.toHaveProperty('data');
      expect(body.errors).toEqual([expect.objectContaining({ type, message })]);
    });
  });

  describe('world section', () => {
    it('names the file and the key of an invalid value', () => {
      const section = resolveRelativeDates(
        loadWorld(WORLD).platforms.github,
        new Date(),
      ) as GithubSectionInput & Record<string, unknown>;
      (section.installations![1] as Record<string, unknown>).repository_selection = 'some';
      section.bogus = true;
      try {
        parseGithubSection(section, 'worlds/bad.yaml');
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(WorldError);
        const e = err as WorldError;
        expect(e.file).toBe('worlds/bad.yaml');
        expect(e.issues.map((i) => i.path)).toEqual(
          expect.arrayContaining(['github.installations.1.repository_selection', 'github']),
        );
        expect(e.message).toContain("unknown key 'bogus'");
      }
    });

    it('names the included file the section came from when the emulator loads it', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'gs-world-'));
      await writeFile(
        join(dir, 'bad.github.yaml'),
        'github:\n  org: { login: x, id: 1 }\n  app: { id: 1, installation_id: 2, permissions: {} }\n  repos: [{ name: r }]\n',
      );
      await writeFile(join(dir, 'other.yaml'), 'name: nothing here\n');
      await writeFile(join(dir, 'main.yaml'), 'name: main\ninclude: [bad.github.yaml, other.yaml]\n');
      const started = startEmulator({ world: join(dir, 'main.yaml') });
      await expect(started).rejects.toThrow(WorldError);
      await expect(startEmulator({ world: join(dir, 'main.yaml') })).rejects.toThrow(
        new RegExp(
          `^${join(dir, 'bad.github.yaml')}: invalid configuration\\n.*github\\.repos\\.0\\.id`,
          's',
        ),
      );
    });

    it('rejects duplicate ids', () => {
      const section = resolveRelativeDates(
        loadWorld(WORLD).platforms.github,
        new Date(),
      ) as GithubSectionInput & Record<string, unknown>;
      section.pat_grants!.push({ ...section.pat_grants![0]! });
      expect(() => parseGithubSection(section, 'w.yaml')).toThrow(/github\.pat_grants: duplicate id 81001/);
    });

    it('hands the scanner its config section and private key', () => {
      const setup = emu.clientSetup();
      expect(setup.config.github).toEqual({
        org: 'acme-corp',
        baseUrl: `${emu.origin}/api/v3`,
        app: { id: 900001, installationId: 70001, privateKeyFile: GITHUB_APP_KEY_FILE },
        appOwners: {
          'grantscope-scanner': ['alice'],
          slack: ['carol'],
          renovate: ['bob'],
          'acme-deploy-bot': ['frank'],
        },
      });
      expect(setup.files[GITHUB_APP_KEY_FILE]).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    });
  });

  describe('seeded generator', () => {
    const at = new Date('2026-06-01T00:00:00Z');
    const base = () => resolveRelativeDates(loadWorld(WORLD).platforms.github, at) as GithubSectionInput;

    it('computes items from (seed, index) on demand, the same every time', () => {
      const section = base();
      section.generate = { seed: 42, repos: 5000, deploy_key_ratio: 0.1 };
      const a = buildState(parseGithubSection(section, 'w'), at);
      const b = buildState(parseGithubSection(section, 'w'), at);
      expect(a.repos.length).toBe(5 + 5000);
      expect(a.repos.at(4999)).toEqual(b.repos.at(4999));
      expect(a.repoByName('repo-04995')).toEqual(a.repos.at(4999));
      expect(a.repoByName('repo-05001')).toBeUndefined();
      const other = buildState(
        parseGithubSection({ ...section, generate: { ...section.generate, seed: 43 } }, 'w'),
        at,
      );
      expect(other.repos.at(4999)).not.toEqual(a.repos.at(4999));
      const withKeys = Array.from({ length: 5000 }, (_, i) => a.repos.at(5 + i)).filter(
        (r) => r.deploy_keys.length > 0,
      ).length;
      expect(withKeys).toBeGreaterThan(400);
      expect(withKeys).toBeLessThan(600);
    });

    it('holds nothing per item: a million repositories are computed when asked for, not stored', () => {
      const section = base();
      section.generate = { seed: 7, repos: 1_000_000, users: 100_000 };
      const s = buildState(parseGithubSection(section, 'w'), at);
      expect(s.repos.length).toBe(1_000_005);
      const last = s.repos.at(1_000_004);
      expect(last.name).toBe('repo-1000000');
      // Computed afresh on every access (equal, never the same object): not read from a held list.
      expect(s.repos.at(1_000_004)).not.toBe(last);
      expect(s.repos.at(1_000_004)).toEqual(last);
      const user = s.userByLogin('user-100000');
      expect(user?.role).toBe('member');
      expect(s.userByLogin('user-100000')).not.toBe(user);
      // Nothing reachable from the state grows with the generated sizes (memory itself is benchmarked).
      expect(largestCollection(s)).toBeLessThan(100);
    });

    it('spreads its random draws evenly', () => {
      const draws = Array.from({ length: 10_000 }, (_, i) => rand(1, 'x', i));
      const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
      expect(mean).toBeGreaterThan(0.48);
      expect(mean).toBeLessThan(0.52);
      expect(draws.every((d) => d >= 0 && d < 1)).toBe(true);
    });
  });
});
