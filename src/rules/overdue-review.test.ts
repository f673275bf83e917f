import { describe, expect, it } from 'vitest';
import { bundle, daysBefore, grant, identity } from '../../test/support/records.js';
import { fileReview, reviewsOf, storedReview } from '../../test/support/reviews.js';
import { AS_OF, policyWith } from '../../test/support/rules.js';
import { BUILTIN_VOCABULARY } from '../../test/support/vocabulary.js';
import { Finding } from '../findings/finding.js';
import type { ReviewsInForce } from '../governance/reviews-in-force.js';
import type { Policy } from '../policy/schema.js';
import type { IdentityBundle } from '../store/store.js';
import { evaluateRules } from './evaluate.js';
import { overdueReview } from './overdue-review.js';
import type { AnyRule } from './rule.js';
import { stale } from './stale.js';

async function run(
  bundles: IdentityBundle[],
  reviews: ReviewsInForce,
  policy: Policy = policyWith(),
  rules: readonly AnyRule[] = [overdueReview],
) {
  const drafts = await evaluateRules({
    bundles,
    diff: null,
    policy,
    asOf: AS_OF,
    vocabulary: BUILTIN_VOCABULARY,
    rules,
    reviews,
  });
  for (const d of drafts)
    Finding.parse({ ...d, firstSeen: AS_OF.toISOString(), lastSeen: AS_OF.toISOString(), scanId: 1 });
  return drafts;
}

const app = identity();
const critical = grant({
  permission: { id: 'administration', name: 'administration', access: 'write' },
  risk: { tier: 'critical' },
});

describe('overdue-review', () => {
  it('a review within the period is fresh; past it the identity is overdue', async () => {
    const fresh = reviewsOf([storedReview({ reviewedAt: daysBefore(AS_OF, 89) })]);
    expect(await run([bundle(app)], fresh)).toEqual([]);

    const old = reviewsOf([storedReview({ reviewedAt: daysBefore(AS_OF, 120), reviewer: 'carol' })]);
    const [f] = await run([bundle(app)], old);
    expect(f).toMatchObject({
      rule: 'overdue-review',
      severity: 'medium',
      title: '"Acme CI" (GitHub App installation) was last reviewed 120 days ago (due every 90 days)',
      evidence: {
        periodDays: 90,
        critical: false,
        daysOverdue: 30,
        lastReview: { reviewer: 'carol', source: 'store' },
      },
      lastReview: { decision: 'keep', reviewer: 'carol', source: 'store' },
    });
    expect(f!.remediation).toContain('grantscope review 1001 --decision keep|reduce|revoke');
    expect(f!.frameworks.nistCsf).toEqual(['GV.RR-02', 'PR.AA-05']);
  });

  it('an identity holding critical access is due every 30 days, at high severity', async () => {
    const reviews = reviewsOf([storedReview({ reviewedAt: daysBefore(AS_OF, 45) })]);
    expect(await run([bundle(app)], reviews)).toEqual([]);
    const [f] = await run([bundle(app, [critical])], reviews);
    expect(f).toMatchObject({
      severity: 'high',
      evidence: { periodDays: 30, critical: true, highestTier: 'critical', daysOverdue: 15 },
    });
    expect(f!.title).toContain('due every 30 days for critical access');
    // The threshold is the policy's.
    const lenient = policyWith({ 'overdue-review': { criticalPeriodDays: 60 } });
    expect(await run([bundle(app, [critical])], reviews, lenient)).toEqual([]);
  });

  it('the latest review counts, whether recorded in the store or written in the governance file', async () => {
    const storeOld = storedReview({ reviewedAt: daysBefore(AS_OF, 200) });
    const fileNew = fileReview({ date: daysBefore(AS_OF, 10).slice(0, 10) });
    expect(await run([bundle(app)], reviewsOf([storeOld], [fileNew]))).toEqual([]);
    const fileOld = fileReview({ date: daysBefore(AS_OF, 150).slice(0, 10), reviewer: 'bob' });
    const [f] = await run([bundle(app)], reviewsOf([storeOld], [fileOld]));
    expect(f!.lastReview).toMatchObject({ reviewer: 'bob', source: 'file' });
    expect(f!.evidence.lastReview).toMatchObject({ file: 'governance.yaml', line: 12 });
    // A file review for another identity does not count.
    const other = fileReview({
      match: { platform: 'github', id: '9999' },
      date: daysBefore(AS_OF, 1).slice(0, 10),
    });
    expect(await run([bundle(app)], reviewsOf([storeOld], [other]))).toHaveLength(1);
  });

  it('a revoke decision is followed up by review-decision-overdue, not by another review', async () => {
    const reviews = reviewsOf([storedReview({ decision: 'revoke', reviewedAt: daysBefore(AS_OF, 200) })]);
    expect(await run([bundle(app)], reviews)).toEqual([]);
    const reduced = reviewsOf([storedReview({ decision: 'reduce', reviewedAt: daysBefore(AS_OF, 200) })]);
    expect(await run([bundle(app)], reduced)).toHaveLength(1);
  });

  it('a keep review with an earlier until is due then', async () => {
    const reviews = reviewsOf([
      storedReview({ reviewedAt: daysBefore(AS_OF, 20), until: daysBefore(AS_OF, 1) }),
    ]);
    expect(await run([bundle(app)], reviews)).toHaveLength(1);
  });

  it('never-reviewed identities are reported only when the policy asks, a period after creation', async () => {
    const none = reviewsOf([]);
    expect(await run([bundle(app)], none)).toEqual([]);
    const policy = policyWith({ 'overdue-review': { reportNeverReviewed: true } });
    const [f] = await run([bundle(app)], none, policy);
    expect(f!.title).toMatch(/has never been reviewed since it was created \d+ days ago/);
    expect(f!.lastReview).toBeUndefined();
    const young = identity({ createdAt: daysBefore(AS_OF, 10) });
    expect(await run([bundle(young)], none, policy)).toEqual([]);
    const firstParty = identity({ origin: 'platform' });
    expect(await run([bundle(firstParty)], none, policy)).toEqual([]);
  });

  it("other rules' findings about a reviewed identity carry its lastReview", async () => {
    const idle = identity({ lastUsed: { at: daysBefore(AS_OF, 200), source: 'test' } });
    const reviews = reviewsOf([storedReview({ reviewedAt: daysBefore(AS_OF, 5), note: 'needed for CI' })]);
    const [f] = await run([bundle(idle)], reviews, policyWith(), [stale]);
    expect(f).toMatchObject({
      rule: 'stale',
      lastReview: { decision: 'keep', note: 'needed for CI', source: 'store' },
    });
  });
});
