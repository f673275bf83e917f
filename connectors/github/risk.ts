import type { z } from 'zod';
import {
  type ConnectorVocabulary,
  PermissionCatalogEntry,
  permissionCatalog,
} from '../../src/connector/vocabulary.js';
import type { AccessLevel, RiskTier } from '../../src/model/common.js';
import type { Risk } from '../../src/model/grant.js';
import data from './risk-catalog.json' with { type: 'json' };

/**
 * What GitHub's records are called, and the rule settings that suit them. The engine knows no
 * platform: finding titles and the policy's defaults take these (see `ConnectorVocabulary`).
 */
export const vocabulary: ConnectorVocabulary = {
  identityKinds: {
    'github-app-installation': { label: 'GitHub App installation' },
    'fine-grained-pat': { label: 'fine-grained personal access token' },
    'fine-grained-pat-request': { label: 'fine-grained token request' },
    'sso-credential': { label: 'SSO-authorised credential' },
    'deploy-key': { label: 'deploy key' },
    webhook: { label: 'webhook' },
    'outside-collaborator': { label: 'outside collaborator' },
  },
  credentialTypes: {
    pat: { label: 'personal access token' },
    'ssh-key': { label: 'SSH key' },
    'deploy-key': { label: 'deploy key' },
    'oauth-token': { label: 'OAuth token' },
    'webhook-secret': { label: 'webhook secret' },
  },
  policyDefaults: {
    // A webhook has no owner in GitHub's model; an outside collaborator is a person, not an owned identity.
    ownerless: { excludeKinds: ['webhook', 'outside-collaborator'] },
    'credential-hygiene': {
      // GitHub's default maximum lifetime for fine-grained PATs in an organisation.
      maxLifetimeDays: { pat: 366 },
      // GitHub offers no expiry for deploy keys and SSH keys, and webhook secrets have none at all:
      // rotation is the user's call, so a missing expiry is a low finding rather than a high one.
      problemSeverity: { noExpiry: { 'deploy-key': 'low', 'ssh-key': 'low', 'webhook-secret': 'low' } },
    },
  },
};

/** `kind`: `app-permission`, `oauth-scope`, `deploy-key`, `token`, `workflow-token`. */
const CatalogEntry = PermissionCatalogEntry;
type CatalogEntry = z.infer<typeof CatalogEntry>;
const Catalog = permissionCatalog(CatalogEntry);

let entries: readonly CatalogEntry[] | undefined;
/** GitHub's risk catalog (`risk-catalog.json`), validated once. */
export function catalogEntries(): readonly CatalogEntry[] {
  entries ??= Catalog.parse(data).entries;
  return entries;
}

/**
 * GitHub permissions and scopes → risk tiers. The risk catalog (`risk-catalog.json`) comes first.
 * GitHub publishes no tiering of its own, and the catalog covers the sensitive permissions only,
 * so the rest of GitHub's published permission set (the `app-permissions` schema
 * of the REST description) is tiered below by the same reasoning and marked as derived here. A
 * permission GitHub adds later falls back to a tier by access level, and says so.
 *
 * Escalation (catalog modifier): a repository permission with write access on *all* repositories
 * ranks one tier higher. Admin-scoped tokens come out critical by the catalog; write deploy keys are
 * raised to critical here (see `deployKeyRisk`).
 */

export type PermissionScope = 'repository' | 'organization' | 'user' | 'enterprise';

const DERIVED = 'grantscope (derived from GitHub permission descriptions)';
const TIERS: RiskTier[] = ['low', 'medium', 'high', 'critical'];

/** Every permission in GitHub's `app-permissions` schema (2022-11-28), by what it applies to. */
const SCOPES: Record<string, PermissionScope> = {};
for (const name of [
  'actions',
  'administration',
  'artifact_metadata',
  'attestations',
  'checks',
  'code_quality',
  'codespaces',
  'contents',
  'dependabot_secrets',
  'deployments',
  'discussions',
  'environments',
  'issues',
  'merge_queues',
  'metadata',
  'packages',
  'pages',
  'pull_requests',
  'repository_custom_properties',
  'repository_hooks',
  'repository_projects',
  'secret_scanning_alerts',
  'secrets',
  'security_events',
  'single_file',
  'statuses',
  'vulnerability_alerts',
  'workflows',
])
  SCOPES[name] = 'repository';
for (const name of [
  'custom_properties_for_organizations',
  'members',
  'organization_administration',
  'organization_custom_roles',
  'organization_custom_org_roles',
  'organization_custom_properties',
  'organization_copilot_seat_management',
  'organization_copilot_agent_settings',
  'organization_announcement_banners',
  'organization_events',
  'organization_hooks',
  'organization_personal_access_tokens',
  'organization_personal_access_token_requests',
  'organization_plan',
  'organization_projects',
  'organization_packages',
  'organization_secrets',
  'organization_self_hosted_runners',
  'organization_user_blocking',
])
  SCOPES[name] = 'organization';
for (const name of [
  'email_addresses',
  'followers',
  'git_ssh_keys',
  'gpg_keys',
  'interaction_limits',
  'profile',
  'starring',
]) {
  SCOPES[name] = 'user';
}
for (const name of [
  'enterprise_administration',
  'enterprise_custom_properties_for_organizations',
  'enterprise_organization_installations',
  'enterprise_organization_installation_repositories',
])
  SCOPES[name] = 'enterprise';

export function permissionScope(name: string): PermissionScope {
  return (
    SCOPES[name] ??
    (name.startsWith('organization_')
      ? 'organization'
      : name.startsWith('enterprise_')
        ? 'enterprise'
        : 'repository')
  );
}

type Derived = Partial<Record<'read' | 'write' | 'admin', [RiskTier, string]>>;

/** Tiers for (permission, level) pairs the catalog does not list. */
const DERIVED_TIERS: Record<string, Derived> = {
  actions: { read: ['low', 'Read workflow runs, logs and artifacts.'] },
  administration: { read: ['low', 'Read repository settings, collaborators and deploy keys.'] },
  artifact_metadata: {
    read: ['low', 'Read build artifact metadata.'],
    write: ['low', 'Record build artifact metadata.'],
  },
  attestations: {
    read: ['low', 'Read attestations.'],
    write: ['medium', 'Create provenance attestations (forgeable supply-chain evidence).'],
  },
  checks: { read: ['low', 'Read check runs.'] },
  code_quality: { read: ['low', 'Read code quality data.'], write: ['low', 'Manage code quality data.'] },
  codespaces: {
    read: ['low', 'List codespaces.'],
    write: ['medium', 'Create and manage codespaces, which carry repository access.'],
  },
  dependabot_secrets: {
    read: ['low', 'Read Dependabot secret names (values are never readable).'],
    write: ['high', 'Create or overwrite Dependabot secrets.'],
  },
  deployments: { read: ['low', 'Read deployments.'] },
  discussions: { read: ['low', 'Read discussions.'], write: ['low', 'Write discussions.'] },
  environments: { read: ['low', 'Read environments and their protection rules.'] },
  issues: { read: ['low', 'Read issues (private repositories included).'] },
  merge_queues: {
    read: ['low', 'Read merge queues.'],
    write: ['medium', 'Manage merge queues (what gets merged, in which order).'],
  },
  metadata: { write: ['low', 'Repository metadata.'] },
  packages: { read: ['medium', 'Download private packages.'] },
  pages: { read: ['low', 'Read Pages configuration.'] },
  pull_requests: { read: ['medium', 'Read pull requests, whose diffs expose private source code.'] },
  repository_custom_properties: {
    read: ['low', 'Read custom properties.'],
    write: ['low', 'Edit custom properties.'],
  },
  repository_hooks: { read: ['low', 'Read webhook configurations (secrets stay masked).'] },
  repository_projects: {
    read: ['low', 'Read projects.'],
    write: ['low', 'Edit projects.'],
    admin: ['medium', 'Administer projects.'],
  },
  secret_scanning_alerts: {
    write: ['high', 'Read and dismiss secret scanning alerts, which expose the secrets found.'],
  },
  secrets: { read: ['low', 'Read Actions secret names (values are never readable).'] },
  security_events: {
    read: ['medium', 'Read code scanning alerts: an early view of unpatched vulnerabilities.'],
  },
  single_file: { read: ['low', 'Read one file.'], write: ['medium', 'Write one file.'] },
  statuses: { read: ['low', 'Read commit statuses.'] },
  vulnerability_alerts: { write: ['medium', 'Read and dismiss Dependabot alerts.'] },
  custom_properties_for_organizations: {
    read: ['low', 'Read organisation custom properties.'],
    write: ['low', 'Edit organisation custom properties.'],
  },
  organization_administration: { read: ['low', 'Read organisation settings.'] },
  organization_custom_roles: { read: ['low', 'Read custom repository roles.'] },
  organization_custom_org_roles: {
    read: ['low', 'Read custom organisation roles.'],
    write: ['high', 'Define custom organisation roles (privilege design).'],
  },
  organization_custom_properties: {
    read: ['low', 'Read custom property definitions.'],
    write: ['low', 'Edit custom property definitions.'],
    admin: ['medium', 'Administer custom property definitions.'],
  },
  organization_copilot_seat_management: {
    read: ['low', 'Read Copilot seats.'],
    write: ['medium', 'Assign Copilot seats (cost, data access).'],
  },
  organization_copilot_agent_settings: {
    read: ['low', 'Read Copilot agent settings.'],
    write: ['medium', 'Change Copilot agent settings.'],
  },
  organization_announcement_banners: {
    read: ['low', 'Read announcement banners.'],
    write: ['low', 'Edit announcement banners.'],
  },
  organization_events: { read: ['low', 'Read organisation activity events.'] },
  organization_hooks: { read: ['low', 'Read organisation webhook configurations (secrets stay masked).'] },
  organization_personal_access_tokens: {
    read: ['low', 'List fine-grained PATs with access to the organisation.'],
  },
  organization_personal_access_token_requests: {
    read: ['low', 'List pending fine-grained PAT requests.'],
    write: ['high', 'Approve fine-grained PAT access to the organisation.'],
  },
  organization_projects: {
    read: ['low', 'Read organisation projects.'],
    write: ['low', 'Edit organisation projects.'],
    admin: ['medium', 'Administer organisation projects.'],
  },
  organization_packages: { read: ['medium', 'Download private organisation packages.'] },
  organization_secrets: { read: ['low', 'Read organisation secret names (values are never readable).'] },
  organization_self_hosted_runners: { read: ['low', 'List self-hosted runners.'] },
  organization_user_blocking: { read: ['low', 'Read blocked users.'] },
  email_addresses: { write: ['medium', 'Change the user\u2019s email addresses (account recovery path).'] },
  followers: { read: ['low', 'Read followers.'], write: ['low', 'Follow and unfollow.'] },
  git_ssh_keys: { read: ['low', 'List the user\u2019s SSH keys.'] },
  gpg_keys: { read: ['low', 'List the user\u2019s GPG keys.'] },
  interaction_limits: {
    read: ['low', 'Read interaction limits.'],
    write: ['low', 'Set interaction limits.'],
  },
  profile: { write: ['low', 'Edit the user profile.'] },
  starring: { read: ['low', 'Read stars.'], write: ['low', 'Star repositories.'] },
  enterprise_administration: {
    read: ['medium', 'Read enterprise settings.'],
    write: ['critical', 'Administer the enterprise.'],
  },
  enterprise_custom_properties_for_organizations: {
    read: ['low', 'Read enterprise custom properties.'],
    write: ['low', 'Edit enterprise custom properties.'],
    admin: ['medium', 'Administer enterprise custom properties.'],
  },
  enterprise_organization_installations: {
    read: ['low', 'List app installations across organisations.'],
    write: ['critical', 'Install GitHub Apps on any organisation of the enterprise.'],
  },
  enterprise_organization_installation_repositories: {
    read: ['low', 'Read installation repository access.'],
    write: ['high', 'Change which repositories installed apps reach.'],
  },
};

const OAUTH_DERIVED: Record<string, [RiskTier, AccessLevel, string]> = {
  'read:public_key': ['low', 'read', 'List the user\u2019s SSH keys.'],
  'read:gpg_key': ['low', 'read', 'List the user\u2019s GPG keys.'],
  'write:gpg_key': ['medium', 'write', 'Add GPG keys (forged "Verified" commits).'],
  'read:repo_hook': ['low', 'read', 'Read repository webhooks.'],
  'read:discussion': ['low', 'read', 'Read team discussions.'],
  'write:discussion': ['low', 'write', 'Write team discussions.'],
  'read:enterprise': ['medium', 'read', 'Read enterprise profile data.'],
  'read:ssh_signing_key': ['low', 'read', 'List SSH signing keys.'],
  'write:ssh_signing_key': ['medium', 'write', 'Add SSH signing keys (forged "Verified" commits).'],
  'admin:ssh_signing_key': ['medium', 'admin', 'Manage SSH signing keys (forged "Verified" commits).'],
  project: ['low', 'write', 'Read and write Projects.'],
  audit_log: ['medium', 'read', 'Read the audit log.'],
  copilot: ['low', 'write', 'Use Copilot settings.'],
};

const byKey = new Map<string, CatalogEntry>();
const catalogKey = (kind: string, permission: string, level: string) => `${kind}|${permission}|${level}`;
function catalog(kind: string, permission: string, level: string): CatalogEntry | undefined {
  if (byKey.size === 0)
    for (const e of catalogEntries()) byKey.set(catalogKey(e.kind, e.permission, e.level), e);
  return byKey.get(catalogKey(kind, permission, level));
}

const fromCatalog = (e: CatalogEntry): Risk => ({
  tier: e.risk,
  reason: e.reason,
  source: `catalog: github ${e.kind} ${e.permission} (${e.level}); ${e.source}`,
});

const bump = (tier: RiskTier): RiskTier => {
  const i = TIERS.indexOf(tier);
  return i < 0 ? tier : TIERS[Math.min(i + 1, TIERS.length - 1)]!;
};

export function accessOf(level: string): AccessLevel {
  return level === 'admin' ? 'admin' : level === 'write' ? 'write' : 'read';
}

/** The tier of a GitHub App / fine-grained PAT permission at a level, before any escalation. */
export function appPermissionBaseRisk(permission: string, level: string): Risk {
  const exact = catalog('app-permission', permission, level);
  if (exact) return fromCatalog(exact);
  const derived = DERIVED_TIERS[permission]?.[level as 'read' | 'write' | 'admin'];
  if (derived) return { tier: derived[0], reason: derived[1], source: DERIVED };
  // admin is a superset of write where GitHub offers both.
  if (level === 'admin') {
    const write = catalog('app-permission', permission, 'write');
    if (write) return fromCatalog(write);
  }
  const fallback: RiskTier = level === 'admin' ? 'high' : level === 'write' ? 'medium' : 'low';
  return {
    tier: fallback,
    reason: `Permission '${permission}' is not in the risk catalog; default tier for ${level} access.`,
    source: 'grantscope default by access level',
  };
}

/**
 * The tier of an app or PAT permission on its target: repository permissions with write access
 * on all repositories rank one tier higher.
 */
export function appPermissionRisk(
  permission: string,
  level: string,
  target: { allRepositories: boolean },
): Risk {
  const base = appPermissionBaseRisk(permission, level);
  if (target.allRepositories && permissionScope(permission) === 'repository' && accessOf(level) !== 'read') {
    const tier = bump(base.tier);
    if (tier !== base.tier) {
      return {
        tier,
        reason: `${base.reason} Escalated: ${level} access on all repositories.`,
        source: base.source,
      };
    }
  }
  return base;
}

/** A classic OAuth scope (SSO-authorised PATs and OAuth app tokens): its tier and access level. */
export function oauthScopeRisk(scope: string): { risk: Risk; access: AccessLevel } {
  for (const level of ['admin', 'write', 'read']) {
    const e = catalog('oauth-scope', scope, level);
    if (e) return { risk: fromCatalog(e), access: accessOf(e.level) };
  }
  const derived = OAUTH_DERIVED[scope];
  if (derived) return { risk: { tier: derived[0], reason: derived[2], source: DERIVED }, access: derived[1] };
  const access: AccessLevel = scope.startsWith('admin:')
    ? 'admin'
    : scope.startsWith('write:')
      ? 'write'
      : scope.startsWith('read:')
        ? 'read'
        : 'write';
  return {
    risk: {
      tier: access === 'admin' ? 'high' : access === 'write' ? 'medium' : 'low',
      reason: `OAuth scope '${scope}' is not in the risk catalog; default tier for ${access} access.`,
      source: 'grantscope default by access level',
    },
    access,
  };
}

/**
 * A deploy key's tier. A write key ranks critical: GitHub documents it as able to do what an org member
 * with admin access can do on its repository (the tier of `administration: write`), it is tied to no
 * person and never expires. The catalog's entry (high) is the base; the escalation is stated in the reason.
 */
export function deployKeyRisk(readOnly: boolean): Risk {
  const e = catalog('deploy-key', `deploy key (read_only=${readOnly})`, readOnly ? 'read' : 'write');
  const base: Risk = e
    ? fromCatalog(e)
    : readOnly
      ? { tier: 'medium', reason: 'Read-only deploy key.', source: DERIVED }
      : { tier: 'high', reason: 'Write deploy key.', source: DERIVED };
  if (readOnly || base.tier === 'critical') return base;
  return {
    tier: 'critical',
    reason:
      `${base.reason} Ranked critical: write access equivalent to repository administration, ` +
      'held by whoever has the private key.',
    source: base.source,
  };
}

/** An outside collaborator's repository role, tiered as the app permission it amounts to. */
export function collaboratorRisk(role: 'admin' | 'maintain' | 'write'): Risk {
  const [permission, what] =
    role === 'admin' ? ['administration', 'repository admin'] : ['contents', `repository ${role}`];
  const base = appPermissionBaseRisk(permission, 'write');
  return {
    tier: base.tier,
    reason: `Outside collaborator with ${what} role, comparable to ${permission}: write. ${base.reason}`,
    source: base.source,
  };
}

/** A webhook's event subscription: data leaves the org for the target host. */
export function webhookEventRisk(hook: { insecureSsl: boolean; plaintext: boolean }): Risk {
  if (hook.plaintext || hook.insecureSsl) {
    return {
      tier: 'medium',
      reason: hook.plaintext
        ? 'Event payloads are delivered over plain HTTP.'
        : 'Event payloads are delivered without TLS certificate verification (insecure_ssl=1).',
      source: DERIVED,
    };
  }
  return { tier: 'low', reason: 'Event payloads are delivered to an external host.', source: DERIVED };
}
