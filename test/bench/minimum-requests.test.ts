import { describe, expect, it } from 'vitest';
import { entraMinimum, githubMinimum, googleMinimum, pages } from '../../bench/minimum-requests.js';

// Tiny worlds whose minimum is worked out by hand from the vendors' page and batch limits.
describe('bench minimum requests', () => {
  it('pages: an empty list still costs one request; a full last page needs no extra one', () => {
    expect(pages(0, 100)).toBe(1);
    expect(pages(100, 100)).toBe(1);
    expect(pages(101, 100)).toBe(2);
  });

  it('GitHub: 250 repos, keys on two (one with 150), hooks on one with 120', () => {
    const m = githubMinimum({
      repos: 250,
      deployKeysPerRepo: [1, 150],
      hooksPerRepo: [120],
      members: 230,
      outsideCollaborators: 0,
      installations: 130,
      installedApps: 4,
      patGrants: 120,
      patGrantSubsetRepos: [3, 250],
      patRequests: 0,
      patRequestSubsetRepos: [],
      orgHooks: 3,
      credentialAuthorizations: 0,
    });
    // token 1; members 3; installations 2 + apps 4; PAT grants 2 + subsets 1 + 3; PAT requests 1;
    // credential authorizations 1; org hooks 1; repos 3; outside collaborators 1; GraphQL 3 (100 a query);
    // keys 1 + 2; hooks 250 + 1 extra page.
    expect(m.total).toBe(1 + 3 + 6 + 6 + 1 + 1 + 1 + 3 + 1 + 3 + 3 + 251);
    expect(m.lines.find((l) => l.read.startsWith('repository('))?.requests).toBe(3);
    expect(
      githubMinimum({ ...emptyGithub, repos: 250 }, 50).lines.find((l) => l.read.startsWith('repository('))
        ?.requests,
    ).toBe(5);
  });

  it('Entra: 2,000 SPs, resources paged and batched by 20, owners in $batch', () => {
    const m = entraMinimum({
      servicePrincipals: 2000,
      applications: 150,
      users: 3000,
      ownedServicePrincipals: 1900,
      homeApplications: 140,
      assignmentsPerResource: [1500, 10, 0],
      delegatedGrants: 999,
      consentingUsers: 45,
      signInActivities: 1200,
    });
    // token 1; SPs with a delta link: min(3 pages + latest, 10 delta pages of 200) = 4; applications 1; assignments: 3 first pages → 1 batch, 1 later page → 1 batch;
    // grants with a delta link: min(1 page + latest, 5 delta pages of 200) = 2; consenting users:
    // min(3 batches, 4 user pages) = 3; owners (1900 + 140) / 20 = 102, and a users delta link 1;
    // sign-ins 2.
    expect(m.total).toBe(1 + 4 + 1 + 2 + 2 + 3 + 102 + 1 + 2);
    // Few grants: the initial delta round (one page, with the link) is fewer than the list plus `latest`.
    const few = entraMinimum({
      servicePrincipals: 1,
      applications: 0,
      users: 0,
      ownedServicePrincipals: 0,
      homeApplications: 0,
      assignmentsPerResource: [],
      delegatedGrants: 150,
      consentingUsers: 0,
      signInActivities: 0,
    });
    expect(few.lines.find((l) => l.read.startsWith('GET /oauth2PermissionGrants'))!.requests).toBe(1);
    // One service principal: likewise, its initial delta round.
    expect(few.lines.find((l) => l.read.startsWith('GET /servicePrincipals ('))!.requests).toBe(1);
  });

  it('Google: one tokens.list per user and one keys.list per account', () => {
    const m = googleMinimum({
      users: 1200,
      apps: 30,
      tokenAuthorizeEvents: 2500,
      tokenRevokeEvents: 0,
      tokenActivityEvents: 80_000,
      delegationEvents: { authorize: 3, remove: 0 },
      projects: 2,
      serviceAccountsPerProject: [150, 4],
    });
    // tokens 2; users 3 pages; tokens.list 1200; token log 3 + 1 + min(30 apps, 80 pages) = 34;
    // admin log 1 + 1; projects 1 + IAM policies 2; service accounts 2 + 1; keys 154.
    expect(m.total).toBe(2 + 3 + 1200 + 34 + 2 + 1 + 2 + 3 + 154);
    // With fewer activity pages than apps, reading the whole log is the minimum.
    expect(googleMinimum({ ...emptyGoogle, apps: 30, tokenActivityEvents: 1500 }).lines[3]!.requests).toBe(
      1 + 1 + 2,
    );
  });
});

const emptyGithub = {
  repos: 0,
  deployKeysPerRepo: [],
  hooksPerRepo: [],
  members: 0,
  outsideCollaborators: 0,
  installations: 0,
  installedApps: 0,
  patGrants: 0,
  patGrantSubsetRepos: [],
  patRequests: 0,
  patRequestSubsetRepos: [],
  orgHooks: 0,
  credentialAuthorizations: 0,
};

const emptyGoogle = {
  users: 0,
  apps: 0,
  tokenAuthorizeEvents: 0,
  tokenRevokeEvents: 0,
  tokenActivityEvents: 0,
  delegationEvents: { authorize: 0, remove: 0 },
  projects: 0,
  serviceAccountsPerProject: [],
};
