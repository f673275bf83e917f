import type { Severity } from '../findings/severity.js';
import { bundleIdentity, byRisk, highestTier, tierAtLeast } from './bundle-facts.js';
import { cappedList, grantEvidence } from './evidence.js';
import { defineRule } from './rule.js';
import { TierThreshold } from './settings.js';
import { identityLabel, listSome, whereToManage } from './wording.js';

/** One finding per identity holding grants at or above the policy's tier; severity = the highest tier. */
export const overPrivileged = defineRule({
  id: 'over-privileged',
  description: 'Identities holding permissions at or above a risk tier (default: high).',
  findingType: 'over-privileged',
  needsDiff: false,
  bundleOnly: true,
  settings: {
    minTier: TierThreshold.default('high').describe(
      'Grants at this risk tier or above make the identity over-privileged',
    ),
  },
  evaluate(bundle, { policy, vocabulary }) {
    const risky = byRisk(bundle.grants.filter((g) => tierAtLeast(g.risk.tier, policy.minTier)));
    if (risky.length === 0) return [];
    const who = bundleIdentity(bundle);
    const top = highestTier(risky);
    const names = [...new Set(risky.map((g) => `${g.permission.name} (${g.permission.access})`))];
    return [
      {
        // Tiers at or above a threshold are never `unknown`; they share their names with severities.
        severity: top as Severity,
        subject: null,
        title: `${identityLabel(who, vocabulary)} holds ${top}-risk permissions: ${listSome(names)}`,
        evidence: {
          minTier: policy.minTier,
          highestTier: top,
          enabled: bundle.identity?.enabled ?? null,
          ...cappedList('grants', risky, grantEvidence),
        },
        remediation:
          `Check which of these permissions ${who.name ?? 'this identity'} needs for its job; ` +
          `narrow or remove the rest, or revoke its access ${whereToManage(who)}.`,
      },
    ];
  },
});
