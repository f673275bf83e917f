/**
 * The fewest requests each platform's API allows for what a grantscope scan reads (issue 12, Build 4),
 * computed from the world (what is there), never from the scanner (how it reads it). The bench compares
 * a scan's requests with this number (target: at most 1.1×).
 *
 * Each line is one API read with the largest page and batch the vendor documents:
 * - GitHub REST lists: `per_page` at most 100 (docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api).
 *   GraphQL: one query carries `aliasesPerQuery` repositories (default 100; each alias asks
 *   `deployKeys(first: 1) { totalCount }`, so a query of 100 stays at 100 nodes and 1 point of GitHub's
 *   documented cost, docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api).
 *   GraphQL's `DeployKey` has no `last_used`/`added_by`, so repositories with keys are read over REST;
 *   webhooks have no GraphQL field at all: one REST list per repository.
 * - Microsoft Graph: `$top` at most 999 for directory objects (learn.microsoft.com/graph/paging), JSON
 *   `$batch` of at most 20 requests (learn.microsoft.com/graph/json-batching). `$select` puts the app roles
 *   and delegated scopes of resource service principals on the service-principal list itself (no extra
 *   request). Owners are one batched call per principal: `$expand=owners` would return at most 20 owners
 *   (learn.microsoft.com/graph/query-parameters#expand), so it cannot show an owner list complete.
 * - Google: users.list `maxResults` at most 500, Reports activities.list at most 1000, IAM
 *   serviceAccounts.list `pageSize` at most 100 (discovery documents admin:directory_v1, admin:reports_v1,
 *   iam:v1); tokens.list and serviceAccounts.keys.list are not paged and have no domain-wide form: one call
 *   per user, one per service account; getIamPolicy is one call per project.
 * Authentication counts as the vendor requires: one installation-token request (GitHub), one client-
 * credentials token (Entra), two tokens for Google (one delegated to the admin for the Admin SDK, one of the
 * service account for the Cloud APIs).
 */

export interface MinimumLine {
  /** What is read, e.g. `GET /orgs/{org}/repos`. */
  read: string;
  requests: number;
}

export interface Minimum {
  total: number;
  lines: MinimumLine[];
}

/** Pages of `pageSize` for `items` (an empty list still costs the one request that says so). */
export const pages = (items: number, pageSize: number): number => Math.max(1, Math.ceil(items / pageSize));

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function minimum(lines: MinimumLine[]): Minimum {
  return { total: sum(lines.map((l) => l.requests)), lines };
}

export const GITHUB_PAGE = 100;
export const GRAPH_PAGE = 999;
export const GRAPH_BATCH = 20;
/**
 * Objects per page of a delta round: the delta functions document no `$top`, so the page size is the
 * service's (the emulator's DELTA_PAGE_SIZE).
 */
export const GRAPH_DELTA_PAGE = 200;

export interface GithubInventory {
  repos: number;
  /** Deploy keys of each repository that has any. */
  deployKeysPerRepo: readonly number[];
  /** Webhooks of each repository that has any (a repository without still costs its one list request). */
  hooksPerRepo: readonly number[];
  members: number;
  outsideCollaborators: number;
  installations: number;
  /** Distinct apps behind the installations (`GET /apps/{slug}`: the owner is not on the installation). */
  installedApps: number;
  patGrants: number;
  /** Repositories of each grant whose selection is `subset`. */
  patGrantSubsetRepos: readonly number[];
  patRequests: number;
  patRequestSubsetRepos: readonly number[];
  orgHooks: number;
  /** SAML SSO credential authorizations; the first page is read even when there are none. */
  credentialAuthorizations: number;
}

export function githubMinimum(w: GithubInventory, aliasesPerQuery = 100): Minimum {
  const subset = (xs: readonly number[]) => sum(xs.map((n) => pages(n, GITHUB_PAGE)));
  return minimum([
    { read: 'POST /app/installations/{id}/access_tokens', requests: 1 },
    // GraphQL membersWithRole gives each member's role on its edge: owners need no second list.
    { read: 'organization.membersWithRole (GraphQL)', requests: pages(w.members, GITHUB_PAGE) },
    { read: 'GET /orgs/{org}/installations', requests: pages(w.installations, GITHUB_PAGE) },
    { read: 'GET /apps/{app_slug}', requests: w.installedApps },
    {
      read: 'GET /orgs/{org}/personal-access-tokens (+ repositories of subset grants)',
      requests: pages(w.patGrants, GITHUB_PAGE) + subset(w.patGrantSubsetRepos),
    },
    {
      read: 'GET /orgs/{org}/personal-access-token-requests (+ repositories of subset requests)',
      requests: pages(w.patRequests, GITHUB_PAGE) + subset(w.patRequestSubsetRepos),
    },
    {
      read: 'GET /orgs/{org}/credential-authorizations',
      requests: pages(w.credentialAuthorizations, GITHUB_PAGE),
    },
    { read: 'GET /orgs/{org}/hooks', requests: pages(w.orgHooks, GITHUB_PAGE) },
    { read: 'GET /orgs/{org}/repos', requests: pages(w.repos, GITHUB_PAGE) },
    { read: 'GET /orgs/{org}/outside_collaborators', requests: pages(w.outsideCollaborators, GITHUB_PAGE) },
    {
      // One pass of aliases per repository carries deploy-key counts (and outside collaborators' access).
      read: 'repository(…) { deployKeys(first: 1) { totalCount } } (GraphQL aliases)',
      requests: w.repos === 0 ? 0 : Math.ceil(w.repos / aliasesPerQuery),
    },
    {
      read: 'GET /repos/{owner}/{repo}/keys (repositories with keys)',
      requests: subset(w.deployKeysPerRepo),
    },
    {
      read: 'GET /repos/{owner}/{repo}/hooks (every repository)',
      requests: w.repos + sum(w.hooksPerRepo.map((n) => pages(n, GITHUB_PAGE) - 1)),
    },
  ]);
}

export interface EntraInventory {
  servicePrincipals: number;
  applications: number;
  users: number;
  /** Service principals held to ownership (all but Microsoft's first-party ones). */
  ownedServicePrincipals: number;
  /** App registrations with a service principal in the tenant (their owners count too). */
  homeApplications: number;
  /** Assignments of each service principal that exposes application roles. */
  assignmentsPerResource: readonly number[];
  delegatedGrants: number;
  /** Distinct users behind per-user (`Principal`) consents. */
  consentingUsers: number;
  /** Rows of the service-principal sign-in activity report. */
  signInActivities: number;
}

export function entraMinimum(w: EntraInventory): Minimum {
  const batches = (n: number) => Math.ceil(n / GRAPH_BATCH);
  const firstPages = w.assignmentsPerResource.length;
  const laterPages = sum(w.assignmentsPerResource.map((n) => pages(n, GRAPH_PAGE) - 1));
  return minimum([
    { read: 'POST /{tenant}/oauth2/v2.0/token', requests: 1 },
    {
      // As the grants: incremental rescans need a delta link, from `$deltatoken=latest` with the list
      // or from the initial delta round, whichever is fewer.
      read: 'GET /servicePrincipals ($select incl. appRoles, oauth2PermissionScopes) + a delta link for the next scan',
      requests: Math.min(
        pages(w.servicePrincipals, GRAPH_PAGE) + 1,
        pages(w.servicePrincipals, GRAPH_DELTA_PAGE),
      ),
    },
    { read: 'GET /applications', requests: pages(w.applications, GRAPH_PAGE) },
    {
      read: 'GET /servicePrincipals/{id}/appRoleAssignedTo (resources, in $batch; later pages too)',
      requests: batches(firstPages) + batches(laterPages),
    },
    {
      // Incremental rescans need a delta link: the list plus `$deltatoken=latest`, or the initial delta
      // round, which returns every grant and the link, whichever is fewer.
      read: 'GET /oauth2PermissionGrants + a delta link for the next scan',
      requests: Math.min(
        pages(w.delegatedGrants, GRAPH_PAGE) + 1,
        pages(w.delegatedGrants, GRAPH_DELTA_PAGE),
      ),
    },
    {
      read: 'users behind per-user consents ($batch of GET /users/{id}, or the user list if fewer)',
      requests:
        w.consentingUsers === 0 ? 0 : Math.min(batches(w.consentingUsers), pages(w.users, GRAPH_PAGE)),
    },
    {
      read: 'GET /servicePrincipals/{id}/owners + /applications/{id}/owners (in $batch)',
      requests: batches(w.ownedServicePrincipals + w.homeApplications),
    },
    {
      // Owner status changes on the next scan come from users/delta: a link from `$deltatoken=latest`.
      read: 'GET /users/delta?$deltatoken=latest (a delta link for the next scan)',
      requests: w.ownedServicePrincipals + w.homeApplications > 0 ? 1 : 0,
    },
    {
      read: 'GET /beta/reports/servicePrincipalSignInActivities',
      requests: pages(w.signInActivities, GRAPH_PAGE),
    },
  ]);
}

export const GOOGLE_USERS_PAGE = 500;
export const GOOGLE_REPORTS_PAGE = 1000;
export const GOOGLE_IAM_PAGE = 100;
/** projects.search documents no maximum page size; the emulator's and the connector's is 100. */
export const GOOGLE_PROJECTS_PAGE = 100;

export interface GoogleInventory {
  users: number;
  /** Distinct third-party OAuth clients over every user's tokens. */
  apps: number;
  /** Reports `token` log in the window, by event name. */
  tokenAuthorizeEvents: number;
  tokenRevokeEvents: number;
  tokenActivityEvents: number;
  /**
   * The fewest requests that give each app's last use (see world-inventory.ts); when absent, the fewer
   * of one lookup per app and the whole activity log.
   */
  lastUseRequests?: number;
  /** Reports `admin` log: domain-wide delegation authorize / remove events. */
  delegationEvents: { authorize: number; remove: number };
  projects: number;
  serviceAccountsPerProject: readonly number[];
}

export function googleMinimum(w: GoogleInventory): Minimum {
  const accounts = sum(w.serviceAccountsPerProject);
  // Last use of each app: one filtered lookup per app, or the whole activity log, whichever is fewer.
  const lastUse = w.lastUseRequests ?? Math.min(w.apps, pages(w.tokenActivityEvents, GOOGLE_REPORTS_PAGE));
  return minimum([
    { read: 'POST /token (delegated admin + service account)', requests: 2 },
    { read: 'GET /admin/directory/v1/users', requests: pages(w.users, GOOGLE_USERS_PAGE) },
    { read: 'GET /admin/directory/v1/users/{userKey}/tokens (every user)', requests: w.users },
    {
      read: 'Reports token log: authorize + revoke events, last use per app',
      requests:
        pages(w.tokenAuthorizeEvents, GOOGLE_REPORTS_PAGE) +
        pages(w.tokenRevokeEvents, GOOGLE_REPORTS_PAGE) +
        (w.apps === 0 ? 0 : lastUse),
    },
    {
      read: 'Reports admin log: delegation authorize + remove events',
      requests:
        pages(w.delegationEvents.authorize, GOOGLE_REPORTS_PAGE) +
        pages(w.delegationEvents.remove, GOOGLE_REPORTS_PAGE),
    },
    { read: 'GET /v3/projects:search', requests: pages(w.projects, GOOGLE_PROJECTS_PAGE) },
    { read: 'POST /v3/projects/{project}:getIamPolicy', requests: w.projects },
    {
      read: 'GET /v1/projects/{project}/serviceAccounts',
      requests: sum(w.serviceAccountsPerProject.map((n) => pages(n, GOOGLE_IAM_PAGE))),
    },
    { read: 'GET /v1/…/serviceAccounts/{account}/keys (every account)', requests: accounts },
  ]);
}
