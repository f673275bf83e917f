import { z } from 'zod';
import type { ApprovalEntry } from '../governance/model.js';
import { governanceIndex, matchTarget } from '../governance/view.js';
import {
  ACCESS_ORDER,
  BREADTH_ORDER,
  type Credential,
  type Grant,
  type TargetBreadth,
} from '../model/index.js';
import { bundleIdentity, DAY_MS, tierAtLeast } from './bundle-facts.js';
import { grantEvidence } from './evidence.js';
import { defineRule, type RuleResult } from './rule.js';
import { TierThreshold } from './settings.js';
import { describeCredential, describeGrant, identityLabel, whereToManage } from './wording.js';

/** What the approvals matching one identity allow together (several entries add up). */
interface Baseline {
  /** Lower-cased permission names and ids → highest access approved (null: any). */
  permissions: Map<string, 'read' | 'write' | 'admin' | null>;
  breadth: TargetBreadth | null;
  credentialTypes: Set<string> | null;
  maxLifetimeDays: number | null;
  entries: ApprovalEntry[];
}

function baselineOf(entries: ApprovalEntry[]): Baseline {
  const permissions = new Map<string, 'read' | 'write' | 'admin' | null>();
  let breadth: TargetBreadth | null = null;
  let types: Set<string> | null = null;
  let lifetime: number | null = null;
  let anyTypes = false;
  let anyLifetime = false;
  for (const e of entries) {
    for (const name of e.permissions) {
      const k = name.toLowerCase();
      const access = e.maxAccess[name] ?? null;
      const had = permissions.get(k);
      const wider =
        had === null || access === null
          ? null
          : ACCESS_ORDER[access] > ACCESS_ORDER[had ?? 'read']
            ? access
            : (had ?? access);
      permissions.set(k, permissions.has(k) ? wider : access);
    }
    const b = (e.breadth ?? null) as TargetBreadth | null;
    if (b && (!breadth || BREADTH_ORDER[b] > BREADTH_ORDER[breadth])) breadth = b;
    // An entry that says nothing of credential types (or lifetime) does not limit them.
    if (e.credentialTypes === undefined) anyTypes = true;
    else types = new Set([...(types ?? []), ...e.credentialTypes.map((t) => t.toLowerCase())]);
    if (e.maxCredentialLifetimeDays === undefined) anyLifetime = true;
    else lifetime = Math.max(lifetime ?? 0, e.maxCredentialLifetimeDays);
  }
  return {
    permissions,
    breadth: entries.some((e) => e.breadth === undefined) ? null : breadth,
    credentialTypes: anyTypes ? null : types,
    maxLifetimeDays: anyLifetime ? null : lifetime,
    entries,
  };
}

function approvedAccess(b: Baseline, g: Grant): { approved: boolean; limit: string | null } {
  for (const k of [g.permission.name.toLowerCase(), g.permission.id.toLowerCase()]) {
    if (!b.permissions.has(k)) continue;
    const limit = b.permissions.get(k)!;
    return { approved: limit === null || ACCESS_ORDER[g.permission.access] <= ACCESS_ORDER[limit], limit };
  }
  return { approved: false, limit: null };
}

/** Lifetime in days, or null when the credential never expires (longer than any approval). */
function lifetimeDays(c: Credential): number | null {
  if (c.expiresAt === null) return null;
  const from = c.createdAt ? Date.parse(c.createdAt) : null;
  return from === null ? 0 : Math.ceil((Date.parse(c.expiresAt) - from) / DAY_MS);
}

/**
 * Grants beyond the approved baseline of an integration (governance file `approvals`): permissions not
 * approved or at a higher access level, a broader target, credential types not approved, credentials
 * living longer than approved. Judged on the snapshot, so a first scan already reports them. Each excess
 * is its own finding (subject `permission:…`, `breadth:…`, `credential:…`), so an exception for one
 * never covers another that comes later.
 */
export const unapprovedScope = defineRule({
  id: 'unapproved-scope',
  description: 'Grants and credentials beyond the approval recorded in the governance file.',
  findingType: 'new-unapproved-grant',
  needsDiff: false,
  quietWhenUnchanged: true,
  settings: {
    elevateAtTier: TierThreshold.default('high').describe(
      'Severity is high (else medium) when the unapproved grant is at this tier or above',
    ),
  },
  evaluate(bundle, { policy, vocabulary, governance }) {
    if (governance.approvals.length === 0) return [];
    const entries = governanceIndex(governance).approvals.find(matchTarget(bundle));
    if (entries.length === 0) return [];
    const b = baselineOf(entries);
    const who = bundleIdentity(bundle);
    const label = identityLabel(who, vocabulary);
    const approval = b.entries.map((e) => ({
      approver: e.approver,
      reference: e.reference ?? null,
      date: e.date,
      source: `${e.source.file}:${e.source.line}`,
    }));
    const out: RuleResult[] = [];
    const severity = (g: Grant) =>
      tierAtLeast(g.risk.tier, policy.elevateAtTier) ? ('high' as const) : ('medium' as const);
    const seen = new Set<string>();
    for (const g of bundle.grants) {
      const { approved, limit } = approvedAccess(b, g);
      if (!approved) {
        // The resource (a Graph resource app id) only where the platform has several APIs.
        const on = g.permission.resource ? `${g.permission.resource}/` : '';
        const subject = `permission:${on}${g.permission.name}:${g.permission.access}`;
        if (seen.has(subject)) continue;
        seen.add(subject);
        out.push({
          severity: severity(g),
          subject,
          title:
            limit === null
              ? `${label} holds ${g.permission.name} (${g.permission.access}), which its approval does not cover`
              : `${label} holds ${g.permission.name} at ${g.permission.access}; approved up to ${limit}`,
          evidence: { grant: grantEvidence(g), approvedAccess: limit, approval },
          remediation:
            `Remove ${describeGrant(g)} ${whereToManage(who)}, or record an approval that covers it ` +
            'in the governance file (with approver and reference).',
        });
      } else if (b.breadth && BREADTH_ORDER[g.target.breadth] > BREADTH_ORDER[b.breadth]) {
        const subject = `breadth:${g.permission.name}:${g.target.breadth}`;
        if (seen.has(subject)) continue;
        seen.add(subject);
        out.push({
          severity: severity(g),
          subject,
          title: `${label} reaches ${g.target.breadth} with ${g.permission.name}; approved up to ${b.breadth}`,
          evidence: { grant: grantEvidence(g), approvedBreadth: b.breadth, approval },
          remediation: `Narrow ${describeGrant(g)} to ${b.breadth} ${whereToManage(who)}, or widen the approval.`,
        });
      }
    }
    for (const c of bundle.credentials) {
      if (b.credentialTypes && !b.credentialTypes.has(c.credentialType.toLowerCase())) {
        out.push({
          severity: 'medium',
          subject: `credential:${c.nativeId}:type`,
          title: `${label} has a ${describeCredential(c, vocabulary)}; approved credential types: ${[...b.credentialTypes].join(', ') || 'none'}`,
          evidence: {
            credential: c.nativeId,
            credentialType: c.credentialType,
            approvedTypes: [...b.credentialTypes],
            approval,
          },
          remediation: `Remove the ${describeCredential(c, vocabulary)} ${whereToManage(who)}, or approve its type.`,
        });
      }
      const days = lifetimeDays(c);
      if (b.maxLifetimeDays !== null && (days === null || days > b.maxLifetimeDays)) {
        out.push({
          severity: 'medium',
          subject: `credential:${c.nativeId}:lifetime`,
          title:
            `${label}: ${describeCredential(c, vocabulary)} ` +
            `${days === null ? 'never expires' : `lives ${days} days`}; approved at most ${b.maxLifetimeDays} days`,
          evidence: {
            credential: c.nativeId,
            createdAt: c.createdAt,
            expiresAt: c.expiresAt,
            lifetimeDays: days,
            approvedMaxDays: b.maxLifetimeDays,
            approval,
          },
          remediation: `Replace it with a credential that expires within ${b.maxLifetimeDays} days ${whereToManage(who)}.`,
        });
      }
    }
    return out;
  },
});

/** Identities nobody approved (off by default, so that a first run is not drowned). */
export const unapproved = defineRule({
  id: 'unapproved',
  description: 'Identities with no approval in the governance file (off by default).',
  findingType: 'new-unapproved-grant',
  needsDiff: false,
  settings: {
    enabled: z
      .boolean()
      .default(false)
      .describe('Run the rule (off by default: a first run would list everything)'),
    exemptOrigins: z
      .array(z.enum(['third-party', 'internal', 'platform', 'unknown']))
      .default(['platform'])
      .describe('Origins that need no approval (vendor first-party apps)'),
  },
  // Without a governance file (the only time findings are carried) it reads the bundle alone.
  validUntil: () => Number.POSITIVE_INFINITY,
  evaluate(bundle, { policy, vocabulary, governance }) {
    if (!bundle.identity || policy.exemptOrigins.includes(bundle.identity.origin)) return [];
    if (governanceIndex(governance).approvals.find(matchTarget(bundle)).length > 0) return [];
    const who = bundleIdentity(bundle);
    return [
      {
        severity: 'low',
        subject: null,
        title: `${identityLabel(who, vocabulary)} has no recorded approval`,
        evidence: {
          origin: bundle.identity.origin,
          grantCount: bundle.grants.length,
          credentialCount: bundle.credentials.length,
        },
        remediation:
          'Record its approved baseline (permissions, breadth, credential types, approver, reference) in the ' +
          `governance file, or remove it ${whereToManage(who)}.`,
      },
    ];
  },
});
