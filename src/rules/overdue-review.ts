import { z } from 'zod';
import type { ReviewInForce } from '../governance/reviews-in-force.js';
import type { Json } from '../model/index.js';
import { bundleIdentity, DAY_MS, highestTier, nextDayAfter, tierAtLeast, wholeDays } from './bundle-facts.js';
import { RECERTIFICATION_FRAMEWORKS } from './review-frameworks.js';
import { defineRule } from './rule.js';
import { days, TierThreshold } from './settings.js';
import { dayCount, identityLabel } from './wording.js';

/** `grantscope review <id> …` as a user would type it (quoted when the id needs it). */
export function reviewCommand(nativeId: string): string {
  const id = /^[\w.@:/#+=-]+$/.test(nativeId) ? nativeId : `'${nativeId.replaceAll("'", "'\\''")}'`;
  return `grantscope review ${id} --decision keep|reduce|revoke --reviewer <you>`;
}

export function reviewEvidence(r: ReviewInForce): Json {
  return {
    decision: r.decision,
    reviewer: r.reviewer,
    date: r.date,
    until: r.until,
    source: r.source,
    ...(r.file ? { file: r.file.file, line: r.file.line } : {}),
  };
}

/**
 * Recertification: every identity is reviewed within a period (`grantscope review`, or a review in
 * the governance file; the latest counts). The period is `periodDays` (90), or `criticalPeriodDays`
 * (30) for an identity holding a grant at `criticalAtTier` or above: "critical" means the identity's
 * highest grant risk tier, which the snapshot knows, not other rules' findings. A `keep` review with
 * an `until` earlier than the period is due then. Identities never reviewed are reported only with
 * `reportNeverReviewed` (off by default, so a first run is not drowned; `grantscope reviews due` lists
 * them); they are due a period after their creation. Platform first-party apps are held to it only
 * once someone has reviewed them. An identity whose review decided `revoke` is not due for another
 * review: `review-decision-overdue` follows it up.
 */
export const overdueReview = defineRule({
  id: 'overdue-review',
  description: 'Identities not reviewed within the policy period (default 90 days; 30 for critical access).',
  findingType: 'recertification',
  frameworks: RECERTIFICATION_FRAMEWORKS,
  needsDiff: false,
  settings: {
    periodDays: days.default(90).describe('Review every identity at least this often (days)'),
    criticalPeriodDays: days
      .default(30)
      .describe('Review identities holding a grant at `criticalAtTier` or above this often (days)'),
    criticalAtTier: TierThreshold.default('critical').describe(
      'Grants at this tier or above make an identity critical (shorter period, high severity)',
    ),
    reportNeverReviewed: z
      .boolean()
      .default(false)
      .describe('Also report identities never reviewed, once a period has passed since their creation'),
  },
  // A reviewed identity is evaluated on every scan (reviews are recorded between scans); one never
  // reviewed is due a period after its creation, then its day counts tick.
  validUntil(bundle, { policy, asOf, reviews }) {
    if (reviews?.of(bundle)) return Number.NEGATIVE_INFINITY;
    const identity = bundle.identity;
    if (!policy.reportNeverReviewed || identity?.origin === 'platform') return Number.POSITIVE_INFINITY;
    if (!identity?.createdAt) return Number.POSITIVE_INFINITY;
    const critical = tierAtLeast(highestTier(bundle.grants), policy.criticalAtTier);
    const due =
      Date.parse(identity.createdAt) + (critical ? policy.criticalPeriodDays : policy.periodDays) * DAY_MS;
    const now = asOf.getTime();
    return now <= due ? due + 1 : nextDayAfter(due, now);
  },
  evaluate(bundle, { policy, asOf, vocabulary, reviews }) {
    const review = reviews?.of(bundle) ?? null;
    const identity = bundle.identity;
    if (!review && (!policy.reportNeverReviewed || identity?.origin === 'platform')) return [];
    // Decided for removal: what is due is the removal (`review-decision-overdue`), not another review.
    if (review?.decision === 'revoke') return [];
    const tier = highestTier(bundle.grants);
    const critical = tierAtLeast(tier, policy.criticalAtTier);
    const period = critical ? policy.criticalPeriodDays : policy.periodDays;
    const now = asOf.getTime();
    const since = review
      ? Date.parse(review.date)
      : identity?.createdAt
        ? Date.parse(identity.createdAt)
        : null;
    let due = since === null ? Number.NEGATIVE_INFINITY : since + period * DAY_MS;
    if (review?.decision === 'keep' && review.until) due = Math.min(due, Date.parse(review.until));
    if (now <= due) return [];
    const who = bundleIdentity(bundle);
    const label = identityLabel(who, vocabulary);
    const every = `due every ${dayCount(period)}${critical ? ` for ${tier} access` : ''}`;
    const title = review
      ? `${label} was last reviewed ${dayCount(wholeDays(Date.parse(review.date), now))} ago (${every})`
      : since === null
        ? `${label} has never been reviewed (${every})`
        : `${label} has never been reviewed since it was created ${dayCount(wholeDays(since, now))} ago (${every})`;
    return [
      {
        severity: critical ? 'high' : 'medium',
        subject: null,
        title,
        evidence: {
          lastReview: review ? reviewEvidence(review) : null,
          periodDays: period,
          critical,
          highestTier: tier,
          dueAt: Number.isFinite(due) ? new Date(due).toISOString() : null,
          daysOverdue: Number.isFinite(due) ? wholeDays(due, now) : null,
          createdAt: identity?.createdAt ?? null,
        },
        remediation:
          `Have its owner confirm it is still needed and what it may reach, then record the decision: ` +
          `\`${reviewCommand(who.nativeId)}\` (or a review in the governance file).`,
      },
    ];
  },
});
