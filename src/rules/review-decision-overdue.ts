import { grantsDigest } from '../governance/grants-digest.js';
import type { IdentityBundle } from '../store/store.js';
import { bundleIdentity, DAY_MS, highestTier, wholeDays } from './bundle-facts.js';
import { reviewEvidence } from './overdue-review.js';
import { RECERTIFICATION_FRAMEWORKS } from './review-frameworks.js';
import { defineRule } from './rule.js';
import { days } from './settings.js';
import { dayCount, identityLabel, whereToManage } from './wording.js';

/**
 * Still able to act: it holds a grant or a credential, or its record is there and not disabled. An
 * Entra service principal whose consents were revoked, or a disabled one, has been dealt with.
 */
function stillPresent(b: IdentityBundle): boolean {
  return (
    b.grants.length > 0 || b.credentials.length > 0 || (b.identity !== null && b.identity.enabled !== false)
  );
}

/**
 * A review decided `revoke` (or `reduce`) and the due date has passed: `until` when the reviewer gave
 * one, else the review date plus the policy's grace. `revoke` is overdue while the identity is still
 * present (see `stillPresent`). `reduce` is overdue when its grants are exactly what they were when it
 * was reviewed (the digest recorded by `grantscope review`); a review from the governance file records
 * no grants, so an unfinished reduction cannot be told from a finished one there and is not reported.
 */
export const reviewDecisionOverdue = defineRule({
  id: 'review-decision-overdue',
  description: 'A review decided to revoke or reduce an identity, and it is not done after its due date.',
  findingType: 'recertification',
  frameworks: RECERTIFICATION_FRAMEWORKS,
  needsDiff: false,
  settings: {
    revokeGraceDays: days
      .default(14)
      .describe('Days after a `revoke` review by which it must be gone, when the review gives no `until`'),
    reduceGraceDays: days
      .default(30)
      .describe(
        'Days after a `reduce` review by which its grants must change, when the review gives no `until`',
      ),
  },
  // Nothing without a review; a reviewed identity is evaluated on every scan.
  validUntil: (bundle, { reviews }) =>
    reviews?.of(bundle) ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY,
  evaluate(bundle, { policy, asOf, vocabulary, reviews }) {
    const review = reviews?.of(bundle) ?? null;
    if (!review || review.decision === 'keep') return [];
    const grace = review.decision === 'revoke' ? policy.revokeGraceDays : policy.reduceGraceDays;
    const due = review.until ? Date.parse(review.until) : Date.parse(review.date) + grace * DAY_MS;
    const now = asOf.getTime();
    if (now <= due) return [];
    if (review.decision === 'revoke' && !stillPresent(bundle)) return [];
    if (review.decision === 'reduce') {
      if (review.grantsDigest === null || grantsDigest(bundle.grants) !== review.grantsDigest) return [];
    }
    const who = bundleIdentity(bundle);
    const label = identityLabel(who, vocabulary);
    const late = dayCount(wholeDays(due, now));
    const revoke = review.decision === 'revoke';
    return [
      {
        severity: revoke ? 'high' : 'medium',
        subject: null,
        title: revoke
          ? `${label} is still present ${late} after ${review.reviewer} decided to revoke it`
          : `${label} still has the grants ${review.reviewer} decided to reduce, ${late} after the due date`,
        evidence: {
          review: reviewEvidence(review),
          note: review.note,
          dueAt: new Date(due).toISOString(),
          daysOverdue: wholeDays(due, now),
          graceDays: review.until ? null : grace,
          grantCount: bundle.grants.length,
          credentialCount: bundle.credentials.length,
          enabled: bundle.identity?.enabled ?? null,
          highestTier: highestTier(bundle.grants),
        },
        remediation: revoke
          ? `Carry out the decision: remove it and its credentials ${whereToManage(who)}. If it must stay after all, record a new review with --decision keep.`
          : `Carry out the decision: remove the grants it does not need ${whereToManage(who)}, or record a new review if the decision changed.`,
      },
    ];
  },
});
