import { z } from 'zod';
import { WorldError } from '../world-error.js';
import { formatPath } from '../world-file.js';

/**
 * The `google-workspace:` section of an emulator world. Either an explicit organisation (users, apps,
 * per-user grants, domain-wide delegations, GCP projects) or `generate:` sizes for a seeded synthetic one.
 *
 * ```yaml
 * google-workspace:
 *   customer: { id: C03acme01, domain: acme.example, organizationId: '417284019365' }
 *   scanner:                       # the scanner's own service account and its delegation
 *     serviceAccount: grantscope-scanner@acme-secops.iam.gserviceaccount.com
 *     clientId: '104117239861203948571'
 *     subject: it-admin@acme.example
 *     delegatedScopes: [https://www.googleapis.com/auth/admin.directory.user.readonly, ...]
 *   users: [{ email: ana@acme.example, admin: true, createdAt: now-900d, lastLoginAt: now-1d }]
 *   apps: [{ clientId: 4182...apps.googleusercontent.com, name: PDF Docs Sync }]
 *   grants: [{ user: ana@acme.example, clientId: ..., scopes: [...], authorizedAt: now-40d, lastUsedAt: now-2d }]
 *   delegations: [{ clientId: '1139...', scopes: [...], authorizedAt: now-90d, authorizedBy: ana@acme.example }]
 *   projects: [{ projectId: acme-prod, owners: [ana@acme.example], serviceAccounts: [{ accountId: sync, keys: [...] }] }]
 * ```
 * Dates are ISO timestamps once the world's `now±Nd` strings are resolved.
 */
const Timestamp = z.iso.datetime({ offset: true, message: 'expected a timestamp (ISO-8601 or now±Nd)' });
const Email = z.email();
const Scope = z.string().min(1);
const Digits = (n: number) => z.string().regex(new RegExp(`^[0-9]{${n}}$`), `expected ${n} digits`);

export const READ_SCANNER_SCOPES = [
  'https://www.googleapis.com/auth/admin.directory.user.readonly',
  'https://www.googleapis.com/auth/admin.directory.user.security',
  'https://www.googleapis.com/auth/admin.reports.audit.readonly',
] as const;

const Customer = z.strictObject({
  /** Customer id as the Admin console shows it (`C0…`). */
  id: z.string().regex(/^C[0-9a-z]{5,}$/i, 'a customer id looks like C03abc123'),
  domain: z.string().min(3),
  /** GCP organization number the projects sit under. */
  organizationId: z
    .string()
    .regex(/^[0-9]+$/)
    .default('417284019365'),
});

const Scanner = z.strictObject({
  serviceAccount: Email,
  /** The service account's OAuth client id (`oauth2ClientId`), which the delegation is keyed on. */
  clientId: z.string().regex(/^[0-9]{15,25}$/),
  /** The admin the scanner impersonates (must be a user of the world). */
  subject: Email,
  /** Scopes the scanner's client id is delegated for (Admin console → API controls → DWD). */
  delegatedScopes: z.array(Scope).default([...READ_SCANNER_SCOPES]),
  /** Whether the scanner's service account holds IAM roles at the organization (projects, SAs, keys). */
  cloudAccess: z.boolean().default(true),
  /** GCP project of the scanner's service account (for the key file's project_id). */
  projectId: z.string().default('acme-secops'),
});

const User = z.strictObject({
  /** Numeric user id; derived from the email when omitted. */
  id: z
    .string()
    .regex(/^[0-9]{10,25}$/)
    .optional(),
  email: Email,
  name: z.string().optional(),
  admin: z.boolean().default(false),
  suspended: z.boolean().default(false),
  suspensionReason: z.enum(['ADMIN', 'WEB_LOGIN_REQUIRED', 'UNDER13', 'ABUSE']).optional(),
  archived: z.boolean().default(false),
  createdAt: Timestamp,
  /** null: never signed in (the API then says 1970-01-01T00:00:00.000Z). */
  lastLoginAt: Timestamp.nullable().default(null),
  orgUnit: z.string().startsWith('/').default('/'),
  enrolledIn2Sv: z.boolean().default(true),
});

const App = z.strictObject({
  clientId: z.string().min(5),
  name: z.string().min(1),
  nativeApp: z.boolean().default(false),
  anonymous: z.boolean().default(false),
  /** Reports `client_type`. */
  clientType: z.string().default('WEB'),
  /** Product buckets its API calls show up under in `activity` events. */
  productBucket: z.string().default('OTHER'),
});

const Grant = z.strictObject({
  user: Email,
  clientId: z.string().min(5),
  scopes: z.array(Scope).min(1),
  authorizedAt: Timestamp,
  /** Last API use (one `activity` event); null = never used. */
  lastUsedAt: Timestamp.nullable().default(null),
  /** Revoked grants leave tokens.list but keep their `authorize` and `revoke` events. */
  revokedAt: Timestamp.nullable().default(null),
});

const Delegation = z.strictObject({
  /** The service account's OAuth client id (numeric). */
  clientId: z.string().regex(/^[0-9]{15,25}$/),
  scopes: z.array(Scope).min(1),
  authorizedAt: Timestamp,
  authorizedBy: Email,
  /** Earlier authorizations of the same client (scope changes), oldest first. */
  history: z.array(z.strictObject({ at: Timestamp, scopes: z.array(Scope).min(1), by: Email })).default([]),
  removedAt: Timestamp.nullable().default(null),
  removedBy: Email.optional(),
});

const Key = z.strictObject({
  /** 40 hex digits; derived when omitted. */
  id: z
    .string()
    .regex(/^[0-9a-f]{40}$/)
    .optional(),
  createdAt: Timestamp,
  /** `never` = 9999-12-31T23:59:59Z. */
  expiresAt: z.union([Timestamp, z.literal('never')]).default('never'),
  disabled: z.boolean().default(false),
  origin: z.enum(['GOOGLE_PROVIDED', 'USER_PROVIDED']).default('GOOGLE_PROVIDED'),
  algorithm: z.enum(['KEY_ALG_RSA_2048', 'KEY_ALG_RSA_1024']).default('KEY_ALG_RSA_2048'),
  /** Google found the key in a public place (extendedStatus SERVICE_ACCOUNT_KEY_EXPOSED). */
  exposed: z.boolean().default(false),
});

const ServiceAccount = z.strictObject({
  /** The part before `@project.iam.gserviceaccount.com`. */
  accountId: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'accountId: 6-30 chars, lower case, digits, dashes'),
  /** Full email, for Google-created default accounts (`123-compute@developer.gserviceaccount.com`). */
  email: Email.optional(),
  uniqueId: Digits(21).optional(),
  displayName: z.string().optional(),
  description: z.string().optional(),
  disabled: z.boolean().default(false),
  keys: z.array(Key).default([]),
});

const Project = z.strictObject({
  projectId: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/),
  number: z
    .string()
    .regex(/^[0-9]{6,14}$/)
    .optional(),
  displayName: z.string().optional(),
  /** `organizations/N` or `folders/N`; default: the customer's organization. */
  parent: z
    .string()
    .regex(/^(organizations|folders)\/[0-9]+$/)
    .optional(),
  state: z.enum(['ACTIVE', 'DELETE_REQUESTED']).default('ACTIVE'),
  createdAt: Timestamp,
  /** roles/owner members: `user:…`, `group:…`, `serviceAccount:…`, or a bare email (= user). */
  owners: z.array(z.string().min(3)).default([]),
  labels: z.record(z.string(), z.string()).default({}),
  serviceAccounts: z.array(ServiceAccount).default([]),
});

const Generate = z.strictObject({
  seed: z.number().int(),
  users: z.number().int().min(1).max(1_000_000),
  apps: z.number().int().min(1).max(10_000).default(60),
  /** Grant slots per user; about half are used. */
  tokenSlotsPerUser: z.number().int().min(1).max(16).default(4),
  /** API-use (`activity`) events per grant in use, over 240 days. */
  activityEventsPerGrant: z.number().int().min(1).max(100).default(20),
  suspendedPercent: z.number().min(0).max(100).default(4),
  projects: z.number().int().min(0).max(10_000).default(20),
  serviceAccountsPerProject: z.number().int().min(0).max(1000).default(8),
  keysPerServiceAccount: z.number().int().min(0).max(10).default(2),
  delegations: z.number().int().min(0).max(1000).default(6),
});

export const GoogleWorkspaceSection = z
  .strictObject({
    customer: Customer,
    scanner: Scanner.optional(),
    /** Audit log retention of the Reports API (Google keeps about six months). */
    retentionDays: z.number().int().min(1).max(3650).default(180),
    users: z.array(User).default([]),
    apps: z.array(App).default([]),
    grants: z.array(Grant).default([]),
    delegations: z.array(Delegation).default([]),
    projects: z.array(Project).default([]),
    generate: Generate.optional(),
  })
  .superRefine((s, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    if (s.generate) {
      for (const k of ['users', 'apps', 'grants', 'delegations', 'projects'] as const) {
        if (s[k].length > 0) issue([k], `cannot be combined with generate:`);
      }
      return;
    }
    if (!s.scanner) issue(['scanner'], 'required (unless generate: is used)');
    const users = new Map<string, number>();
    s.users.forEach((u, i) => {
      const key = u.email.toLowerCase();
      if (users.has(key)) issue(['users', i, 'email'], `duplicate user ${u.email}`);
      users.set(key, i);
      if (!key.endsWith(`@${s.customer.domain.toLowerCase()}`)) {
        issue(['users', i, 'email'], `not in the customer's domain ${s.customer.domain}`);
      }
    });
    const apps = new Set<string>();
    s.apps.forEach((a, i) => {
      if (apps.has(a.clientId)) issue(['apps', i, 'clientId'], `duplicate app ${a.clientId}`);
      apps.add(a.clientId);
    });
    s.grants.forEach((g, i) => {
      if (!users.has(g.user.toLowerCase())) issue(['grants', i, 'user'], `no user ${g.user} in users`);
      if (!apps.has(g.clientId)) issue(['grants', i, 'clientId'], `no app ${g.clientId} in apps`);
      if (g.revokedAt && g.revokedAt < g.authorizedAt)
        issue(['grants', i, 'revokedAt'], 'before authorizedAt');
    });
    s.delegations.forEach((d, i) => {
      if (!users.has(d.authorizedBy.toLowerCase())) {
        issue(['delegations', i, 'authorizedBy'], `no user ${d.authorizedBy} in users`);
      }
      if (d.removedAt && d.removedAt < d.authorizedAt)
        issue(['delegations', i, 'removedAt'], 'before authorizedAt');
      if (d.removedBy && !users.has(d.removedBy.toLowerCase())) {
        issue(['delegations', i, 'removedBy'], `no user ${d.removedBy} in users`);
      }
      d.history.forEach((h, j) => {
        if (!users.has(h.by.toLowerCase()))
          issue(['delegations', i, 'history', j, 'by'], `no user ${h.by} in users`);
      });
    });
    if (s.scanner && !users.has(s.scanner.subject.toLowerCase())) {
      issue(['scanner', 'subject'], `no user ${s.scanner.subject} in users`);
    }
    const projectIds = new Set<string>();
    s.projects.forEach((p, i) => {
      if (projectIds.has(p.projectId))
        issue(['projects', i, 'projectId'], `duplicate project ${p.projectId}`);
      projectIds.add(p.projectId);
      const ids = new Set<string>();
      p.serviceAccounts.forEach((sa, j) => {
        if (ids.has(sa.accountId)) issue(['projects', i, 'serviceAccounts', j, 'accountId'], 'duplicate');
        ids.add(sa.accountId);
      });
    });
  });
export type GoogleWorkspaceSection = z.infer<typeof GoogleWorkspaceSection>;
export type UserSpec = z.infer<typeof User>;
export type AppSpec = z.infer<typeof App>;
export type GrantSpec = z.infer<typeof Grant>;
export type DelegationSpec = z.infer<typeof Delegation>;
export type ProjectSpec = z.infer<typeof Project>;
export type ServiceAccountSpec = z.infer<typeof ServiceAccount>;
export type KeySpec = z.infer<typeof Key>;
export type GenerateSpec = z.infer<typeof Generate>;
export type ScannerSpec = z.infer<typeof Scanner>;

/** Validate the section; errors name the world file and the key path under `google-workspace`. */
export function parseSection(section: unknown, file: string, key: string): GoogleWorkspaceSection {
  const r = GoogleWorkspaceSection.safeParse(section);
  if (r.success) return r.data;
  throw new WorldError(
    file,
    r.error.issues.map((i) => ({
      path: formatPath([key, ...(i.path as PropertyKey[])]),
      line: null,
      message:
        i.code === 'unrecognized_keys'
          ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}`
          : i.message,
    })),
  );
}
