import { describe, expect, it } from 'vitest';
import { bundle, credential, daysBefore, grant, identity } from '../../test/support/records.js';
import { fileReview, reviewsOf, storedReview } from '../../test/support/reviews.js';
import { AS_OF, policyWith } from '../../test/support/rules.js';
import { BUILTIN_VOCABULARY } from '../../test/support/vocabulary.js';
import { grantsDigest } from '../governance/grants-digest.js';
import type { ReviewsInForce } from '../governance/reviews-in-force.js';
import type { IdentityBundle } from '../store/store.js';
import { evaluateRules } from './evaluate.js';
import { reviewDecisionOverdue } from './review-decision-overdue.js';

function run(bundles: IdentityBundle[], reviews: ReviewsInForce, policy = policyWith()) {
  return evaluateRules({
    bundles,
    diff: null,
    policy,
    asOf: AS_OF,
    vocabulary: BUILTIN_VOCABULARY,
    rules: [reviewDecisionOverdue],
    reviews,
  });
}

const app = identity();
const contents = grant();
const wide = grant({ access: 'write' });

describe('review-decision-overdue', () => {
  it('revoke: nothing within the grace period; still present after it is a finding', async () => {
    const within = reviewsOf([storedReview({ decision: 'revoke', reviewedAt: daysBefore(AS_OF, 10) })]);
    expect(await run([bundle(app, [contents])], within)).toEqual([]);
    const past = reviewsOf([
      storedReview({
        decision: 'revoke',
        reviewer: 'carol',
        reviewedAt: daysBefore(AS_OF, 20),
        note: 'vendor gone',
      }),
    ]);
    const [f] = await run([bundle(app, [contents])], past);
    expect(f).toMatchObject({
      rule: 'review-decision-overdue',
      severity: 'high',
      title: '"Acme CI" (GitHub App installation) is still present 6 days after carol decided to revoke it',
      evidence: { graceDays: 14, daysOverdue: 6, note: 'vendor gone', grantCount: 1 },
      lastReview: { decision: 'revoke', reviewer: 'carol' },
    });
    // The policy sets the grace.
    expect(
      await run(
        [bundle(app, [contents])],
        past,
        policyWith({ 'review-decision-overdue': { revokeGraceDays: 30 } }),
      ),
    ).toEqual([]);
  });

  it('revoke: an --until date replaces the grace period', async () => {
    const later = reviewsOf([
      storedReview({ decision: 'revoke', reviewedAt: daysBefore(AS_OF, 40), until: daysBefore(AS_OF, -5) }),
    ]);
    expect(await run([bundle(app, [contents])], later)).toEqual([]);
    const due = reviewsOf([
      storedReview({ decision: 'revoke', reviewedAt: daysBefore(AS_OF, 3), until: daysBefore(AS_OF, 1) }),
    ]);
    const [f] = await run([bundle(app, [contents])], due);
    expect(f!.evidence).toMatchObject({ graceDays: null, daysOverdue: 1 });
  });

  it('revoke carried out: gone from the snapshot, or left disabled with no grant nor credential', async () => {
    const past = reviewsOf([storedReview({ decision: 'revoke', reviewedAt: daysBefore(AS_OF, 60) })]);
    expect(await run([], past)).toEqual([]);
    expect(await run([bundle(identity({ enabled: false }))], past)).toEqual([]);
    // Disabled but still holding a credential: not done.
    const sp = identity({ enabled: false });
    const secret = credential({
      identity: { kind: 'github-app-installation', nativeId: '1001' },
      platform: 'github',
      tenant: { id: 'acme' },
    });
    expect(await run([bundle(sp, [], [secret])], past)).toHaveLength(1);
  });

  it('reduce: unchanged grants after the due date are a finding; changed grants are not', async () => {
    const reviewed = [contents, wide];
    const reduce = reviewsOf([
      storedReview({
        decision: 'reduce',
        reviewedAt: daysBefore(AS_OF, 45),
        grantsDigest: grantsDigest(reviewed),
      }),
    ]);
    const [f] = await run([bundle(app, [wide, contents])], reduce);
    expect(f).toMatchObject({ severity: 'medium', evidence: { graceDays: 30, daysOverdue: 15 } });
    expect(f!.title).toContain('still has the grants alice decided to reduce');
    expect(await run([bundle(app, [contents])], reduce)).toEqual([]);
  });

  it('reduce from the governance file (no grants recorded) cannot be judged; keep never is', async () => {
    const file = reviewsOf(
      [],
      [fileReview({ decision: 'reduce', date: daysBefore(AS_OF, 200).slice(0, 10) })],
    );
    expect(await run([bundle(app, [contents])], file)).toEqual([]);
    const keep = reviewsOf([storedReview({ decision: 'keep', reviewedAt: daysBefore(AS_OF, 400) })]);
    expect(await run([bundle(app, [contents])], keep)).toEqual([]);
    // A revoke in the file is judged like one in the store.
    const revoke = reviewsOf(
      [],
      [fileReview({ decision: 'revoke', date: daysBefore(AS_OF, 30).slice(0, 10) })],
    );
    expect(await run([bundle(app, [contents])], revoke)).toHaveLength(1);
  });

  it('a later keep supersedes an earlier revoke', async () => {
    const reviews = reviewsOf(
      [storedReview({ decision: 'revoke', reviewedAt: daysBefore(AS_OF, 60) })],
      [fileReview({ decision: 'keep', date: daysBefore(AS_OF, 2).slice(0, 10) })],
    );
    expect(await run([bundle(app, [contents])], reviews)).toEqual([]);
  });
});
