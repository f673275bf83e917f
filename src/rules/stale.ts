import { bundleIdentity, DAY_MS, highestTier, nextDayAfter, tierAtLeast, wholeDays } from './bundle-facts.js';
import { defineRule } from './rule.js';
import { days, TierThreshold } from './settings.js';
import { dayCount, identityLabel, whereToManage } from './wording.js';

/**
 * Identities with a usage signal that were not used for `unusedDays`, or never used and older than
 * `neverUsedGraceDays`. Without a signal (`lastUsed: null`) nothing can be said, so nothing is reported.
 */
export const stale = defineRule({
  id: 'stale',
  description: 'Identities not used for a while (default 90 days), or never used since creation (30 days).',
  findingType: 'stale',
  needsDiff: false,
  settings: {
    unusedDays: days.default(90).describe('Last used more than this many days before as-of: stale'),
    neverUsedGraceDays: days
      .default(30)
      .describe('Never used and created more than this many days before as-of: stale'),
    elevateAtTier: TierThreshold.default('high').describe(
      'Severity is high (else medium) when the identity holds a grant at this tier or above',
    ),
  },
  // Until the identity passes its threshold (stale from then), or, once stale, until the day count ticks.
  validUntil(bundle, { policy, asOf }) {
    const identity = bundle.identity;
    if (!identity?.lastUsed) return Number.POSITIVE_INFINITY;
    const [since, days] =
      identity.lastUsed.at !== null
        ? [Date.parse(identity.lastUsed.at), policy.unusedDays]
        : identity.createdAt !== null
          ? [Date.parse(identity.createdAt), policy.neverUsedGraceDays]
          : [null, 0];
    if (since === null) return Number.POSITIVE_INFINITY;
    const now = asOf.getTime();
    const threshold = since + days * DAY_MS;
    return now <= threshold ? threshold + 1 : nextDayAfter(since, now);
  },
  evaluate(bundle, { policy, asOf, vocabulary }) {
    const identity = bundle.identity;
    if (!identity?.lastUsed) return [];
    const now = asOf.getTime();
    const who = bundleIdentity(bundle);
    const tier = highestTier(bundle.grants);
    const severity = tierAtLeast(tier, policy.elevateAtTier) ? ('high' as const) : ('medium' as const);
    const remediation =
      `If nothing depends on ${who.name ?? 'it'} any more, remove it ${whereToManage(who)}; ` +
      'otherwise find out why it shows no use and record who keeps it.';
    // No `asOf` here: the finding's last-seen time says when it held, and a time that differs on every
    // scan would rewrite every such finding of an unchanged tenant (issue 12: < 64 KiB per rescan).
    const common = {
      usageSource: identity.lastUsed.source,
      highestTier: tier,
      grantCount: bundle.grants.length,
    };

    if (identity.lastUsed.at !== null) {
      const last = Date.parse(identity.lastUsed.at);
      if (now - last <= policy.unusedDays * 86_400_000) return [];
      const days = wholeDays(last, now);
      return [
        {
          severity,
          subject: null,
          title: `${identityLabel(who, vocabulary)} has not been used for ${dayCount(days)}`,
          evidence: {
            lastUsedAt: identity.lastUsed.at,
            daysSinceLastUse: days,
            unusedDays: policy.unusedDays,
            ...common,
          },
          remediation,
        },
      ];
    }

    // The source says "never used": stale once past the grace period after creation.
    if (identity.createdAt === null) return [];
    const created = Date.parse(identity.createdAt);
    if (now - created <= policy.neverUsedGraceDays * 86_400_000) return [];
    const days = wholeDays(created, now);
    return [
      {
        severity,
        subject: null,
        title: `${identityLabel(who, vocabulary)} has never been used (created ${dayCount(days)} ago)`,
        evidence: {
          lastUsedAt: null,
          createdAt: identity.createdAt,
          daysSinceCreated: days,
          neverUsedGraceDays: policy.neverUsedGraceDays,
          ...common,
        },
        remediation,
      },
    ];
  },
});
