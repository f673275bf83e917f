import type { AccessCheck, ConfigFileReference } from '../../src/connector/access.js';
import type { ConnectorContext } from '../../src/connector/context.js';
import { ApiError } from '../../src/errors.js';
import { createGithubClient, type GithubClient, toApiError } from './client.js';
import { type GithubConfig, webBaseOf } from './config.js';
import { checkOrganisation } from './organisation-not-found.js';

/**
 * `grantscope doctor` for GitHub. With a GitHub App, the installation token's own answer says what it
 * holds: "the response [of apps/create-installation-access-token] includes the permissions the token
 * has" (docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app), so no read is
 * spent per collector. With a token, which says nothing of what it may do (a fine-grained PAT sends no
 * `X-OAuth-Scopes`), each collector's first list is read with `per_page=1`: a 403 is the missing
 * permission ("Resource not accessible by …", docs rest/using-the-rest-api/troubleshooting-the-rest-api).
 */

/** What each collector needs, as the installation-permission key GitHub returns and as its settings page names it. */
interface Need {
  /** Key in the installation's `permissions` object (permissions-required-for-github-apps). */
  key: string;
  /** Organization or Repository permission, as the App settings page groups them. */
  scope: 'Organization' | 'Repository';
  /** Its title on the settings page. */
  title: string;
  /** Classic token scopes that give the same read (any one), or null when only an App can read it. */
  classic: readonly string[] | null;
}

const MEMBERS: Need = { key: 'members', scope: 'Organization', title: 'Members', classic: ['read:org'] };
const ORG_ADMIN: Need = {
  key: 'organization_administration',
  scope: 'Organization',
  title: 'Administration',
  classic: ['read:org'],
};
const METADATA: Need = { key: 'metadata', scope: 'Repository', title: 'Metadata', classic: ['repo'] };

/** Per collector: what it needs, and the list it reads first (for token probes; `{repo}` needs a repository). */
const NEEDS: Record<string, { needs: Need[]; probe: string }> = {
  members: { needs: [MEMBERS], probe: 'GET /orgs/{org}/members' },
  'app-installations': { needs: [ORG_ADMIN], probe: 'GET /orgs/{org}/installations' },
  'pat-grants': {
    needs: [
      {
        key: 'organization_personal_access_tokens',
        scope: 'Organization',
        title: 'Personal access tokens',
        classic: null,
      },
    ],
    probe: 'GET /orgs/{org}/personal-access-tokens',
  },
  'pat-requests': {
    needs: [
      {
        key: 'organization_personal_access_token_requests',
        scope: 'Organization',
        title: 'Personal access token requests',
        classic: null,
      },
    ],
    probe: 'GET /orgs/{org}/personal-access-token-requests',
  },
  'sso-credentials': { needs: [ORG_ADMIN], probe: 'GET /orgs/{org}/credential-authorizations' },
  'org-webhooks': {
    needs: [
      { key: 'organization_hooks', scope: 'Organization', title: 'Webhooks', classic: ['admin:org_hook'] },
    ],
    probe: 'GET /orgs/{org}/hooks',
  },
  repositories: { needs: [METADATA], probe: 'GET /orgs/{org}/repos' },
  'deploy-keys': {
    needs: [{ key: 'administration', scope: 'Repository', title: 'Administration', classic: ['repo'] }],
    probe: 'GET /repos/{owner}/{repo}/keys',
  },
  'outside-collaborators': { needs: [MEMBERS, METADATA], probe: 'GET /orgs/{org}/outside_collaborators' },
  'repo-webhooks': {
    needs: [{ key: 'repository_hooks', scope: 'Repository', title: 'Webhooks', classic: ['repo'] }],
    probe: 'GET /repos/{owner}/{repo}/hooks',
  },
};

/** The collectors doctor checks, in the connector's order. */
export const CHECKED_COLLECTORS = Object.keys(NEEDS);

const APP_PERMISSIONS_DOC =
  'https://docs.github.com/en/apps/maintaining-github-apps/modifying-a-github-app-registration#changing-the-permissions-of-a-github-app';
const TOKEN_SCOPES_DOC =
  'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps#available-scopes';
const FINE_GRAINED_DOC =
  'https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens#creating-a-fine-grained-personal-access-token';

const label = (n: Need) => `${n.scope} permission "${n.title}: read"`;

/** GitHub's levels: write and admin include read. */
function holdsRead(level: string | undefined): boolean {
  return level === 'read' || level === 'write' || level === 'admin';
}

function appChecks(
  permissions: Record<string, string | undefined>,
  config: GithubConfig,
  installationId: number | undefined,
): AccessCheck[] {
  const web = webBaseOf(config);
  const installation = installationId
    ? `${web}/organizations/${config.org}/settings/installations/${installationId}`
    : `${web}/organizations/${config.org}/settings/installations`;
  const out: AccessCheck[] = [];
  for (const [collector, { needs }] of Object.entries(NEEDS)) {
    for (const need of needs) {
      const held = holdsRead(permissions[need.key]);
      out.push({
        collector,
        needed: label(need),
        state: held ? 'granted' : 'missing',
        evidence: `installation token permissions: ${need.key}=${permissions[need.key] ?? 'none'}`,
        ...(held
          ? {}
          : {
              fix: `GitHub App settings → Permissions & events → ${need.scope} permissions → ${need.title}: Read-only; then accept the new permissions at ${installation}`,
              link: APP_PERMISSIONS_DOC,
            }),
      });
    }
  }
  return out;
}

/** One list read with per_page=1: granted on 2xx, missing on 403, unknown otherwise (with why). */
async function probe(
  client: GithubClient,
  route: string,
  params: Record<string, unknown>,
): Promise<{ state: AccessCheck['state']; evidence: string }> {
  try {
    const res = await client.octokit.request(route, { ...params, per_page: 1 });
    return { state: 'granted', evidence: `${route} → ${res.status}` };
  } catch (err) {
    const error = toApiError(err, route);
    const status = error.status;
    if (status === 403) return { state: 'missing', evidence: `${route} → 403 ${error.message}` };
    if (status === 404 && route.includes('credential-authorizations'))
      return {
        state: 'unknown',
        evidence: `${route} → 404: the organisation has no SAML SSO (nothing to read)`,
      };
    if (status === 401) throw error;
    return { state: 'unknown', evidence: `${route} → ${status ?? 'no answer'} ${error.message}` };
  }
}

async function tokenChecks(client: GithubClient, config: GithubConfig): Promise<AccessCheck[]> {
  // Repository lists need one repository to read; the first the token sees will do.
  let firstRepo: { owner: string; repo: string } | null = null;
  try {
    const res = await client.octokit.request('GET /orgs/{org}/repos', { org: config.org, per_page: 1 });
    const repo = (res.data as Array<{ name: string; owner: { login: string } }>)[0];
    if (repo) firstRepo = { owner: repo.owner.login, repo: repo.name };
  } catch {
    // Reported by the repositories probe below.
  }
  const out: AccessCheck[] = [];
  for (const [collector, { needs, probe: route }] of Object.entries(NEEDS)) {
    const fix = (need: Need) =>
      need.classic
        ? `classic token: scope ${need.classic.join(' or ')}; fine-grained token: ${label(need)}`
        : `${label(need)} is granted to GitHub Apps only: configure github.app instead of tokenEnv`;
    let result: { state: AccessCheck['state']; evidence: string };
    if (needs.every((n) => n.classic === null)) {
      result = { state: 'missing', evidence: `${route} accepts GitHub App installation tokens only` };
    } else if (route.includes('{repo}') && !firstRepo) {
      result = { state: 'unknown', evidence: `no repository visible to the token to try ${route} on` };
    } else {
      // Only the route's own parameters: Octokit sends the others as query parameters.
      result = await probe(client, route, route.includes('{repo}') ? { ...firstRepo } : { org: config.org });
    }
    for (const need of needs) {
      out.push({
        collector,
        needed: label(need),
        state: result.state,
        evidence: result.evidence,
        ...(result.state === 'granted'
          ? {}
          : { fix: fix(need), link: need.classic ? TOKEN_SCOPES_DOC : FINE_GRAINED_DOC }),
      });
    }
  }
  return out;
}

export async function checkGithubAccess(config: GithubConfig, ctx: ConnectorContext): Promise<AccessCheck[]> {
  // Mints the installation token (and finds the installation): a wrong key or org throws here.
  const client = await createGithubClient(config, ctx);
  // A wrong org fails the connection check with "organisation not found", as a scan would.
  await checkOrganisation(client, config);
  if (!config.app) return tokenChecks(client, config);
  let auth: { permissions?: Record<string, string>; installationId?: number };
  try {
    auth = (await client.octokit.auth({ type: 'installation' })) as typeof auth;
  } catch (err) {
    throw toApiError(err, 'POST /app/installations/{installation_id}/access_tokens');
  }
  if (!auth.permissions) {
    throw new ApiError('GitHub REST', null, 'the installation token answer carried no permissions', {
      method: 'POST',
      path: '/app/installations/{installation_id}/access_tokens',
    });
  }
  return appChecks(auth.permissions, config, auth.installationId ?? config.app.installationId);
}

export function githubConfigFiles(config: GithubConfig): ConfigFileReference[] {
  return config.app?.privateKeyFile ? [{ key: 'app.privateKeyFile', path: config.app.privateKeyFile }] : [];
}
