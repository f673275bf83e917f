import type { ExpansionChange, ScopeExpansion } from '../diff/types.js';
import type { Json } from '../model/index.js';
import { bundleIdentity, tierAtLeast } from './bundle-facts.js';
import { cappedList } from './evidence.js';
import { defineRule } from './rule.js';
import { TierThreshold } from './settings.js';
import { describeGrant, identityLabel, listSome, whereToManage } from './wording.js';

function describeChange(c: ExpansionChange): string {
  switch (c.reason) {
    case 'new-grant':
      return 'new';
    case 'access-level':
      return `${c.before} → ${c.after}`;
    case 'target-breadth':
      return `${c.before} → ${c.after}`;
    case 'more-resources':
      return `${c.before} → ${c.after} resources`;
  }
}

function summary(e: ScopeExpansion): string {
  return `${e.grant.permission.name} (${e.changes.map(describeChange).join(', ')})`;
}

function expansionEvidence(e: ScopeExpansion): Json {
  return {
    grant: describeGrant(e.grant),
    permission: e.grant.permission.name,
    permissionId: e.grant.permission.id,
    resource: e.grant.permission.resource,
    tier: e.grant.risk.tier,
    changes: e.changes.map((c): Json => ({ ...c, after: c.after as Json })),
    before: e.previous ? describeGrant(e.previous) : null,
  };
}

/** For an identity that existed before: new grants, higher access, broader targets, more resources. */
export const scopeExpansion = defineRule({
  id: 'scope-expansion',
  description: 'Existing identities whose grants widened since the previous scan.',
  findingType: 'scope-expansion',
  needsDiff: true,
  quietWhenUnchanged: true,
  settings: {
    elevateAtTier: TierThreshold.default('high').describe(
      'Severity is high (else medium) when a widened grant is at this tier or above',
    ),
  },
  evaluate(bundle, { diff, policy, vocabulary }) {
    const expansions = diff?.expansionsOf(bundle.source, bundle.identityKey) ?? [];
    if (expansions.length === 0) return [];
    const who = bundleIdentity(bundle);
    const elevated = expansions.filter((e) => tierAtLeast(e.grant.risk.tier, policy.elevateAtTier));
    const ordered = [...elevated, ...expansions.filter((e) => !elevated.includes(e))];
    return [
      {
        severity: elevated.length > 0 ? 'high' : 'medium',
        subject: null,
        title: `${identityLabel(who, vocabulary)} gained access since the previous scan: ${listSome(ordered.map(summary))}`,
        evidence: {
          elevateAtTier: policy.elevateAtTier,
          ...cappedList('expansions', ordered, expansionEvidence),
        },
        remediation:
          `Check that the wider access of ${who.name ?? 'this identity'} was requested and approved; ` +
          `if not, reduce it or revoke the identity ${whereToManage(who)}.`,
      },
    ];
  },
});
