import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { queryLimits } from './graphql-limits.js';
import { githubGraphqlSchema } from './graphql-schema.js';

/**
 * The node and cost computation against the worked examples GitHub publishes on
 * docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api.
 */
const limits = (query: string, variables?: Record<string, unknown>) =>
  queryLimits(githubGraphqlSchema(), parse(query), variables);

describe('GitHub GraphQL limits, as GitHub documents them', () => {
  it('counts 550 nodes for the page’s simple query', () => {
    const q = `query { viewer { repositories(first: 50) { edges { repository: node { name
      issues(first: 10) { totalCount edges { node { title bodyHTML } } } } } } } }`;
    expect(limits(q)).toMatchObject({ nodes: 550, issues: [] });
  });

  it('counts 22,060 nodes for the page’s complex query', () => {
    const q = `query { viewer {
      repositories(first: 50) { edges { repository: node { name
        pullRequests(first: 20) { edges { pullRequest: node { title
          comments(first: 10) { edges { comment: node { bodyHTML } } } } } }
        issues(first: 20) { totalCount edges { issue: node { title bodyHTML
          comments(first: 10) { edges { comment: node { bodyHTML } } } } } } } } }
      followers(first: 10) { edges { follower: node { login } } } } }`;
    expect(limits(q).nodes).toBe(22_060);
  });

  it('scores the page’s rate-limit example at 51 points (5,101 requests / 100)', () => {
    const q = `query { viewer { login repositories(first: 100) { edges { node { id
      issues(first: 50) { edges { node { id labels(first: 60) { edges { node { id name } } } } } } } } } } }`;
    expect(limits(q)).toMatchObject({ requests: 5_101, cost: 51 });
  });

  it('reads first/last from variables and fragments', () => {
    const q = `query($n: Int!) { viewer { ...R } }
      fragment R on User { repositories(last: $n) { nodes { issues(first: 2) { totalCount } } } }`;
    expect(limits(q, { n: 30 })).toMatchObject({ nodes: 30 + 30 * 2, issues: [] });
  });

  it('names every connection without first/last and each one above 100', () => {
    const q = `{ viewer { repositories { totalCount } followers(first: 101) { totalCount } } }`;
    expect(limits(q).issues.map((i) => [i.type, i.path.join('.')])).toEqual([
      ['MISSING_PAGINATION_BOUNDARIES', 'viewer.repositories'],
      ['EXCESSIVE_PAGINATION', 'viewer.followers'],
    ]);
  });

  it('refuses a call over 500,000 nodes and not one at the limit', () => {
    // 100 + 100×100 + 100×100×49 = 500,100; with 48 innermost: 490,100.
    const q = (n: number) =>
      `{ viewer { repositories(first: 100) { nodes { collaborators(first: 100) { nodes {
        followers(first: ${n}) { totalCount } } } } } } }`;
    expect(limits(q(49)).issues.map((i) => i.type)).toEqual(['MAX_NODE_LIMIT_EXCEEDED']);
    expect(limits(q(48))).toMatchObject({ nodes: 490_100, issues: [] });
  });
});
