import { AuditLog } from './audit-log.js';
import type {
  CredentialAuthorization,
  Generate,
  GhUser,
  GithubSection,
  Hook,
  Installation,
  PatGrant,
  PatRequest,
  Permissions,
  Repo,
} from './world.js';

/**
 * A read-only list that may be partly computed: world-declared items first, then generated ones,
 * each generated item derived from (seed, index) when asked for, never all held in memory.
 */
export interface Listing<T> {
  readonly length: number;
  at(index: number): T;
}

export function listing<T>(
  explicit: readonly T[],
  generatedCount = 0,
  generate?: (i: number) => T,
): Listing<T> {
  return {
    length: explicit.length + generatedCount,
    at(index) {
      if (index < explicit.length) return explicit[index]!;
      return generate!(index - explicit.length);
    },
  };
}

export function* iterate<T>(list: Listing<T>): Generator<T> {
  for (let i = 0; i < list.length; i++) yield list.at(i);
}

export interface BudgetState {
  limit: number;
  used: number;
  /** Epoch ms when the window resets (real time: clients compute waits from Date.now()). */
  resetAt: number;
  windowMs: number;
}

export interface GithubState {
  org: GithubSection['org'];
  app: GithubSection['app'];
  classicToken: GithubSection['classic_token'];
  quirks: GithubSection['quirks'];
  now: Date;
  scannerConfig: Record<string, unknown>;
  users: Listing<GhUser>;
  userByLogin(login: string): GhUser | undefined;
  /** Org members (owners first). */
  members: Listing<GhUser>;
  admins: Listing<GhUser>;
  /** Members who are not owners (`role=member`). */
  membersOnly: Listing<GhUser>;
  outsideCollaborators: Listing<GhUser>;
  installations: Listing<Installation>;
  /** The scanner app's own installation (listed among `installations` unless `app.listed: false`). */
  scannerInstallation: Installation;
  patGrants: Listing<PatGrant>;
  patRequests: Listing<PatRequest>;
  credentialAuthorizations: Listing<CredentialAuthorization>;
  orgHooks: Listing<Hook>;
  repos: Listing<Repo>;
  repoByName(name: string): Repo | undefined;
  rate: { core: BudgetState; graphql: BudgetState };
  /** Whether the org is on GitHub Enterprise Cloud (`org.enterprise_cloud`, else `org.saml`). */
  enterpriseCloud: boolean;
  /** The org's audit log (GHEC): this world's events, after those of the worlds served before it. */
  auditLog: AuditLog;
}

/** Deterministic pseudo-random number in [0, 1) from (seed, salt, index). */
export function rand(seed: number, salt: string, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < salt.length; i++) h = Math.imul(h ^ salt.charCodeAt(i), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ index, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

const pad = (i: number) => String(i + 1).padStart(5, '0');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const DAY = 86_400_000;

const GEN_APPS: Array<{
  slug: string;
  name: string;
  owner: string;
  permissions: Permissions;
  events: string[];
}> = [
  {
    slug: 'ci-runner',
    name: 'CI Runner',
    owner: 'ci-vendor',
    permissions: { contents: 'read', checks: 'write', statuses: 'write', metadata: 'read' },
    events: ['push', 'pull_request'],
  },
  {
    slug: 'deps-bot',
    name: 'Deps Bot',
    owner: 'deps-vendor',
    permissions: { contents: 'write', pull_requests: 'write', metadata: 'read' },
    events: ['push'],
  },
  {
    slug: 'chat-notify',
    name: 'Chat Notify',
    owner: 'chat-vendor',
    permissions: { issues: 'read', pull_requests: 'read', metadata: 'read' },
    events: ['issues', 'pull_request'],
  },
  {
    slug: 'sec-scan',
    name: 'Sec Scan',
    owner: 'sec-vendor',
    permissions: { contents: 'read', security_events: 'write', metadata: 'read' },
    events: ['push'],
  },
];

/** Everything the generator computes, keyed by what it derives from. */
function generators(g: Generate, org: GithubSection['org'], now: Date) {
  const userLogin = (i: number) => `user-${pad(i)}`;
  const admins = Math.max(g.users > 0 ? 1 : 0, Math.floor(g.users / 50));
  const user = (i: number): GhUser => ({
    login: userLogin(i),
    id: 2_000_000 + i,
    name: `Generated User ${i + 1}`,
    role: i < admins ? 'admin' : 'member',
    type: 'User',
  });
  const outside = (i: number): GhUser => ({
    login: `ext-${pad(i)}`,
    id: 3_000_000 + i,
    name: `External ${i + 1}`,
    role: 'outside',
    type: 'User',
  });
  const someUser = (salt: string, i: number) =>
    g.users > 0 ? userLogin(Math.floor(rand(g.seed, salt, i) * g.users)) : null;
  const repo = (i: number): Repo => {
    const created = now.getTime() - Math.floor(rand(g.seed, 'repo-age', i) * 1500 + 30) * DAY;
    const name = `repo-${pad(i)}`;
    const keys = rand(g.seed, 'dk', i) < g.deploy_key_ratio ? 1 + Math.floor(rand(g.seed, 'dk-n', i) * 2) : 0;
    const deploy_keys = Array.from({ length: keys }, (_, k) => {
      const kc = created + Math.floor(rand(g.seed, `dk-c${k}`, i) * 200) * DAY;
      const used = rand(g.seed, `dk-u${k}`, i);
      return {
        id: 20_000_000 + i * 4 + k,
        title: `deploy-${name}-${k + 1}`,
        read_only: rand(g.seed, `dk-ro${k}`, i) < 0.7,
        added_by: someUser(`dk-by${k}`, i),
        created_at: iso(Math.min(kc, now.getTime() - DAY)),
        last_used: used < 0.2 ? null : iso(now.getTime() - Math.floor(used * 300) * DAY),
        verified: true,
        enabled: true,
      };
    });
    const hooks: Hook[] =
      rand(g.seed, 'hook', i) < g.hook_ratio
        ? [
            {
              id: 30_000_000 + i,
              url: `https://hooks.vendor-${Math.floor(rand(g.seed, 'hook-host', i) * 20)}.example/${name}`,
              events: ['push'],
              active: true,
              content_type: 'json',
              insecure_ssl: rand(g.seed, 'hook-ssl', i) < 0.1 ? '1' : '0',
              secret: rand(g.seed, 'hook-secret', i) < 0.8,
              created_at: iso(created + DAY),
              last_response: { code: 200, status: 'active', message: 'OK' },
            },
          ]
        : [];
    const collaborators =
      g.outside_collaborators > 0 && rand(g.seed, 'collab', i) < g.collaborator_ratio
        ? [
            {
              login: outside(Math.floor(rand(g.seed, 'collab-who', i) * g.outside_collaborators)).login,
              permission: rand(g.seed, 'collab-perm', i) < 0.5 ? ('write' as const) : ('read' as const),
            },
          ]
        : [];
    return {
      name,
      id: 10_000_000 + i,
      private: rand(g.seed, 'private', i) < 0.8,
      archived: rand(g.seed, 'archived', i) < 0.05,
      description: `Generated repository ${i + 1} of ${org.login}`,
      created_at: iso(created),
      pushed_at: iso(now.getTime() - Math.floor(rand(g.seed, 'pushed', i) * 400) * DAY),
      deploy_keys,
      hooks,
      collaborators,
    };
  };
  const installation = (i: number): Installation => {
    const app = GEN_APPS[i % GEN_APPS.length]!;
    const created = iso(now.getTime() - Math.floor(rand(g.seed, 'inst-age', i) * 900 + 1) * DAY);
    return {
      id: 40_000_000 + i,
      app: {
        id: 400_000 + i,
        slug: `${app.slug}-${pad(i)}`,
        name: `${app.name} ${i + 1}`,
        owner: app.owner,
        owner_type: 'Organization',
        description: null,
        external_url: `https://${app.owner}.example`,
      },
      repository_selection: rand(g.seed, 'inst-sel', i) < 0.3 ? 'all' : 'selected',
      repositories: [],
      permissions: app.permissions,
      events: app.events,
      created_at: created,
      suspended_at: null,
      suspended_by: null,
      single_file_name: null,
      contact_email: null,
    };
  };
  const patGrant = (i: number): PatGrant => {
    const granted = now.getTime() - Math.floor(rand(g.seed, 'pat-age', i) * 300 + 1) * DAY;
    const expiresIn = rand(g.seed, 'pat-exp', i);
    return {
      id: 50_000_000 + i,
      token_id: 51_000_000 + i,
      token_name: `generated token ${i + 1}`,
      owner: someUser('pat-owner', i) ?? org.login,
      repository_selection: rand(g.seed, 'pat-sel', i) < 0.5 ? 'all' : 'none',
      repositories: [],
      permissions: { repository: { metadata: 'read', contents: 'read' } },
      access_granted_at: iso(granted),
      token_expires_at: expiresIn < 0.2 ? null : iso(granted + Math.floor(expiresIn * 365) * DAY),
      token_last_used_at: iso(now.getTime() - Math.floor(rand(g.seed, 'pat-used', i) * 120) * DAY),
    };
  };
  const orgHook = (i: number): Hook => ({
    id: 60_000_000 + i,
    url: `https://events.vendor-${i}.example/github`,
    events: ['*'],
    active: true,
    content_type: 'json',
    insecure_ssl: '0',
    secret: true,
    created_at: iso(now.getTime() - 400 * DAY),
    last_response: { code: 200, status: 'active', message: 'OK' },
  });
  return { user, admins, outside, repo, installation, patGrant, orgHook };
}

const GEN_REPO = /^repo-(\d{5,})$/;
const GEN_USER = /^user-(\d{5,})$/;
const GEN_OUTSIDE = /^ext-(\d{5,})$/;

function budget(b: { limit: number; remaining?: number | undefined; reset_seconds: number }): BudgetState {
  return {
    limit: b.limit,
    used: b.limit - Math.min(b.remaining ?? b.limit, b.limit),
    resetAt: Date.now() + b.reset_seconds * 1000,
    windowMs: b.reset_seconds * 1000,
  };
}

export function buildState(s: GithubSection, now: Date): GithubState {
  const g = s.generate;
  const gen = g ? generators(g, s.org, now) : undefined;
  const explicitUsers = new Map(s.users.map((u) => [u.login.toLowerCase(), u]));
  const byRole = (roles: GhUser['role'][]) => s.users.filter((u) => roles.includes(u.role));

  const scannerInstallation: Installation = {
    id: s.app.installation_id,
    app: {
      id: s.app.id,
      slug: s.app.slug,
      name: s.app.name,
      owner: s.org.login,
      owner_type: 'Organization',
      description: 'Read-only inventory of third-party access (grantscope).',
      external_url: 'https://github.com/grantscope/grantscope',
    },
    repository_selection: 'all',
    repositories: [],
    permissions: s.app.permissions,
    events: [],
    created_at:
      s.app.created_at ?? new Date(now.getTime() - 30 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    suspended_at: null,
    suspended_by: null,
    single_file_name: null,
    contact_email: null,
  };
  const installations = s.app.listed ? [scannerInstallation, ...s.installations] : s.installations;

  const userIndex = (re: RegExp, login: string, count: number) => {
    const m = re.exec(login);
    if (!m) return -1;
    const i = Number(m[1]) - 1;
    return i >= 0 && i < count ? i : -1;
  };

  const explicitRepos = new Map(s.repos.map((r) => [r.name.toLowerCase(), r]));
  const genMembers = g?.users ?? 0;
  const genOutside = g?.outside_collaborators ?? 0;
  const genAdmins = gen?.admins ?? 0;
  const explicitAdmins = byRole(['admin']);
  const explicitMembers = [...explicitAdmins, ...byRole(['member'])];

  const state: GithubState = {
    org: s.org,
    app: s.app,
    classicToken: s.classic_token,
    quirks: s.quirks,
    now,
    scannerConfig: s.scanner_config,
    users: listing(s.users, genMembers, gen?.user),
    userByLogin(login) {
      const explicit = explicitUsers.get(login.toLowerCase());
      if (explicit) return explicit;
      if (!gen) return undefined;
      const u = userIndex(GEN_USER, login, genMembers);
      if (u >= 0) return gen.user(u);
      const o = userIndex(GEN_OUTSIDE, login, genOutside);
      return o >= 0 ? gen.outside(o) : undefined;
    },
    // Generated owners are the first generated users, so both lists stay contiguous (no filtering).
    members: listing(explicitMembers, genMembers, gen?.user),
    admins: listing(explicitAdmins, genAdmins, gen?.user),
    membersOnly: listing(byRole(['member']), genMembers - genAdmins, (i) => gen!.user(i + genAdmins)),
    outsideCollaborators: listing(byRole(['outside']), genOutside, gen?.outside),
    installations: listing(installations, g?.installations ?? 0, gen?.installation),
    scannerInstallation,
    patGrants: listing(s.pat_grants, g?.pat_grants ?? 0, gen?.patGrant),
    patRequests: listing(s.pat_requests),
    credentialAuthorizations: listing(s.credential_authorizations),
    orgHooks: listing(s.hooks, g?.org_hooks ?? 0, gen?.orgHook),
    repos: listing(s.repos, g?.repos ?? 0, gen?.repo),
    repoByName(name) {
      const explicit = explicitRepos.get(name.toLowerCase());
      if (explicit) return explicit;
      if (!gen) return undefined;
      const i = userIndex(GEN_REPO, name, g?.repos ?? 0);
      return i >= 0 ? gen.repo(i) : undefined;
    },
    rate: { core: budget(s.rate_limit.core), graphql: budget(s.rate_limit.graphql) },
    enterpriseCloud: s.org.enterprise_cloud ?? s.org.saml,
    auditLog: AuditLog.of(() => state),
  };
  return state;
}
