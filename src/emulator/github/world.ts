import { z } from 'zod';
import { WorldError } from '../world-error.js';

/**
 * The `github:` section of an emulator world: one organisation, the scanner's own GitHub App, and
 * everything the org has granted. Field names follow GitHub's REST shapes (snake_case), so that
 * `patches:` can say `match: { id: 4 }` or `value: { repository_selection: all }` the way the API would.
 */

const Login = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*(\[bot\])?$/, 'not a GitHub login');
const Id = z.number().int().positive();
const Timestamp = z.iso.datetime({ offset: true, message: 'not a timestamp (use ISO-8601 or now-120d)' });
const Level = z.enum(['read', 'write', 'admin']);
export type Level = z.infer<typeof Level>;
const Permissions = z.record(z.string(), Level);
export type Permissions = z.infer<typeof Permissions>;

export const GhUser = z
  .object({
    login: Login,
    id: Id,
    name: z.string().nullable().default(null),
    /** admin = org owner; member; outside = outside collaborator; former = no longer in the org. */
    role: z.enum(['admin', 'member', 'outside', 'former']).default('member'),
    type: z.enum(['User', 'Bot']).default('User'),
  })
  .strict();
export type GhUser = z.infer<typeof GhUser>;

const AppRef = z
  .object({
    id: Id,
    slug: z.string().min(1),
    name: z.string().min(1),
    /** Login of the account that owns the app (`github` for GitHub's own apps; the org for its own). */
    owner: Login,
    owner_type: z.enum(['Organization', 'User']).default('Organization'),
    owner_id: Id.optional(),
    description: z.string().nullable().default(null),
    external_url: z.string().default(''),
    client_id: z.string().optional(),
    created_at: Timestamp.optional(),
  })
  .strict();
export type AppRef = z.infer<typeof AppRef>;

const Installation = z
  .object({
    id: Id,
    app: AppRef,
    repository_selection: z.enum(['all', 'selected']),
    /** Names of the selected repositories (not exposed by the org API, kept for realism). */
    repositories: z.array(z.string()).default([]),
    permissions: Permissions,
    events: z.array(z.string()).default([]),
    created_at: Timestamp,
    updated_at: Timestamp.optional(),
    suspended_at: Timestamp.nullable().default(null),
    suspended_by: Login.nullable().default(null),
    single_file_name: z.string().nullable().default(null),
    contact_email: z.string().nullable().default(null),
  })
  .strict();
export type Installation = z.infer<typeof Installation>;

const PatPermissions = z
  .object({
    organization: Permissions.optional(),
    repository: Permissions.optional(),
    other: Permissions.optional(),
  })
  .strict();

const PatCommon = {
  id: Id,
  token_id: Id,
  token_name: z.string().min(1),
  owner: Login,
  repository_selection: z.enum(['none', 'all', 'subset']),
  repositories: z.array(z.string()).default([]),
  permissions: PatPermissions,
  token_expires_at: Timestamp.nullable().default(null),
  token_last_used_at: Timestamp.nullable().default(null),
  /** Derived from token_expires_at when omitted. */
  token_expired: z.boolean().optional(),
};

const PatGrant = z.object({ ...PatCommon, access_granted_at: Timestamp }).strict();
export type PatGrant = z.infer<typeof PatGrant>;
const PatRequest = z
  .object({ ...PatCommon, created_at: Timestamp, reason: z.string().nullable().default(null) })
  .strict();
export type PatRequest = z.infer<typeof PatRequest>;

const CredentialAuthorization = z
  .object({
    credential_id: Id,
    login: Login,
    credential_type: z.enum(['personal access token', 'SSH key', 'OAuth app token', 'GitHub app token']),
    token_last_eight: z.string().optional(),
    credential_authorized_at: Timestamp,
    credential_accessed_at: Timestamp.nullable().default(null),
    authorized_credential_id: Id.nullable().default(null),
    authorized_credential_title: z.string().nullable().optional(),
    authorized_credential_note: z.string().nullable().optional(),
    authorized_credential_expires_at: Timestamp.nullable().optional(),
    scopes: z.array(z.string()).optional(),
    fingerprint: z.string().optional(),
  })
  .strict();
export type CredentialAuthorization = z.infer<typeof CredentialAuthorization>;

const DeployKey = z
  .object({
    id: Id,
    title: z.string().min(1),
    read_only: z.boolean(),
    added_by: Login.nullable().default(null),
    created_at: Timestamp,
    last_used: Timestamp.nullable().default(null),
    verified: z.boolean().default(true),
    enabled: z.boolean().default(true),
  })
  .strict();
export type DeployKey = z.infer<typeof DeployKey>;

const Hook = z
  .object({
    id: Id,
    /** The delivery target (config.url). */
    url: z.string().min(1),
    events: z.array(z.string()).default(['push']),
    active: z.boolean().default(true),
    content_type: z.enum(['json', 'form']).default('json'),
    insecure_ssl: z.enum(['0', '1']).default('0'),
    /** Whether a secret is configured (the API only ever shows it masked). */
    secret: z.boolean().default(false),
    created_at: Timestamp,
    updated_at: Timestamp.optional(),
    last_response: z
      .object({
        code: z.number().int().nullable(),
        status: z.string().nullable(),
        message: z.string().nullable(),
      })
      .default({ code: null, status: 'unused', message: null }),
  })
  .strict();
export type Hook = z.infer<typeof Hook>;

const Collaborator = z
  .object({ login: Login, permission: z.enum(['admin', 'maintain', 'write', 'triage', 'read']) })
  .strict();
export type Collaborator = z.infer<typeof Collaborator>;

const Repo = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'not a repository name'),
    id: Id,
    private: z.boolean().default(true),
    archived: z.boolean().default(false),
    description: z.string().nullable().default(null),
    created_at: Timestamp,
    pushed_at: Timestamp.nullable().default(null),
    deploy_keys: z.array(DeployKey).default([]),
    hooks: z.array(Hook).default([]),
    collaborators: z.array(Collaborator).default([]),
  })
  .strict();
export type Repo = z.infer<typeof Repo>;

const Budget = z
  .object({
    limit: z.number().int().positive(),
    /** Remaining at load time (default: the full limit). */
    remaining: z.number().int().nonnegative().optional(),
    /** Seconds until the window resets (from load time). */
    reset_seconds: z.number().int().positive().default(3600),
  })
  .strict();
export type Budget = z.infer<typeof Budget>;

export const Generate = z
  .object({
    seed: z.number().int(),
    repos: z.number().int().nonnegative().default(0),
    /** Share of generated repositories with deploy keys / hooks / an outside collaborator. */
    deploy_key_ratio: z.number().min(0).max(1).default(0.05),
    hook_ratio: z.number().min(0).max(1).default(0.05),
    collaborator_ratio: z.number().min(0).max(1).default(0.01),
    users: z.number().int().nonnegative().default(0),
    outside_collaborators: z.number().int().nonnegative().default(0),
    installations: z.number().int().nonnegative().default(0),
    pat_grants: z.number().int().nonnegative().default(0),
    org_hooks: z.number().int().nonnegative().default(0),
  })
  .strict();
export type Generate = z.infer<typeof Generate>;

export const GithubSection = z
  .object({
    org: z
      .object({
        login: Login,
        id: Id,
        name: z.string().nullable().default(null),
        /** SAML SSO (GitHub Enterprise Cloud): credential authorizations exist only then. */
        saml: z.boolean().default(false),
        /**
         * On GitHub Enterprise Cloud (default: when `saml` is set): the audit log API
         * (`githubCloudOnly` operations) answers only then.
         */
        enterprise_cloud: z.boolean().optional(),
        created_at: Timestamp.optional(),
      })
      .strict(),
    /** The scanner's own GitHub App and its installation on the org. */
    app: z
      .object({
        id: Id,
        slug: z.string().default('grantscope'),
        name: z.string().default('grantscope'),
        installation_id: Id,
        permissions: Permissions,
        /** Whether the scanner's installation shows up in the org's installation list (it does on GitHub). */
        listed: z.boolean().default(true),
        created_at: Timestamp.optional(),
      })
      .strict(),
    /** A classic personal access token the emulator accepts, for token-auth tests. */
    classic_token: z
      .object({ scopes: z.array(z.string()) })
      .strict()
      .optional(),
    rate_limit: z
      .object({
        core: Budget.default({ limit: 15000, reset_seconds: 3600 }),
        graphql: Budget.default({ limit: 5000, reset_seconds: 3600 }),
      })
      .strict()
      .default({
        core: { limit: 15000, reset_seconds: 3600 },
        graphql: { limit: 5000, reset_seconds: 3600 },
      }),
    users: z.array(GhUser).default([]),
    installations: z.array(Installation).default([]),
    pat_grants: z.array(PatGrant).default([]),
    pat_requests: z.array(PatRequest).default([]),
    credential_authorizations: z.array(CredentialAuthorization).default([]),
    repos: z.array(Repo).default([]),
    /** Organisation webhooks. */
    hooks: z.array(Hook).default([]),
    /**
     * Behaviours GitHub does not document either way, switched on to test both readings.
     * `credential_authorizations_without_link`: orgs/list-saml-sso-authorizations takes `page` and
     * `per_page`, but its 200 response declares no `Link` header in GitHub's OpenAPI description
     * (@octokit/openapi ghec.json), unlike the org's other lists; with this switch the emulator sends
     * none on that route.
     */
    quirks: z
      .object({ credential_authorizations_without_link: z.boolean().default(false) })
      .strict()
      .default({ credential_authorizations_without_link: false }),
    /** Extra keys merged into the scanner's `github:` config section (e.g. `appOwners`). */
    scanner_config: z.record(z.string(), z.unknown()).default({}),
    generate: Generate.optional(),
  })
  .strict();
export type GithubSection = z.infer<typeof GithubSection>;
/** The section as written in a world file (before defaults). */
export type GithubSectionInput = z.input<typeof GithubSection>;

/** Validate the section; errors name the world file and the key path. */
export function parseGithubSection(section: unknown, file: string): GithubSection {
  const result = GithubSection.safeParse(section);
  if (!result.success) {
    throw new WorldError(
      file,
      result.error.issues.map((issue) => {
        const path = ['github', ...issue.path.map(String)].join('.');
        const message =
          issue.code === 'unrecognized_keys'
            ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`
            : issue.message;
        return { path, line: null, message };
      }),
    );
  }
  const s = result.data;
  const problems: Array<{ path: string; message: string }> = [];
  const dupes = (what: string, ids: Array<string | number>) => {
    const seen = new Set<string | number>();
    for (const id of ids) {
      if (seen.has(id)) problems.push({ path: `github.${what}`, message: `duplicate id ${id}` });
      seen.add(id);
    }
  };
  dupes(
    'users',
    s.users.map((u) => u.login.toLowerCase()),
  );
  dupes(
    'installations',
    s.installations.map((i) => i.id),
  );
  dupes(
    'pat_grants',
    s.pat_grants.map((g) => g.id),
  );
  dupes(
    'pat_requests',
    s.pat_requests.map((g) => g.id),
  );
  dupes(
    'credential_authorizations',
    s.credential_authorizations.map((c) => c.credential_id),
  );
  dupes(
    'repos',
    s.repos.map((r) => r.name.toLowerCase()),
  );
  dupes(
    'hooks',
    s.hooks.map((h) => h.id),
  );
  if (s.installations.some((i) => i.id === s.app.installation_id)) {
    problems.push({
      path: 'github.installations',
      message: `id ${s.app.installation_id} is the scanner's own`,
    });
  }
  if (problems.length > 0)
    throw new WorldError(
      file,
      problems.map((p) => ({ ...p, line: null })),
    );
  return s;
}
