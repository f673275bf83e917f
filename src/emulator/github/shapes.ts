import { createHash } from 'node:crypto';
import type { GithubState } from './state.js';
import type {
  CredentialAuthorization,
  DeployKey,
  GhUser,
  Hook,
  Installation,
  PatGrant,
  PatRequest,
  Repo,
} from './world.js';

/**
 * World items → GitHub's REST response shapes (2022-11-28), with every required field present and
 * nullable fields present as null. URLs point at the emulator (GHES layout: API under /api/v3).
 */
export interface Urls {
  api: string;
  web: string;
}

export const urlsOf = (origin: string): Urls => ({ api: `${origin}/api/v3`, web: origin });

const nodeId = (type: string, id: number) => Buffer.from(`0${type.length}:${type}${id}`).toString('base64');

export function simpleUser(
  u: { login: string; id: number; type?: string; name?: string | null },
  urls: Urls,
): Record<string, unknown> {
  const type = u.type ?? 'User';
  const base = `${urls.api}/users/${u.login}`;
  return {
    login: u.login,
    id: u.id,
    node_id: nodeId(type, u.id),
    avatar_url: `${urls.web}/avatars/u/${u.id}?v=4`,
    gravatar_id: '',
    url: base,
    html_url: `${urls.web}/${u.login}`,
    followers_url: `${base}/followers`,
    following_url: `${base}/following{/other_user}`,
    gists_url: `${base}/gists{/gist_id}`,
    starred_url: `${base}/starred{/owner}{/repo}`,
    subscriptions_url: `${base}/subscriptions`,
    organizations_url: `${base}/orgs`,
    repos_url: `${base}/repos`,
    events_url: `${base}/events{/privacy}`,
    received_events_url: `${base}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/** A user by login: known users keep their id; unknown logins get a stable id derived from the name. */
export function userByLoginShape(state: GithubState, login: string, urls: Urls): Record<string, unknown> {
  const known: GhUser | undefined = state.userByLogin(login);
  if (known) return simpleUser(known, urls);
  if (login.toLowerCase() === state.org.login.toLowerCase()) {
    return simpleUser({ login: state.org.login, id: state.org.id, type: 'Organization' }, urls);
  }
  const id = 9_000_000 + (createHash('sha256').update(login).digest().readUInt32BE(0) % 1_000_000);
  return simpleUser({ login, id }, urls);
}

const orgAccount = (state: GithubState, urls: Urls) =>
  simpleUser({ login: state.org.login, id: state.org.id, type: 'Organization' }, urls);

export function installationShape(i: Installation, state: GithubState, urls: Urls): Record<string, unknown> {
  return {
    id: i.id,
    client_id: i.app.client_id ?? `Iv1.${createHash('sha1').update(i.app.slug).digest('hex').slice(0, 16)}`,
    account: orgAccount(state, urls),
    repository_selection: i.repository_selection,
    access_tokens_url: `${urls.api}/app/installations/${i.id}/access_tokens`,
    repositories_url: `${urls.api}/installation/repositories`,
    html_url: `${urls.web}/organizations/${state.org.login}/settings/installations/${i.id}`,
    app_id: i.app.id,
    app_slug: i.app.slug,
    target_id: state.org.id,
    target_type: 'Organization',
    permissions: i.permissions,
    events: i.events,
    created_at: i.created_at,
    updated_at: i.updated_at ?? i.created_at,
    single_file_name: i.single_file_name,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: i.suspended_by ? userByLoginShape(state, i.suspended_by, urls) : null,
    suspended_at: i.suspended_at,
    contact_email: i.contact_email,
  };
}

export function appShape(i: Installation, state: GithubState, urls: Urls): Record<string, unknown> {
  const owner =
    i.app.owner.toLowerCase() === state.org.login.toLowerCase()
      ? orgAccount(state, urls)
      : simpleUser(
          {
            login: i.app.owner,
            id:
              i.app.owner_id ??
              8_000_000 + (createHash('sha256').update(i.app.owner).digest().readUInt32BE(0) % 999_999),
            type: i.app.owner_type,
          },
          urls,
        );
  return {
    id: i.app.id,
    slug: i.app.slug,
    node_id: nodeId('Integration', i.app.id),
    client_id: i.app.client_id ?? `Iv1.${createHash('sha1').update(i.app.slug).digest('hex').slice(0, 16)}`,
    owner,
    name: i.app.name,
    description: i.app.description,
    external_url: i.app.external_url,
    html_url: `${urls.web}/apps/${i.app.slug}`,
    created_at: i.app.created_at ?? i.created_at,
    updated_at: i.app.created_at ?? i.created_at,
    permissions: i.permissions,
    events: i.events,
  };
}

function patCommon(g: PatGrant | PatRequest, state: GithubState, urls: Urls, kind: string) {
  const expired =
    g.token_expired ?? (g.token_expires_at != null && Date.parse(g.token_expires_at) <= state.now.getTime());
  const permissions: Record<string, unknown> = {};
  if (g.permissions.organization) permissions.organization = g.permissions.organization;
  if (g.permissions.repository) permissions.repository = g.permissions.repository;
  if (g.permissions.other) permissions.other = g.permissions.other;
  return {
    id: g.id,
    owner: userByLoginShape(state, g.owner, urls),
    repository_selection: g.repository_selection,
    repositories_url: `${urls.api}/organizations/${state.org.id}/${kind}/${g.id}/repositories`,
    permissions,
    token_id: g.token_id,
    token_name: g.token_name,
    token_expired: expired,
    token_expires_at: g.token_expires_at,
    token_last_used_at: g.token_last_used_at,
  };
}

export function patGrantShape(g: PatGrant, state: GithubState, urls: Urls): Record<string, unknown> {
  return { ...patCommon(g, state, urls, 'personal-access-tokens'), access_granted_at: g.access_granted_at };
}

export function patRequestShape(g: PatRequest, state: GithubState, urls: Urls): Record<string, unknown> {
  return {
    ...patCommon(g, state, urls, 'personal-access-token-requests'),
    reason: g.reason,
    created_at: g.created_at,
  };
}

export function credentialAuthorizationShape(c: CredentialAuthorization): Record<string, unknown> {
  const isToken = c.credential_type !== 'SSH key';
  const out: Record<string, unknown> = {
    login: c.login,
    credential_id: c.credential_id,
    credential_type: c.credential_type,
    credential_authorized_at: c.credential_authorized_at,
    credential_accessed_at: c.credential_accessed_at,
    authorized_credential_id: c.authorized_credential_id,
  };
  if (isToken) {
    out.token_last_eight = c.token_last_eight ?? String(c.credential_id).padStart(8, '0').slice(-8);
    out.scopes = c.scopes ?? [];
    out.authorized_credential_note = c.authorized_credential_note ?? null;
    out.authorized_credential_expires_at = c.authorized_credential_expires_at ?? null;
  } else {
    out.fingerprint =
      c.fingerprint ??
      `SHA256:${createHash('sha256').update(String(c.credential_id)).digest('base64').slice(0, 43)}`;
    out.authorized_credential_title = c.authorized_credential_title ?? null;
  }
  return out;
}

export function repoShape(r: Repo, state: GithubState, urls: Urls): Record<string, unknown> {
  const full = `${state.org.login}/${r.name}`;
  const api = `${urls.api}/repos/${full}`;
  return {
    id: r.id,
    node_id: nodeId('Repository', r.id),
    name: r.name,
    full_name: full,
    owner: orgAccount(state, urls),
    private: r.private,
    html_url: `${urls.web}/${full}`,
    description: r.description,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git://${new URL(urls.web).host}/${full}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@${new URL(urls.web).hostname}:${full}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `${urls.web}/${full}.git`,
    mirror_url: null,
    hooks_url: `${api}/hooks`,
    svn_url: `${urls.web}/${full}`,
    homepage: null,
    language: null,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 0,
    default_branch: 'main',
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: r.archived,
    disabled: false,
    visibility: r.private ? 'private' : 'public',
    pushed_at: r.pushed_at,
    created_at: r.created_at,
    updated_at: r.pushed_at ?? r.created_at,
    permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
    allow_forking: false,
    web_commit_signoff_required: false,
    forks: 0,
    open_issues: 0,
    watchers: 0,
    license: null,
  };
}

/** A stable, obviously fake public key (public keys are not secrets; they are listed by the API). */
export function publicKeyOf(id: number): string {
  const blob = Buffer.concat([
    Buffer.from('0000000b7373682d65643235353139', 'hex'),
    Buffer.from('00000020', 'hex'),
    createHash('sha256').update(`deploy-key-${id}`).digest(),
  ]).toString('base64');
  return `ssh-ed25519 ${blob}`;
}

export function deployKeyShape(
  k: DeployKey,
  repo: Repo,
  state: GithubState,
  urls: Urls,
): Record<string, unknown> {
  return {
    id: k.id,
    key: publicKeyOf(k.id),
    url: `${urls.api}/repos/${state.org.login}/${repo.name}/keys/${k.id}`,
    title: k.title,
    verified: k.verified,
    created_at: k.created_at,
    read_only: k.read_only,
    added_by: k.added_by,
    last_used: k.last_used,
    enabled: k.enabled,
  };
}

function hookConfig(h: Hook): Record<string, unknown> {
  const config: Record<string, unknown> = {
    content_type: h.content_type,
    insecure_ssl: h.insecure_ssl,
    url: h.url,
  };
  if (h.secret) config.secret = '********';
  return config;
}

export function orgHookShape(h: Hook, state: GithubState, urls: Urls): Record<string, unknown> {
  const api = `${urls.api}/orgs/${state.org.login}/hooks/${h.id}`;
  return {
    id: h.id,
    url: api,
    ping_url: `${api}/pings`,
    deliveries_url: `${api}/deliveries`,
    name: 'web',
    events: h.events,
    active: h.active,
    config: hookConfig(h),
    updated_at: h.updated_at ?? h.created_at,
    created_at: h.created_at,
    type: 'Organization',
  };
}

export function repoHookShape(h: Hook, repo: Repo, state: GithubState, urls: Urls): Record<string, unknown> {
  const api = `${urls.api}/repos/${state.org.login}/${repo.name}/hooks/${h.id}`;
  return {
    type: 'Repository',
    id: h.id,
    name: 'web',
    active: h.active,
    events: h.events,
    config: hookConfig(h),
    updated_at: h.updated_at ?? h.created_at,
    created_at: h.created_at,
    url: api,
    test_url: `${api}/test`,
    ping_url: `${api}/pings`,
    deliveries_url: `${api}/deliveries`,
    last_response: h.last_response,
  };
}
