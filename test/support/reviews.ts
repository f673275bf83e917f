import type { ReviewEntry } from '../../src/governance/model.js';
import { ReviewsInForce } from '../../src/governance/reviews-in-force.js';
import type { StoredReview } from '../../src/store/store.js';

/** A review as the store returns it, about the test records' default identity (GitHub App 1001 in acme). */
export function storedReview(over: Partial<StoredReview> = {}): StoredReview {
  return {
    id: 1,
    platform: 'github',
    tenant: 'acme',
    kind: 'github-app-installation',
    nativeId: '1001',
    decision: 'keep',
    reviewer: 'alice',
    note: null,
    until: null,
    reviewedAt: '2026-11-01T00:00:00.000Z',
    displayName: 'Acme CI',
    scanId: null,
    grantsDigest: null,
    ...over,
  };
}

/** A review written in the governance file. */
export function fileReview(over: Partial<ReviewEntry> = {}): ReviewEntry {
  return {
    match: { platform: 'github', id: '1001' },
    decision: 'keep',
    reviewer: 'bob',
    date: '2026-11-01',
    source: { file: 'governance.yaml', line: 12 },
    ...over,
  };
}

export function reviewsOf(stored: StoredReview[], file: ReviewEntry[] = []): ReviewsInForce {
  return new ReviewsInForce(stored, file);
}
