import type { EmuRequest, EmuResponse, Route } from '../router.js';
import {
  conditional,
  error,
  type GuardDeps,
  guard,
  paginate,
  REST_DOCS,
  type Requirement,
  restRouteFaults,
} from './api.js';
import { AUDIT_LOG_DOCS, auditLogPage } from './audit-log.js';
import { hasPermission } from './auth.js';
import {
  appShape,
  credentialAuthorizationShape,
  deployKeyShape,
  installationShape,
  orgHookShape,
  patGrantShape,
  patRequestShape,
  repoHookShape,
  repoShape,
  simpleUser,
  urlsOf,
} from './shapes.js';
import { type GithubState, iterate, listing } from './state.js';
import type { Level, Permissions, Repo } from './world.js';

const API = '/api/v3';

type Ok = Extract<ReturnType<typeof guard>, { ok: true }>;

/** Each operation's reference page (`externalDocs.url` in GitHub's OpenAPI description). */
const DOCS = {
  getOrgInstallation:
    'https://docs.github.com/rest/apps/apps#get-an-organization-installation-for-the-authenticated-app',
  createInstallationToken:
    'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app',
  listAppInstallations: 'https://docs.github.com/rest/orgs/orgs#list-app-installations-for-an-organization',
  getApp: 'https://docs.github.com/rest/apps/apps#get-an-app',
  listPatGrants:
    'https://docs.github.com/rest/orgs/personal-access-tokens#list-fine-grained-personal-access-tokens-with-access-to-organization-resources',
  listPatGrantRepositories:
    'https://docs.github.com/rest/orgs/personal-access-tokens#list-repositories-a-fine-grained-personal-access-token-has-access-to',
  listPatRequests:
    'https://docs.github.com/rest/orgs/personal-access-tokens#list-requests-to-access-organization-resources-with-fine-grained-personal-access-tokens',
  listPatRequestRepositories:
    'https://docs.github.com/rest/orgs/personal-access-tokens#list-repositories-requested-to-be-accessed-by-a-fine-grained-personal-access-token',
  listSamlAuthorizations:
    'https://docs.github.com/enterprise-cloud@latest/rest/orgs/orgs#list-saml-sso-authorizations-for-an-organization',
  listOrgRepos: 'https://docs.github.com/rest/repos/repos#list-organization-repositories',
  listDeployKeys: 'https://docs.github.com/rest/deploy-keys/deploy-keys#list-deploy-keys',
  listRepoHooks: 'https://docs.github.com/rest/repos/webhooks#list-repository-webhooks',
  listOrgHooks: 'https://docs.github.com/rest/orgs/webhooks#list-organization-webhooks',
  listMembers: 'https://docs.github.com/rest/orgs/members#list-organization-members',
  listOutsideCollaborators:
    'https://docs.github.com/rest/orgs/outside-collaborators#list-outside-collaborators-for-an-organization',
} as const;

/**
 * GitHub's REST routes for the inventory the scanner needs, under `/api/v3` (GHES layout). Each
 * names its OpenAPI operationId; the installation permission each needs is GitHub's own, from
 * "Permissions required for GitHub Apps" (github/docs src/github-apps/data/ghec-2022-11-28/
 * server-to-server-permissions.json), and the classic scopes from each operation's description.
 */
export function restRoutes(deps: GuardDeps): Route[] {
  const route = (
    method: string,
    path: string,
    need: Requirement,
    handler: (req: EmuRequest, g: Ok) => EmuResponse,
    /** The operation lists (and pages) a collection. */
    paged = false,
  ): Route => ({
    service: 'github',
    method,
    pattern: `${API}${path}`,
    handler: (req) => {
      const g = guard(req, need, deps);
      if (!g.ok) return g.response;
      const resp = handler(req, g);
      return conditional(
        req,
        { ...resp, headers: { ...g.headers, ...resp.headers } },
        g,
        need.resource ?? 'core',
        need.cost ?? 1,
      );
    },
    faults: restRouteFaults(need, paged),
  });
  const notFound = (docs: string) => error(404, 'Not Found', {}, docs);

  const sameOrg = (s: GithubState, org: string | undefined) =>
    org?.toLowerCase() === s.org.login.toLowerCase();
  const findRepo = (s: GithubState, owner: string | undefined, name: string | undefined): Repo | undefined =>
    sameOrg(s, owner) && name ? s.repoByName(name) : undefined;
  const list = <T>(
    req: EmuRequest,
    items: Parameters<typeof paginate<T, unknown>>[1],
    shape: (t: T) => unknown,
  ) => {
    const page = paginate(req, items, shape);
    return { status: 200, headers: page.headers, body: page.items };
  };
  // Every org-scoped operation served lists a collection.
  const orgScoped = (
    path: string,
    need: Requirement,
    handler: (req: EmuRequest, g: Ok) => EmuResponse,
  ): Route =>
    route(
      'GET',
      path,
      need,
      (req, g) => (sameOrg(g.state, req.params.org) ? handler(req, g) : notFound(need.docs ?? REST_DOCS)),
      true,
    );

  const orgRead = ['read:org', 'admin:org', 'write:org'];

  return [
    // --- GitHub App authentication (JWT only) ------------------------------------------------------
    // apps/get-org-installation
    route('GET', '/orgs/{org}/installation', { jwt: true, docs: DOCS.getOrgInstallation }, (req, g) => {
      if (!sameOrg(g.state, req.params.org)) return notFound(DOCS.getOrgInstallation);
      return {
        status: 200,
        body: installationShape(g.state.scannerInstallation, g.state, urlsOf(req.origin)),
      };
    }),
    // apps/create-installation-access-token
    route(
      'POST',
      '/app/installations/{installation_id}/access_tokens',
      { jwt: true, docs: DOCS.createInstallationToken },
      (req, g) => {
        if (Number(req.params.installation_id) !== g.state.app.installation_id)
          return notFound(DOCS.createInstallationToken);
        let permissions: Permissions = { ...g.state.app.permissions };
        if (req.body.length > 0) {
          let body: { permissions?: Permissions };
          try {
            body = JSON.parse(req.body.toString('utf8')) as { permissions?: Permissions };
          } catch {
            return error(400, 'Problems parsing JSON', {}, DOCS.createInstallationToken);
          }
          if (body.permissions) {
            for (const [name, level] of Object.entries(body.permissions)) {
              // "The installation access token cannot be granted permissions that the app was not
              // granted" (operation description); 422 is the operation's validation_failed response.
              if (!hasPermission(g.state.app.permissions, name, level as Level)) {
                return error(
                  422,
                  'The permissions requested are not granted to this installation.',
                  {},
                  DOCS.createInstallationToken,
                );
              }
            }
            permissions = body.permissions;
          }
        }
        const minted = deps.tokens.mint(g.state.app.installation_id, permissions);
        return {
          status: 201,
          body: {
            token: minted.token,
            expires_at: new Date(minted.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
            permissions,
            repository_selection: 'all',
          },
        };
      },
    ),

    // --- Inventory -------------------------------------------------------------------------------
    // orgs/list-app-installations: organization administration (read). The description asks classic
    // tokens for an `admin:read` scope, which GitHub has no such scope; the org scopes are accepted.
    orgScoped(
      '/orgs/{org}/installations',
      {
        app: ['organization_administration', 'read'],
        classic: ['admin:org', 'read:org'],
        docs: DOCS.listAppInstallations,
      },
      (req, g) => {
        const urls = urlsOf(req.origin);
        const page = paginate(req, g.state.installations, (i) => installationShape(i, g.state, urls));
        return {
          status: 200,
          headers: page.headers,
          body: { total_count: g.state.installations.length, installations: page.items },
        };
      },
    ),
    // apps/get-by-slug: works with installation tokens and needs no permission (it is in none of
    // the permission tables; public apps can even be read without authentication).
    route('GET', '/apps/{app_slug}', { docs: DOCS.getApp }, (req, g) => {
      const slug = req.params.app_slug!;
      for (const i of iterate(g.state.installations)) {
        if (i.app.slug === slug) return { status: 200, body: appShape(i, g.state, urlsOf(req.origin)) };
      }
      return notFound(DOCS.getApp);
    }),
    // orgs/list-pat-grants: organization personal access tokens (read); "Only GitHub Apps can use
    // this endpoint" (operation description), so classic tokens are refused.
    orgScoped(
      '/orgs/{org}/personal-access-tokens',
      { app: ['organization_personal_access_tokens', 'read'], classic: 'never', docs: DOCS.listPatGrants },
      (req, g) => {
        const urls = urlsOf(req.origin);
        return list(req, g.state.patGrants, (p) => patGrantShape(p, g.state, urls));
      },
    ),
    // orgs/list-pat-grant-repositories: organization personal access tokens (read).
    orgScoped(
      '/orgs/{org}/personal-access-tokens/{pat_id}/repositories',
      {
        app: ['organization_personal_access_tokens', 'read'],
        classic: 'never',
        docs: DOCS.listPatGrantRepositories,
      },
      (req, g) => {
        const grant = [...iterate(g.state.patGrants)].find((p) => p.id === Number(req.params.pat_id));
        if (!grant) return notFound(DOCS.listPatGrantRepositories);
        return repoList(req, g.state, grant.repository_selection === 'subset' ? grant.repositories : []);
      },
    ),
    // orgs/list-pat-grant-requests: organization personal access token requests (read), GitHub Apps only.
    orgScoped(
      '/orgs/{org}/personal-access-token-requests',
      {
        app: ['organization_personal_access_token_requests', 'read'],
        classic: 'never',
        docs: DOCS.listPatRequests,
      },
      (req, g) => {
        const urls = urlsOf(req.origin);
        return list(req, g.state.patRequests, (p) => patRequestShape(p, g.state, urls));
      },
    ),
    // orgs/list-pat-grant-request-repositories: organization personal access token requests (read).
    orgScoped(
      '/orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories',
      {
        app: ['organization_personal_access_token_requests', 'read'],
        classic: 'never',
        docs: DOCS.listPatRequestRepositories,
      },
      (req, g) => {
        const request = [...iterate(g.state.patRequests)].find(
          (p) => p.id === Number(req.params.pat_request_id),
        );
        if (!request) return notFound(DOCS.listPatRequestRepositories);
        return repoList(req, g.state, request.repository_selection === 'subset' ? request.repositories : []);
      },
    ),
    // orgs/list-saml-sso-authorizations (GHEC only, `githubCloudOnly`): organization administration
    // (read), listed as list-saml-sso-authorizations-for-an-organization under "Administration" in
    // the GHEC permission table; classic tokens need `read:org` (operation description).
    orgScoped(
      '/orgs/{org}/credential-authorizations',
      { app: ['organization_administration', 'read'], classic: orgRead, docs: DOCS.listSamlAuthorizations },
      (req, g) => {
        // Only organisations on GitHub Enterprise Cloud with SAML SSO have this endpoint.
        if (!g.state.org.saml) return notFound(DOCS.listSamlAuthorizations);
        const page = list(req, g.state.credentialAuthorizations, credentialAuthorizationShape);
        // The 200 response declares no Link header (ghec.json); see `quirks` in world.ts.
        return g.state.quirks.credential_authorizations_without_link ? { ...page, headers: {} } : page;
      },
    ),
    // orgs/get-audit-log (GHEC only, `githubCloudOnly`): "GitHub Apps must have the
    // `organization_administration` read permission" and classic tokens "the `read:audit_log` scope"
    // (the operation's description in @octokit/openapi ghec.json).
    orgScoped(
      '/orgs/{org}/audit-log',
      { app: ['organization_administration', 'read'], classic: ['read:audit_log'], docs: AUDIT_LOG_DOCS },
      (req, g) => {
        if (!g.state.enterpriseCloud) return notFound(AUDIT_LOG_DOCS);
        return auditLogPage(req, g.state, g.state.auditLog);
      },
    ),
    // repos/list-for-org: repository metadata (read).
    orgScoped('/orgs/{org}/repos', { app: ['metadata', 'read'], docs: DOCS.listOrgRepos }, (req, g) => {
      const urls = urlsOf(req.origin);
      return list(req, g.state.repos, (r) => repoShape(r, g.state, urls));
    }),
    // repos/list-deploy-keys: repository administration (read).
    route(
      'GET',
      '/repos/{owner}/{repo}/keys',
      { app: ['administration', 'read'], classic: ['repo'], docs: DOCS.listDeployKeys },
      (req, g) => {
        const repo = findRepo(g.state, req.params.owner, req.params.repo);
        if (!repo) return notFound(DOCS.listDeployKeys);
        const urls = urlsOf(req.origin);
        return list(req, listing(repo.deploy_keys), (k) => deployKeyShape(k, repo, g.state, urls));
      },
      true,
    ),
    // repos/list-webhooks: repository webhooks (read).
    route(
      'GET',
      '/repos/{owner}/{repo}/hooks',
      {
        app: ['repository_hooks', 'read'],
        classic: ['admin:repo_hook', 'read:repo_hook', 'write:repo_hook', 'repo'],
        docs: DOCS.listRepoHooks,
      },
      (req, g) => {
        const repo = findRepo(g.state, req.params.owner, req.params.repo);
        if (!repo) return notFound(DOCS.listRepoHooks);
        const urls = urlsOf(req.origin);
        return list(req, listing(repo.hooks), (h) => repoHookShape(h, repo, g.state, urls));
      },
      true,
    ),
    // orgs/list-webhooks: organization webhooks (read); classic tokens need `admin:org_hook`.
    orgScoped(
      '/orgs/{org}/hooks',
      { app: ['organization_hooks', 'read'], classic: ['admin:org_hook'], docs: DOCS.listOrgHooks },
      (req, g) => {
        const urls = urlsOf(req.origin);
        return list(req, g.state.orgHooks, (h) => orgHookShape(h, g.state, urls));
      },
    ),
    // orgs/list-members: organization members (read).
    orgScoped(
      '/orgs/{org}/members',
      { app: ['members', 'read'], classic: orgRead, docs: DOCS.listMembers },
      (req, g) => {
        const role = req.query.get('role') ?? 'all';
        // `role` is an enum (all, admin, member) and the operation documents 422 validation_failed.
        if (!['all', 'admin', 'member'].includes(role)) {
          return {
            status: 422,
            body: {
              message: 'Validation Failed',
              errors: [{ resource: 'Organization', field: 'role', code: 'invalid', value: role }],
              documentation_url: DOCS.listMembers,
              status: '422',
            },
          };
        }
        const source =
          role === 'admin' ? g.state.admins : role === 'member' ? g.state.membersOnly : g.state.members;
        const urls = urlsOf(req.origin);
        return list(req, source, (u) => simpleUser(u, urls));
      },
    ),
    // orgs/list-outside-collaborators: organization members (read).
    orgScoped(
      '/orgs/{org}/outside_collaborators',
      { app: ['members', 'read'], classic: orgRead, docs: DOCS.listOutsideCollaborators },
      (req, g) => {
        const urls = urlsOf(req.origin);
        return list(req, g.state.outsideCollaborators, (u) => simpleUser(u, urls));
      },
    ),
  ];

  function repoList(req: EmuRequest, s: GithubState, names: string[]): EmuResponse {
    const urls = urlsOf(req.origin);
    const repos = names.map((n) => s.repoByName(n)).filter((r): r is Repo => r != null);
    return list(req, listing(repos), (r) => repoShape(r, s, urls));
  }
}
