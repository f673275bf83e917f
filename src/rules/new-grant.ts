import type { Severity } from '../findings/severity.js';
import type { RiskTier } from '../model/index.js';
import { bundleIdentity, byRisk, highestTier } from './bundle-facts.js';
import { cappedList, grantEvidence } from './evidence.js';
import { defineRule } from './rule.js';
import { identityLabel, listSome, whereToManage } from './wording.js';

const SEVERITY_BY_TIER: Record<RiskTier, Severity> = {
  critical: 'high',
  high: 'high',
  medium: 'medium',
  low: 'low',
  unknown: 'low',
};

/** An identity that appeared since the previous scan, with what it was granted. */
export const newGrant = defineRule({
  id: 'new-grant',
  description: 'Identities that appeared since the previous scan, with their grants.',
  findingType: 'new-unapproved-grant',
  needsDiff: true,
  quietWhenUnchanged: true,
  settings: {},
  evaluate(bundle, { diff, vocabulary }) {
    const added = diff?.addedIdentity(bundle.source, bundle.identityKey);
    if (!added) return [];
    const who = bundleIdentity(bundle);
    const grants = byRisk(bundle.grants);
    const tier = highestTier(grants);
    const identity = added.record;
    const what =
      grants.length === 0
        ? 'with no grants yet'
        : `with ${grants.length} grant${grants.length === 1 ? '' : 's'}: ${listSome(grants.map((g) => `${g.permission.name} (${g.permission.access})`))}`;
    return [
      {
        severity: SEVERITY_BY_TIER[tier],
        subject: null,
        title: `New ${identityLabel(who, vocabulary)} ${what}`,
        evidence: {
          createdAt: identity.createdAt,
          publisher: {
            name: identity.publisher.name,
            id: identity.publisher.id,
            verified: identity.publisher.verified,
          },
          origin: identity.origin,
          highestTier: tier,
          grantedBy: [
            ...new Set(grants.flatMap((g) => (g.grantedBy ? [g.grantedBy.name ?? g.grantedBy.id] : []))),
          ],
          ...cappedList('grants', grants, grantEvidence),
        },
        remediation:
          `Confirm that ${who.name ?? 'this identity'} was requested and approved, and that it needs this access; ` +
          `if not, revoke it ${whereToManage(who)}.`,
      },
    ];
  },
});
