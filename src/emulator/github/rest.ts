import type { EmuRequest, EmuResponse, Route } from '../router.js';
import { error, type GuardDeps, guard, paginate, type Requirement } from './api.js';
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

/** GitHub's REST routes for the inventory the scanner needs, under `/api/v3` (GHES layout). */
export function restRoutes(deps: GuardDeps): Route[] {
  const route = (
    method: string,
    path: string,
    need: Requirement,
    handler: (req: EmuRequest, g: Ok) => EmuResponse,
  ): Route => ({
    service: 'github',
    method,
    pattern: `${API}${path}`,
    handler: (req) => {
      const g = guard(req, need, deps);
      if (!g.ok) return g.response;
      const resp = handler(req, g);
      return { ...resp, headers: { ...g.headers, ...resp.headers } };
    },
  });

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
  const orgScoped = (
    path: string,
    need: Requirement,
    handler: (req: EmuRequest, g: Ok) => EmuResponse,
  ): Route =>
    route('GET', path, need, (req, g) =>
      sameOrg(g.state, req.params.org) ? handler(req, g) : error(404, 'Not Found'),
    );

  const orgRead = ['read:org', 'admin:org', 'write:org'];

  return [
    // --- GitHub App authentication -------------------------------------------------------------
    route('GET', '/orgs/{org}/installation', { jwt: true }, (req, g) => {
      if (!sameOrg(g.state, req.params.org)) return error(404, 'Not Found');
      return {
        status: 200,
        body: installationShape(g.state.scannerInstallation, g.state, urlsOf(req.origin)),
      };
    }),
    route('POST', '/app/installations/{installation_id}/access_tokens', { jwt: true }, (req, g) => {
      if (Number(req.params.installation_id) !== g.state.app.installation_id) return error(404, 'Not Found');
      let permissions: Permissions = { ...g.state.app.permissions };
      if (req.body.length > 0) {
        let body: { permissions?: Permissions };
        try {
          body = JSON.parse(req.body.toString('utf8')) as { permissions?: Permissions };
        } catch {
          return error(400, 'Problems parsing JSON');
        }
        if (body.permissions) {
          for (const [name, level] of Object.entries(body.permissions)) {
            if (!hasPermission(g.state.app.permissions, name, level as Level)) {
              return error(422, `The permissions requested are not granted to this installation.`);
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
    }),

    // --- Inventory -------------------------------------------------------------------------------
    orgScoped(
      '/orgs/{org}/installations',
      { app: ['organization_administration', 'read'], classic: ['admin:org', 'read:org'] },
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
    route('GET', '/apps/{app_slug}', {}, (req, g) => {
      const slug = req.params.app_slug!;
      for (const i of iterate(g.state.installations)) {
        if (i.app.slug === slug) return { status: 200, body: appShape(i, g.state, urlsOf(req.origin)) };
      }
      return error(404, 'Not Found');
    }),
    orgScoped(
      '/orgs/{org}/personal-access-tokens',
      { app: ['organization_personal_access_tokens', 'read'], classic: 'never' },
      (req, g) => {
        const urls = urlsOf(req.origin);
        return list(req, g.state.patGrants, (p) => patGrantShape(p, g.state, urls));
      },
    ),
    orgScoped(
      '/orgs/{org}/personal-access-tokens/{pat_id}/repositories',
      { app: ['organization_personal_access_tokens', 'read'], classic: 'never' },
      (req, g) => {
        const grant = [...iterate(g.state.patGrants)].find((p) => p.id === Number(req.params.pat_id));
        if (!grant) return error(404, 'Not Found');
        return repoList(req, g.state, grant.repository_selection === 'subset' ? grant.repositories : []);
      },
    ),
    orgScoped(
      '/orgs/{org}/personal-access-token-requests',
      { app: ['organization_personal_access_token_requests', 'read'], classic: 'never' },
      (req, g) => {
        const urls = urlsOf(req.origin);
        return list(req, g.state.patRequests, (p) => patRequestShape(p, g.state, urls));
      },
    ),
    orgScoped(
      '/orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories',
      { app: ['organization_personal_access_token_requests', 'read'], classic: 'never' },
      (req, g) => {
        const request = [...iterate(g.state.patRequests)].find(
          (p) => p.id === Number(req.params.pat_request_id),
        );
        if (!request) return error(404, 'Not Found');
        return repoList(req, g.state, request.repository_selection === 'subset' ? request.repositories : []);
      },
    ),
    // GitHub does not document an app permission for this endpoint; we assume organization
    // administration (read), the one that guards the org's other access settings.
    orgScoped(
      '/orgs/{org}/credential-authorizations',
      { app: ['organization_administration', 'read'], classic: orgRead },
      (req, g) => {
        // Only organisations on GitHub Enterprise Cloud with SAML SSO have this endpoint.
        if (!g.state.org.saml) return error(404, 'Not Found');
        return list(req, g.state.credentialAuthorizations, credentialAuthorizationShape);
      },
    ),
    orgScoped('/orgs/{org}/repos', { app: ['metadata', 'read'] }, (req, g) => {
      const urls = urlsOf(req.origin);
      return list(req, g.state.repos, (r) => repoShape(r, g.state, urls));
    }),
    route(
      'GET',
      '/repos/{owner}/{repo}/keys',
      { app: ['administration', 'read'], classic: ['repo'] },
      (req, g) => {
        const repo = findRepo(g.state, req.params.owner, req.params.repo);
        if (!repo) return error(404, 'Not Found');
        const urls = urlsOf(req.origin);
        return list(req, listing(repo.deploy_keys), (k) => deployKeyShape(k, repo, g.state, urls));
      },
    ),
    route(
      'GET',
      '/repos/{owner}/{repo}/hooks',
      {
        app: ['repository_hooks', 'read'],
        classic: ['admin:repo_hook', 'read:repo_hook', 'write:repo_hook', 'repo'],
      },
      (req, g) => {
        const repo = findRepo(g.state, req.params.owner, req.params.repo);
        if (!repo) return error(404, 'Not Found');
        const urls = urlsOf(req.origin);
        return list(req, listing(repo.hooks), (h) => repoHookShape(h, repo, g.state, urls));
      },
    ),
    orgScoped(
      '/orgs/{org}/hooks',
      { app: ['organization_hooks', 'read'], classic: ['admin:org_hook'] },
      (req, g) => {
        const urls = urlsOf(req.origin);
        return list(req, g.state.orgHooks, (h) => orgHookShape(h, g.state, urls));
      },
    ),
    orgScoped('/orgs/{org}/members', { app: ['members', 'read'], classic: orgRead }, (req, g) => {
      const role = req.query.get('role') ?? 'all';
      if (!['all', 'admin', 'member'].includes(role)) return error(422, `Invalid value for role: ${role}`);
      const source =
        role === 'admin' ? g.state.admins : role === 'member' ? g.state.membersOnly : g.state.members;
      const urls = urlsOf(req.origin);
      return list(req, source, (u) => simpleUser(u, urls));
    }),
    orgScoped(
      '/orgs/{org}/outside_collaborators',
      { app: ['members', 'read'], classic: orgRead },
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
