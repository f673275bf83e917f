import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../../src/emulator/journal.js';
import { checkGithubRequest } from './github.js';

/**
 * The GitHub request check on requests the connector sends and on requests GitHub refuses: each
 * refused one must be named, or the check would pass anything.
 */
const rest = (over: Partial<RecordedRequest>): RecordedRequest => ({
  platform: 'github',
  service: 'github',
  method: 'GET',
  path: '/api/v3/orgs/acme/installations',
  pattern: '/api/v3/orgs/{org}/installations',
  query: [['per_page', '100']],
  headers: { authorization: 'token <opaque:ghs>', 'x-github-api-version': '2022-11-28' },
  body: null,
  status: 200,
  ...over,
});
const graphql = (query: string, variables: Record<string, unknown> = {}, auth = 'token <opaque:ghs>') =>
  rest({
    method: 'POST',
    path: '/api/graphql',
    pattern: '/api/graphql',
    query: [],
    headers: { authorization: auth },
    body: { query, variables },
  });

describe('GitHub request conformance', () => {
  it.each([
    ['an org listing', rest({})],
    [
      'members by role',
      rest({
        path: '/api/v3/orgs/acme/members',
        query: [
          ['role', 'admin'],
          ['per_page', '100'],
          ['page', '2'],
        ],
      }),
    ],
    [
      'repositories of every type',
      rest({
        path: '/api/v3/orgs/acme/repos',
        query: [
          ['type', 'all'],
          ['per_page', '100'],
        ],
      }),
    ],
    [
      'PAT grants filtered by owner[]',
      rest({
        path: '/api/v3/orgs/acme/personal-access-tokens',
        query: [
          ['owner[]', 'a'],
          ['owner[]', 'b'],
        ],
      }),
    ],
    ['credential authorizations (GHEC only)', rest({ path: '/api/v3/orgs/acme/credential-authorizations' })],
    [
      'the org installation with the JWT',
      rest({ path: '/api/v3/orgs/acme/installation', query: [], headers: { authorization: 'Bearer <jwt>' } }),
    ],
    [
      'a token scoped down',
      rest({
        method: 'POST',
        path: '/api/v3/app/installations/7/access_tokens',
        query: [],
        headers: { authorization: 'Bearer <jwt>' },
        body: { permissions: { metadata: 'read' } },
      }),
    ],
    [
      'a GraphQL batch',
      graphql(
        'query($o: String!, $n: String!) { r0: repository(owner: $o, name: $n) { deployKeys(first: 1) { totalCount } } }',
        { o: 'a', n: 'b' },
      ),
    ],
  ])('allows %s', (_label, request) => {
    expect(checkGithubRequest(request)).toEqual([]);
  });

  it.each([
    ['per_page above 100', rest({ query: [['per_page', '101']] }), /per_page="101".*<= 100/],
    ['per_page not a number', rest({ query: [['per_page', 'all']] }), /per_page="all".*integer/],
    ['an undeclared query parameter', rest({ query: [['since', '2020']] }), /'since' is not declared/],
    [
      'a value outside the enum',
      rest({ path: '/api/v3/orgs/acme/members', query: [['role', 'owner']] }),
      /role="owner".*allowed values/,
    ],
    [
      'a path GitHub does not have',
      rest({ path: '/api/v3/orgs/acme/installations/5/repositories' }),
      /no operation GET/,
    ],
    ['a method GitHub does not have there', rest({ method: 'DELETE' }), /no operation DELETE/],
    [
      'a non-integer path id',
      rest({ path: '/api/v3/orgs/acme/personal-access-tokens/abc/repositories', query: [] }),
      /pat_id="abc"/,
    ],
    [
      'the JWT on an installation endpoint',
      rest({ headers: { authorization: 'Bearer <jwt>' } }),
      /sends the app's JWT/,
    ],
    [
      'an installation token on a JWT endpoint',
      rest({ path: '/api/v3/orgs/acme/installation', query: [] }),
      /You must use a JWT/,
    ],
    [
      'a user token on an App-only endpoint',
      rest({
        path: '/api/v3/orgs/acme/personal-access-tokens',
        headers: { authorization: 'token <opaque:ghp>' },
      }),
      /Only GitHub Apps/,
    ],
    [
      'a body that does not fit requestBody',
      rest({
        method: 'POST',
        path: '/api/v3/app/installations/7/access_tokens',
        query: [],
        headers: { authorization: 'Bearer <jwt>' },
        body: { permissions: { metadata: 'everything' } },
      }),
      /does not fit the requestBody schema/,
    ],
    ['a body on a GET', rest({ body: { x: 1 } }), /takes none/],
    [
      'an API version GitHub does not serve',
      rest({ headers: { authorization: 'token <opaque:ghs>', 'x-github-api-version': '2021-01-01' } }),
      /not a version GitHub serves/,
    ],
    [
      'a GraphQL field GitHub does not have',
      graphql('{ repository(owner: "a", name: "b") { deployKeys(first: 1) { nodes { enabled } } } }'),
      /Cannot query field "enabled"/,
    ],
    [
      'a GraphQL connection without first/last',
      graphql('{ repository(owner: "a", name: "b") { deployKeys { totalCount } } }'),
      /MISSING_PAGINATION_BOUNDARIES/,
    ],
    [
      'first above 100',
      graphql('{ repository(owner: "a", name: "b") { deployKeys(first: 500) { totalCount } } }'),
      /EXCESSIVE_PAGINATION: Requesting 500 records/,
    ],
    [
      'first below 1',
      graphql('{ repository(owner: "a", name: "b") { deployKeys(first: 0) { totalCount } } }'),
      /asks for 0 records/,
    ],
    [
      'first above 100 through a variable',
      graphql(
        'query($n: Int) { repository(owner: "a", name: "b") { deployKeys(first: $n) { totalCount } } }',
        { n: 101 },
      ),
      /EXCESSIVE_PAGINATION/,
    ],
    [
      'more than 500,000 nodes',
      graphql(
        '{ viewer { repositories(first: 100) { nodes { issues(first: 100) { nodes { labels(first: 100) { totalCount } } } } } } }',
      ),
      /MAX_NODE_LIMIT_EXCEEDED: This query requests up to 1,010,100 possible nodes/,
    ],
    [
      'a variable of the wrong type',
      graphql('query($o: String!) { repository(owner: $o, name: "b") { id } }', { o: 5 }),
      /\$o=5/,
    ],
    [
      'a missing required variable',
      graphql('query($o: String!) { repository(owner: $o, name: "b") { id } }', {}),
      /\$o \(String!\) not provided/,
    ],
    [
      'GraphQL with the app JWT',
      graphql('{ rateLimit { cost } }', {}, 'Bearer <jwt>'),
      /authenticate as an app/,
    ],
  ])('refuses %s', (_label, request, problem) => {
    expect(checkGithubRequest(request).join('\n')).toMatch(problem);
  });
});
