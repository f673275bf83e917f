import { createSign } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlDataProblems as graphqlProblems } from '../../../test/conformance/github-graphql.js';
import {
  basicErrorValidator,
  type FoundOperation,
  operationAt,
  responseSchema,
  responseValidator,
} from '../../../test/conformance/github-openapi.js';
import { exemptFromRequestConformance } from '../../../test/support/conformance.js';
import { createHttpPolicy } from '../../connector/http.js';
import { type RunningEmulator, startEmulator } from '../server.js';
import { loadWorld } from '../world.js';
import { GITHUB_APP_KEY_FILE } from './index.js';

/**
 * Every emulator response the connector can get, success and error, validated against what GitHub
 * publishes: REST bodies against the operation's response schema in GitHub's OpenAPI description
 * (npm @octokit/openapi: api.github.com.json, ghec.json for credential authorizations), errors
 * against the operation's documented error response or GitHub's `basic-error`, with the operation's
 * reference page as `documentation_url`; GraphQL `data` against the types of GitHub's schema.
 */
const WORLD = new URL('../../../fixtures/worlds/test/github-demo.yaml', import.meta.url).pathname;

const REFUSED = { 'x-test-expects-refusal': '1' };
exemptFromRequestConformance(
  'error responses are provoked with requests GitHub refuses',
  (r) => r.headers['x-test-expects-refusal'] === '1',
);

/** Problems of a REST body against the operation's documented response for `status`. */
function restProblems(found: FoundOperation, status: number, body: unknown): unknown[] {
  const validate = responseSchema(found, status) ? responseValidator(found, status) : basicErrorValidator();
  return validate(body) ? [] : (validate.errors ?? []).slice(0, 5);
}

describe('GitHub emulator responses follow GitHub’s OpenAPI description and GraphQL schema', () => {
  let emu: RunningEmulator;
  let fetch: typeof globalThis.fetch;
  let auth: string;
  let jwt: string;
  const mint = async (permissions?: Record<string, string>) => {
    const r = await fetch(`${emu.origin}/api/v3/app/installations/70001/access_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      ...(permissions ? { body: JSON.stringify({ permissions }) } : {}),
    });
    return { status: r.status, body: await r.json() };
  };
  const get = (url: string, authorization?: string, headers: Record<string, string> = {}) =>
    fetch(`${emu.origin}/api/v3${url}`, {
      headers: { ...(authorization ? { authorization } : {}), ...headers },
    });

  beforeAll(async () => {
    // A world that also exercises the generator's shapes.
    const world = structuredClone(loadWorld(WORLD));
    const github = world.platforms.github as { pat_requests: unknown[] } & Record<string, unknown>;
    github.pat_requests.push({
      id: 82002,
      token_id: 92002,
      token_name: 'selected-repositories',
      owner: 'dave',
      repository_selection: 'subset',
      repositories: ['api', 'web'],
      permissions: { repository: { metadata: 'read' } },
      created_at: '2026-01-01T00:00:00Z',
    });
    github.generate = {
      seed: 3,
      repos: 40,
      deploy_key_ratio: 0.5,
      hook_ratio: 0.5,
      users: 20,
      installations: 4,
      pat_grants: 4,
      org_hooks: 2,
    };
    emu = await startEmulator({ world });
    const dir = await mkdtemp(join(tmpdir(), 'gs-openapi-'));
    await writeFile(join(dir, 'ca.pem'), emu.caCert);
    fetch = createHttpPolicy({ caFile: join(dir, 'ca.pem') }).fetch;
    const key = emu.clientSetup().files[GITHUB_APP_KEY_FILE]!;
    const now = Math.floor(Date.now() / 1000);
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({ iat: now - 30, exp: now + 500, iss: 900001 })}`;
    jwt = `${head}.${createSign('RSA-SHA256').update(head).sign(key).toString('base64url')}`;
    const minted = await mint();
    expect(minted.status).toBe(201);
    const found = operationAt('/app/installations/{installation_id}/access_tokens', 'post');
    expect(restProblems(found, 201, minted.body)).toEqual([]);
    auth = `token ${minted.body.token}`;
  }, 60_000);
  afterAll(() => emu?.stop());

  const cases: Array<[string, string]> = [
    ['/orgs/{org}/installations', '/orgs/acme-corp/installations?per_page=100'],
    ['/apps/{app_slug}', '/apps/renovate'],
    ['/apps/{app_slug}', '/apps/ci-runner-00001'],
    ['/orgs/{org}/personal-access-tokens', '/orgs/acme-corp/personal-access-tokens?per_page=100'],
    [
      '/orgs/{org}/personal-access-tokens/{pat_id}/repositories',
      '/orgs/acme-corp/personal-access-tokens/81001/repositories',
    ],
    ['/orgs/{org}/personal-access-token-requests', '/orgs/acme-corp/personal-access-token-requests'],
    [
      '/orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories',
      '/orgs/acme-corp/personal-access-token-requests/82002/repositories',
    ],
    ['/orgs/{org}/credential-authorizations', '/orgs/acme-corp/credential-authorizations'],
    ['/orgs/{org}/repos', '/orgs/acme-corp/repos?per_page=100&type=all'],
    ['/repos/{owner}/{repo}/keys', '/repos/acme-corp/api/keys'],
    ['/repos/{owner}/{repo}/keys', '/repos/acme-corp/docs/keys'],
    ['/repos/{owner}/{repo}/hooks', '/repos/acme-corp/web/hooks'],
    ['/orgs/{org}/hooks', '/orgs/acme-corp/hooks'],
    ['/orgs/{org}/members', '/orgs/acme-corp/members?per_page=100'],
    ['/orgs/{org}/members', '/orgs/acme-corp/members?role=admin'],
    ['/orgs/{org}/outside_collaborators', '/orgs/acme-corp/outside_collaborators'],
  ];

  it.each(cases)('GET %s (%s)', async (template, url) => {
    const r = await get(url, auth);
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(restProblems(operationAt(template, 'get'), 200, body)).toEqual([]);
    const items = Array.isArray(body) ? body : (body.installations ?? Object.keys(body));
    expect(items.length).toBeGreaterThan(0);
  });

  it('generated repositories, keys and hooks follow the schema too', async () => {
    const r = await get('/orgs/acme-corp/repos?per_page=100', auth);
    const repos = (await r.json()) as Array<{ name: string }>;
    const generated = repos.filter((x) => x.name.startsWith('repo-'));
    expect(generated).toHaveLength(40);
    let keys = 0;
    let hooks = 0;
    for (const repo of generated.slice(0, 12)) {
      const k = await (await get(`/repos/acme-corp/${repo.name}/keys`, auth)).json();
      const h = await (await get(`/repos/acme-corp/${repo.name}/hooks`, auth)).json();
      expect(restProblems(operationAt('/repos/{owner}/{repo}/keys', 'get'), 200, k)).toEqual([]);
      expect(restProblems(operationAt('/repos/{owner}/{repo}/hooks', 'get'), 200, h)).toEqual([]);
      keys += k.length;
      hooks += h.length;
    }
    expect(keys).toBeGreaterThan(0);
    expect(hooks).toBeGreaterThan(0);
  });

  it('GET /orgs/{org}/installation (app JWT)', async () => {
    const r = await get('/orgs/acme-corp/installation', `Bearer ${jwt}`);
    expect(r.status).toBe(200);
    expect(restProblems(operationAt('/orgs/{org}/installation', 'get'), 200, await r.json())).toEqual([]);
  });

  describe('errors', () => {
    /** Checks an error answer: status, documented (or basic-error) body, the operation's docs page. */
    const expectError = async (
      r: Response,
      template: string,
      method: string,
      status: number,
      docs: 'operation' | 'generic',
    ) => {
      expect(r.status).toBe(status);
      const body = await r.json();
      const found = operationAt(template, method);
      expect(restProblems(found, status, body)).toEqual([]);
      expect(body.status).toBe(String(status));
      expect(body.documentation_url).toBe(
        docs === 'operation' ? found.operation.externalDocs!.url : 'https://docs.github.com/rest',
      );
    };

    // Each inventory route, called with an installation token that lacks its permission
    // (permissions from "Permissions required for GitHub Apps").
    const forbidden: Array<[string, string, Record<string, string>]> = [
      ['/orgs/{org}/installations', '/orgs/acme-corp/installations', { metadata: 'read' }],
      ['/orgs/{org}/personal-access-tokens', '/orgs/acme-corp/personal-access-tokens', { metadata: 'read' }],
      [
        '/orgs/{org}/personal-access-tokens/{pat_id}/repositories',
        '/orgs/acme-corp/personal-access-tokens/81001/repositories',
        { metadata: 'read' },
      ],
      [
        '/orgs/{org}/personal-access-token-requests',
        '/orgs/acme-corp/personal-access-token-requests',
        { metadata: 'read' },
      ],
      [
        '/orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories',
        '/orgs/acme-corp/personal-access-token-requests/82001/repositories',
        { metadata: 'read' },
      ],
      [
        '/orgs/{org}/credential-authorizations',
        '/orgs/acme-corp/credential-authorizations',
        { metadata: 'read' },
      ],
      ['/orgs/{org}/repos', '/orgs/acme-corp/repos', { members: 'read' }],
      ['/repos/{owner}/{repo}/keys', '/repos/acme-corp/api/keys', { metadata: 'read' }],
      ['/repos/{owner}/{repo}/hooks', '/repos/acme-corp/web/hooks', { metadata: 'read' }],
      ['/orgs/{org}/hooks', '/orgs/acme-corp/hooks', { metadata: 'read' }],
      ['/orgs/{org}/members', '/orgs/acme-corp/members', { metadata: 'read' }],
      ['/orgs/{org}/outside_collaborators', '/orgs/acme-corp/outside_collaborators', { metadata: 'read' }],
    ];
    it.each(forbidden)('403 on GET %s without its permission', async (template, url, permissions) => {
      const minted = await mint(permissions);
      expect(minted.status).toBe(201);
      await expectError(await get(url, `token ${minted.body.token}`), template, 'get', 403, 'operation');
    });

    it.each([
      ['/repos/{owner}/{repo}/keys', '/repos/acme-corp/nope/keys'],
      ['/repos/{owner}/{repo}/hooks', '/repos/other-org/web/hooks'],
      ['/apps/{app_slug}', '/apps/no-such-app'],
      [
        '/orgs/{org}/personal-access-tokens/{pat_id}/repositories',
        '/orgs/acme-corp/personal-access-tokens/1/repositories',
      ],
      [
        '/orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories',
        '/orgs/acme-corp/personal-access-token-requests/1/repositories',
      ],
    ])('404 on GET %s for something that does not exist (%s)', async (template, url) => {
      await expectError(await get(url, auth), template, 'get', 404, 'operation');
    });

    it('422 on an invalid role for orgs/list-members, with its validation_failed body', async () => {
      await expectError(
        await get('/orgs/acme-corp/members?role=owner', auth, REFUSED),
        '/orgs/{org}/members',
        'get',
        422,
        'operation',
      );
    });

    it('404 and 422 of apps/create-installation-access-token', async () => {
      const r = await fetch(`${emu.origin}/api/v3/app/installations/71003/access_tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt}` },
      });
      await expectError(r, '/app/installations/{installation_id}/access_tokens', 'post', 404, 'operation');
      const excess = await fetch(`${emu.origin}/api/v3/app/installations/70001/access_tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({ permissions: { contents: 'write' } }),
      });
      await expectError(
        excess,
        '/app/installations/{installation_id}/access_tokens',
        'post',
        422,
        'operation',
      );
    });

    it('401 without credentials, with bad ones, and with the wrong kind', async () => {
      await expectError(await get('/orgs/acme-corp/repos'), '/orgs/{org}/repos', 'get', 401, 'operation');
      await expectError(
        await get('/orgs/acme-corp/repos', 'token ghs_unknown'),
        '/orgs/{org}/repos',
        'get',
        401,
        'generic',
      );
      await expectError(
        await get('/orgs/acme-corp/repos', `Bearer ${jwt}`, REFUSED),
        '/orgs/{org}/repos',
        'get',
        401,
        'generic',
      );
      await expectError(
        await get('/orgs/acme-corp/installation', auth, REFUSED),
        '/orgs/{org}/installation',
        'get',
        401,
        'generic',
      );
    });
  });

  describe('GraphQL', () => {
    const gql = async (query: string, variables: Record<string, unknown> = {}, authorization = auth) => {
      const r = await fetch(`${emu.origin}/api/graphql`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      expect(r.status).toBe(200);
      return (await r.json()) as { data?: unknown; errors?: Array<{ type: string; message: string }> };
    };

    // The connector's own two queries (deploy-keys.ts, outside-collaborators.ts), plus rateLimit and
    // the fields the emulator serves beyond them.
    const queries: Array<[string, string, Record<string, unknown>]> = [
      [
        'deploy key counts',
        `query DeployKeyCounts($o0: String!, $n0: String!, $o1: String!, $n1: String!) {
          r0: repository(owner: $o0, name: $n0) { nameWithOwner deployKeys(first: 1) { totalCount } }
          r1: repository(owner: $o1, name: $n1) { nameWithOwner deployKeys(first: 1) { totalCount } } }`,
        { o0: 'acme-corp', n0: 'api', o1: 'acme-corp', n1: 'repo-00001' },
      ],
      [
        'outside collaborators',
        `query OutsideCollaborators($o0: String!, $n0: String!, $a0: String) {
          r0: repository(owner: $o0, name: $n0) { nameWithOwner collaborators(affiliation: OUTSIDE, first: 100, after: $a0) {
            totalCount pageInfo { hasNextPage endCursor } edges { permission node { login databaseId } } } } }`,
        { o0: 'acme-corp', n0: 'docs', a0: null },
      ],
      [
        'every served field',
        `{ repository(owner: "acme-corp", name: "api") { id databaseId name nameWithOwner isPrivate isArchived
            deployKeys(last: 5) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
              edges { cursor node { id key readOnly title verified createdAt } } nodes { id } }
            collaborators(first: 5) { totalCount nodes { id databaseId login name url } edges { cursor permission } } }
          rateLimit { cost limit nodeCount remaining resetAt used } }`,
        {},
      ],
    ];
    it.each(queries)('%s: data typed as GitHub’s schema types it', async (_label, query, variables) => {
      const body = await gql(query, variables);
      expect(body.errors).toBeUndefined();
      expect(await graphqlProblems(query, variables, body.data)).toEqual([]);
    });

    it('NOT_FOUND and FORBIDDEN answers keep the data typed (null where GitHub nulls)', async () => {
      const minted = await mint({ metadata: 'read' });
      const query = `{ a: repository(owner: "acme-corp", name: "gone") { name }
        b: repository(owner: "acme-corp", name: "api") { name deployKeys(first: 1) { totalCount } } }`;
      const body = await gql(query, {}, `token ${minted.body.token}`);
      expect(body.errors?.map((e) => e.type).sort()).toEqual(['FORBIDDEN', 'NOT_FOUND']);
      expect(await graphqlProblems(query, {}, body.data)).toEqual([]);
    });

    it('the typed check is not a rubber stamp: it rejects a wrong enum, a null in a non-null and a string count', async () => {
      const query =
        '{ repository(owner: "o", name: "n") { collaborators(first: 1) { totalCount edges { permission } } } }';
      const good = { repository: { collaborators: { totalCount: 1, edges: [{ permission: 'READ' }] } } };
      expect(await graphqlProblems(query, {}, good)).toEqual([]);
      const bad = (edge: unknown, count: unknown = 1) => ({
        repository: { collaborators: { totalCount: count, edges: [edge] } },
      });
      expect(await graphqlProblems(query, {}, bad({ permission: 'read' }))).not.toEqual([]);
      expect(await graphqlProblems(query, {}, bad({ permission: null }))).not.toEqual([]);
      expect(await graphqlProblems(query, {}, bad({ permission: 'READ' }, '1'))).not.toEqual([]);
    });
  });

  it('the REST validator is not a rubber stamp: it rejects a missing required field and a wrong null', () => {
    const found = operationAt('/repos/{owner}/{repo}/keys', 'get');
    const good = {
      id: 1,
      key: 'ssh-ed25519 AAAA',
      url: 'https://x',
      title: 't',
      verified: true,
      created_at: '2020-01-01T00:00:00Z',
      read_only: true,
      added_by: null,
      last_used: null,
    };
    expect(restProblems(found, 200, [good])).toEqual([]);
    const { title: _t, ...missing } = good;
    expect(restProblems(found, 200, [missing])).not.toEqual([]);
    expect(restProblems(found, 200, [{ ...good, read_only: null }])).not.toEqual([]);
  });
});
