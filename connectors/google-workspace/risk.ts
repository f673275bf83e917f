import type { z } from 'zod';
import {
  type ConnectorVocabulary,
  PermissionCatalogEntry,
  permissionCatalog,
} from '../../src/connector/vocabulary.js';
import { type AccessLevel, RISK_ORDER, type RiskTier } from '../../src/model/common.js';
import type { Risk } from '../../src/model/grant.js';
import data from './risk-catalog.json' with { type: 'json' };

/**
 * What Google's records are called, and the rule settings that suit them. The engine knows no
 * platform: finding titles and the policy's defaults take these (see `ConnectorVocabulary`).
 */
export const vocabulary: ConnectorVocabulary = {
  identityKinds: {
    'oauth-client': { label: 'OAuth client' },
    'domain-wide-delegation': { label: 'domain-wide delegation' },
    'service-account': { label: 'service account' },
  },
  credentialTypes: {
    'service-account-key': { label: 'service account key' },
  },
  policyDefaults: {
    // CIS GCP Foundations 1.4/1.7: rotate user-managed service account keys every 90 days or less.
    'credential-hygiene': { maxLifetimeDays: { 'service-account-key': 90 } },
  },
};

/** `permission`: the scope URL (or `openid`, `email`, `profile`), or the domain-wide delegation entry. */
const CatalogEntry = PermissionCatalogEntry;
type CatalogEntry = z.infer<typeof CatalogEntry>;
const Catalog = permissionCatalog(CatalogEntry);

const SCOPE = 'https://www.googleapis.com/auth/';
const DWD_ENTRY = 'domain-wide delegation (any scope)';

/** Google accepts these long forms of the OpenID scopes. */
const ALIASES: Record<string, string> = {
  [`${SCOPE}userinfo.email`]: 'email',
  [`${SCOPE}userinfo.profile`]: 'profile',
  [`${SCOPE}plus.me`]: 'profile',
};

let index: Map<string, CatalogEntry> | undefined;
function catalog(): Map<string, CatalogEntry> {
  index ??= new Map(Catalog.parse(data).entries.map((e) => [e.permission, e]));
  return index;
}

const TIERS: RiskTier[] = ['low', 'medium', 'high', 'critical'];
function raise(tier: RiskTier, steps: number): RiskTier {
  if (tier === 'unknown') return 'unknown';
  return TIERS[Math.min(TIERS.length - 1, Math.max(0, TIERS.indexOf(tier) + steps))]!;
}
function maxTier(a: RiskTier, b: RiskTier): RiskTier {
  return RISK_ORDER[a] >= RISK_ORDER[b] ? a : b;
}

function isReadOnlyName(scope: string): boolean {
  return (
    /\.readonly$|\.read-only$/.test(scope) || scope === 'openid' || scope === 'email' || scope === 'profile'
  );
}

/** Admin SDK write scopes (`admin.directory.user`, `admin.directory.group`, …): can change who holds access. */
function isAdminWrite(scope: string): boolean {
  return scope.startsWith(`${SCOPE}admin.`) && !isReadOnlyName(scope);
}

export interface ScopeAssessment {
  access: AccessLevel;
  risk: Risk;
}

/**
 * Risk of an OAuth scope granted to a user-consented app. The catalog decides; on top of it, every Admin
 * SDK write scope ranks critical (it can change who holds access), and a `.readonly` scope missing from the
 * catalog ranks one tier below its read-write form.
 */
export function scopeRisk(rawScope: string): ScopeAssessment {
  const scope = ALIASES[rawScope] ?? rawScope;
  const entry = catalog().get(scope);
  if (entry) {
    const access = (['read', 'write', 'admin'] as const).find((a) => a === entry.level) ?? 'write';
    if (isAdminWrite(scope) && entry.risk !== 'critical') {
      return {
        access,
        risk: {
          tier: 'critical',
          reason: `Admin SDK write scope. ${entry.reason}`,
          source: `${entry.source}; grantscope: Admin SDK write scopes rank critical`,
        },
      };
    }
    return { access, risk: { tier: entry.risk, reason: entry.reason, source: entry.source } };
  }
  if (isAdminWrite(scope)) {
    return {
      access: 'admin',
      risk: {
        tier: 'critical',
        reason: 'Admin SDK write scope: can change users, groups or settings of the domain.',
        source: 'grantscope: Admin SDK write scopes rank critical',
      },
    };
  }
  const readOnlyOf = scope.replace(/\.readonly$/, '');
  const base = readOnlyOf !== scope ? catalog().get(readOnlyOf) : undefined;
  if (base) {
    const tier = raise(base.risk, -1);
    return {
      access: 'read',
      risk: {
        tier,
        reason: `Read-only form of ${readOnlyOf} (${base.reason})`,
        source: `derived from ${base.source}`,
      },
    };
  }
  return {
    access: isReadOnlyName(scope) ? 'read' : 'write',
    risk: { tier: 'unknown', reason: null, source: null },
  };
}

/**
 * Risk of a scope held through domain-wide delegation: the service account can act as every user without
 * their consent, so the scope's tier is raised one step and is at least high (catalog entry
 * "domain-wide delegation (any scope)"; Google's DWD best practices).
 */
export function delegatedScopeRisk(scope: string): ScopeAssessment {
  const base = scopeRisk(scope);
  const dwd = catalog().get(DWD_ENTRY);
  const tier = maxTier('high', base.risk.tier === 'unknown' ? 'high' : raise(base.risk.tier, 1));
  return {
    access: base.access,
    risk: {
      tier,
      reason: `Domain-wide delegation: acts as every user without consent${base.risk.reason ? `. ${base.risk.reason}` : ''}`,
      source: dwd?.source ?? 'support.google.com/a/answer/14437356',
    },
  };
}
