import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { scanTenant } from '../../src/connector/runner.js';
import type { ModelRecordInput } from '../../src/model/record.js';
import { graphqlDataProblems } from '../../test/conformance/github-graphql.js';
import { type PublishedExample, publishedExample } from '../../test/conformance/github-openapi.js';
import { createTestContext } from '../../test/support/connector-context.js';
import type { GithubClient } from './client.js';
import { GithubConfig } from './config.js';
import github from './index.js';
import { RateBudget } from './rate-budget.js';
import type { GithubSession } from './session.js';

/**
 * Contract tests: the example responses GitHub publishes in its OpenAPI description (npm
 * @octokit/openapi, loaded from node_modules at test time) fed through the connector's zod schemas
 * (schema.ts) and its collectors' record builders. Provenance of every example, as GitHub ships it:
 *
 * | route                                                          | operationId                              | example (file#pointer)                                                  |
 * | -------------------------------------------------------------- | ---------------------------------------- | ----------------------------------------------------------------------- |
 * | GET /orgs/{org}/members                                        | orgs/list-members                        | api.github.com.json#/components/examples/simple-user-items              |
 * | GET /orgs/{org}/installations                                  | orgs/list-app-installations              | api.github.com.json#/components/examples/installation-paginated         |
 * | GET /apps/{app_slug}                                           | apps/get-by-slug                         | api.github.com.json#/components/examples/integration                    |
 * | GET /orgs/{org}/personal-access-tokens                         | orgs/list-pat-grants                     | api.github.com.json#/components/examples/org-pat-grant-paginated        |
 * | GET /orgs/{org}/personal-access-tokens/{pat_id}/repositories   | orgs/list-pat-grant-repositories         | api.github.com.json#/components/examples/minimal-repository-items       |
 * | GET /orgs/{org}/personal-access-token-requests                 | orgs/list-pat-grant-requests             | api.github.com.json#/components/examples/org-pat-grant-request-paginated|
 * | GET /orgs/{org}/personal-access-token-requests/{id}/repositories | orgs/list-pat-grant-request-repositories | api.github.com.json#/components/examples/minimal-repository-items     |
 * | GET /orgs/{org}/credential-authorizations                      | orgs/list-saml-sso-authorizations        | ghec.json#/components/examples/credential-authorization-items           |
 * | GET /orgs/{org}/hooks                                          | orgs/list-webhooks                       | api.github.com.json#/components/examples/org-hook-items                 |
 * | GET /orgs/{org}/repos                                          | repos/list-for-org                       | api.github.com.json#/components/examples/minimal-repository-items       |
 * | GET /repos/{owner}/{repo}/keys                                 | repos/list-deploy-keys                   | api.github.com.json#/components/examples/deploy-key-items               |
 * | GET /orgs/{org}/outside_collaborators                          | orgs/list-outside-collaborators          | api.github.com.json#/components/examples/simple-user-items              |
 * | GET /repos/{owner}/{repo}/hooks                                | repos/list-webhooks                      | api.github.com.json#/components/examples/hook-items                     |
 *
 * GitHub publishes no GraphQL response examples: the two GraphQL answers below are built from the
 * REST examples (the example repository has one deploy key; the example outside collaborator is
 * octocat) and checked against GitHub's GraphQL schema before the connector sees them.
 */
const ROUTES: Record<string, [template: string, method: string]> = {
  'GET /orgs/{org}/members': ['/orgs/{org}/members', 'get'],
  'GET /orgs/{org}/installations': ['/orgs/{org}/installations', 'get'],
  'GET /apps/{app_slug}': ['/apps/{app_slug}', 'get'],
  'GET /orgs/{org}/personal-access-tokens': ['/orgs/{org}/personal-access-tokens', 'get'],
  'GET /orgs/{org}/personal-access-tokens/{pat_id}/repositories': [
    '/orgs/{org}/personal-access-tokens/{pat_id}/repositories',
    'get',
  ],
  'GET /orgs/{org}/personal-access-token-requests': ['/orgs/{org}/personal-access-token-requests', 'get'],
  'GET /orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories': [
    '/orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories',
    'get',
  ],
  'GET /orgs/{org}/credential-authorizations': ['/orgs/{org}/credential-authorizations', 'get'],
  'GET /orgs/{org}/hooks': ['/orgs/{org}/hooks', 'get'],
  'GET /orgs/{org}/repos': ['/orgs/{org}/repos', 'get'],
  'GET /repos/{owner}/{repo}/keys': ['/repos/{owner}/{repo}/keys', 'get'],
  'GET /orgs/{org}/outside_collaborators': ['/orgs/{org}/outside_collaborators', 'get'],
  'GET /repos/{owner}/{repo}/hooks': ['/repos/{owner}/{repo}/hooks', 'get'],
};

interface Served {
  route: string;
  example: PublishedExample;
}

/** A GithubClient that answers every route with GitHub's published example, through the given zod schema. */
function exampleClient(served: Served[], graphqlChecks: Array<Promise<unknown[]>>): GithubClient {
  const exampleFor = (route: string) => {
    const at = ROUTES[route];
    if (!at) throw new Error(`no published example wired for ${route}`);
    const example = publishedExample(...at);
    served.push({ route, example });
    return example;
  };
  return {
    octokit: undefined as never,
    budget: new RateBudget({
      reserve: 0,
      maxWaitMs: 0,
      windowMs: 3_600_000,
      now: () => new Date(),
      sleep: async () => {},
    }),
    auth: 'app',
    async *list<T>(route: string, _params: Record<string, unknown>, item: z.ZodType<T>) {
      const { value } = exampleFor(route);
      // Octokit's paginate unwraps `{total_count, installations}` the same way.
      const items = Array.isArray(value) ? value : (value as { installations: unknown[] }).installations;
      yield* item.array().parse(items);
    },
    async get<T>(route: string, _params: Record<string, unknown>, schema: z.ZodType<T>) {
      return schema.parse(exampleFor(route).value);
    },
    async graphql<T>(query: string, variables: Record<string, unknown>, schema: z.ZodType<T>) {
      const data: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(variables)) {
        const m = /^n(\d+)$/.exec(name);
        if (!m) continue;
        const nameWithOwner = `${variables[`o${m[1]}`]}/${value}`;
        data[`r${m[1]}`] = query.includes('deployKeys')
          ? { nameWithOwner, deployKeys: { totalCount: 1 } }
          : {
              nameWithOwner,
              collaborators: {
                totalCount: 1,
                pageInfo: { hasNextPage: false, endCursor: 'Y3Vyc29yOjA=' },
                edges: [{ permission: 'WRITE', node: { login: 'octocat', databaseId: 1 } }],
              },
            };
      }
      graphqlChecks.push(graphqlDataProblems(query, variables, data));
      return { data: schema.parse(data), errors: [] };
    },
  };
}

describe('GitHub connector on the example responses GitHub publishes', async () => {
  const config = GithubConfig.parse({
    org: 'octo-org',
    app: { id: 999999, privateKeyFile: 'unused.pem' },
    appOwners: { 'github-actions': ['octocat'] },
  });
  const ctx = await createTestContext({
    connector: github,
    tenant: config.org,
    now: new Date('2023-06-01T00:00:00Z'),
  });
  const served: Served[] = [];
  const graphqlChecks: Array<Promise<unknown[]>> = [];
  const session: GithubSession = {
    config,
    client: exampleClient(served, graphqlChecks),
    tenant: { id: config.org, name: config.org },
    web: 'https://github.com',
  };
  // The connector's collectors, run by the engine's runner on a session that answers with the examples.
  const records: ModelRecordInput[] = [];
  for await (const r of scanTenant({ ...github, connect: async () => session }, config, ctx)) records.push(r);
  const identity = (kind: string, nativeId: string) =>
    records.find((r) => r.type === 'identity' && r.kind === kind && r.nativeId === nativeId) as
      | (ModelRecordInput & Record<string, unknown>)
      | undefined;
  const grantsOf = (kind: string, nativeId: string) =>
    records.filter(
      (r) => r.type === 'grant' && r.identity.kind === kind && r.identity.nativeId === nativeId,
    ) as Array<ModelRecordInput & Record<string, unknown>>;

  it('reads every route the connector calls from GitHub’s published example, and GraphQL typed as GitHub types it', async () => {
    // Both PAT examples select `all` repositories, so their repository lists are rightly not read.
    const subsetOnly = [
      'GET /orgs/{org}/personal-access-tokens/{pat_id}/repositories',
      'GET /orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories',
    ];
    expect(new Set(served.map((s) => s.route))).toEqual(
      new Set(Object.keys(ROUTES).filter((r) => !subsetOnly.includes(r))),
    );
    for (const s of served)
      expect(s.example.source).toMatch(/^(api\.github\.com|ghec)\.json#\/components\/examples\//);
    expect(await Promise.all(graphqlChecks)).toEqual(graphqlChecks.map(() => []));
  });

  it('builds the installation of installation-paginated, owner-judged and with one grant per permission', () => {
    const inst = identity('github-app-installation', '25381');
    expect(inst).toMatchObject({
      // The example app (integration: "Octocat App", owner octocat) stands in for every slug.
      displayName: 'Octocat App',
      // app_slug github-actions is one of GitHub's own apps.
      origin: 'platform',
      createdAt: '2017-05-16T15:47:09Z',
      enabled: true,
      owners: [{ id: 'octocat', type: 'user', active: true }],
      attributes: { appId: 2218, appSlug: 'github-actions', repositorySelection: 'selected' },
    });
    expect(
      grantsOf('github-app-installation', '25381').map((g) => [
        (g.permission as { id: string }).id,
        (g.permission as { nativeLevel: string }).nativeLevel,
        (g.target as { breadth: string }).breadth,
      ]),
    ).toEqual([
      ['deployments', 'write', 'selected'],
      ['metadata', 'read', 'selected'],
      ['pull_requests', 'read', 'selected'],
      ['statuses', 'read', 'selected'],
    ]);
  });

  it('builds the fine-grained PAT of org-pat-grant-paginated and the request of org-pat-grant-request-paginated', () => {
    expect(identity('fine-grained-pat', '25381')).toMatchObject({
      displayName: 'Some Token',
      owners: [{ id: 'octocat', active: true }],
      // token_last_used_at: null is "never used", not "unknown".
      lastUsed: { at: null, source: 'github:token_last_used_at' },
      attributes: { tokenExpired: false },
    });
    expect(
      grantsOf('fine-grained-pat', '25381')
        .map((g) => (g.permission as { id: string }).id)
        .sort(),
    ).toEqual(['members', 'metadata']);
    expect(identity('fine-grained-pat-request', '25381')).toMatchObject({
      displayName: 'Some Token',
      enabled: false,
      attributes: {
        status: 'pending',
        reason: 'I need to access the GitHub API',
        repositorySelection: 'all',
      },
    });
  });

  it('builds the credentials of credential-authorization-items, keeping no token suffix', () => {
    const classic = identity('sso-credential', '161195');
    expect(classic).toMatchObject({
      origin: 'internal',
      attributes: { credentialType: 'personal access token', scopes: ['user', 'repo'] },
    });
    expect(identity('sso-credential', '161197')).toMatchObject({ origin: 'third-party' });
    expect(identity('sso-credential', '161199')).toMatchObject({
      attributes: { credentialType: 'SSH key', fingerprint: 'jklmnop12345678' },
    });
    expect(JSON.stringify(records)).not.toMatch(/71c3fc11|Ae178B4a|9f2c4d1e|3b7a0c52/);
    // hubot is not in simple-user-items: not a member, so its credentials' owner is inactive.
    expect(identity('sso-credential', '161196')).toMatchObject({ owners: [{ id: 'hubot', active: false }] });
  });

  it('builds the deploy key of deploy-key-items on the repository of minimal-repository-items', () => {
    expect(identity('deploy-key', 'octocat/Hello-World#1')).toMatchObject({
      displayName: 'octocat@octomac',
      lastUsed: { at: '2022-01-10T15:53:42Z' },
      attributes: { readOnly: true, addedBy: 'octocat' },
    });
  });

  it('builds the webhooks of org-hook-items and hook-items by target host only', () => {
    expect(identity('webhook', 'octo-org#1')).toMatchObject({
      attributes: { targetHost: 'example.com', scheme: 'http' },
    });
    expect(identity('webhook', 'octocat/Hello-World#12345678')).toMatchObject({
      attributes: { targetHost: 'example.com', scheme: 'https', insecureSsl: false, lastResponseCode: null },
    });
    expect(JSON.stringify(records)).not.toContain('https://example.com/webhook');
  });

  it('builds the outside collaborator of simple-user-items with its write role', () => {
    expect(identity('outside-collaborator', 'octocat')).toMatchObject({
      attributes: { listedAsOutsideCollaborator: true },
    });
    expect(
      grantsOf('outside-collaborator', 'octocat').map(
        (g) => (g.permission as { nativeLevel: string }).nativeLevel,
      ),
    ).toEqual(['write']);
  });
});
