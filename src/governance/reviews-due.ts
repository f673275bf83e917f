import type { z } from 'zod';
import { RISK_ORDER, type RiskTier } from '../model/index.js';
import { DAY_MS, highestTier } from '../rules/bundle-facts.js';
import type { overdueReview } from '../rules/overdue-review.js';
import type { IdentityBundle } from '../store/store.js';
import { matchesIdentity } from './match.js';
import type { Governance } from './model.js';
import { bundleFacts, type ReviewInForce, type ReviewsInForce } from './reviews-in-force.js';

type OverdueReviewPolicy = z.output<(typeof overdueReview)['policy']>;

/** Who answers for an identity's review: the registered owner, else an in-platform owner. */
export interface ReviewOwner {
  name: string;
  source: 'registered' | 'platform';
  team: string | null;
  contact: string | null;
}

export interface DueReview {
  owner: ReviewOwner | null;
  platform: string;
  tenant: string;
  kind: string;
  id: string;
  name: string | null;
  manageUrl: string | null;
  highestTier: RiskTier;
  periodDays: number;
  lastReview: ReviewInForce | null;
  /** When the next review is (was) due; null when it never was reviewed and its creation is unknown. */
  dueAt: string | null;
  status: 'overdue' | 'due-soon';
}

export interface ReviewsDueOptions {
  reviews: ReviewsInForce;
  governance: Pick<Governance, 'owners'>;
  /** The `overdue-review` section of the policy: periods and what counts as critical. */
  policy: OverdueReviewPolicy;
  asOf: Date;
  /** Also list reviews falling due within this many days of as-of. */
  withinDays: number;
}

function ownerOf(b: IdentityBundle, governance: Pick<Governance, 'owners'>): ReviewOwner | null {
  const facts = bundleFacts(b);
  const registered = governance.owners.find((o) => matchesIdentity(o.match, facts));
  if (registered) {
    return {
      name: registered.person,
      source: 'registered',
      team: registered.team ?? null,
      contact: registered.contact ?? null,
    };
  }
  // In-platform owners: an active one, else one whose status is unknown; never one who has left.
  const owners = b.identity?.owners ?? [];
  const owner = owners.find((o) => o.active === true) ?? owners.find((o) => o.active === null);
  return owner ? { name: owner.name ?? owner.id, source: 'platform', team: null, contact: null } : null;
}

/**
 * The identities whose recertification is overdue or falls due within `withinDays`, judged as the
 * `overdue-review` rule judges (same periods; never-reviewed identities are due a period after their
 * creation; platform first-party apps only once reviewed; those decided for revocation are due for
 * removal, not review). Holds only the due entries.
 */
export async function reviewsDue(
  bundles: AsyncIterable<IdentityBundle> | Iterable<IdentityBundle>,
  options: ReviewsDueOptions,
): Promise<DueReview[]> {
  const { policy, reviews, asOf } = options;
  const now = asOf.getTime();
  const horizon = now + options.withinDays * DAY_MS;
  const out: DueReview[] = [];
  for await (const b of bundles) {
    const review = reviews.of(b);
    if (!review && b.identity?.origin === 'platform') continue;
    if (review?.decision === 'revoke') continue;
    const tier = highestTier(b.grants);
    const critical = RISK_ORDER[tier] >= RISK_ORDER[policy.criticalAtTier];
    const period = critical ? policy.criticalPeriodDays : policy.periodDays;
    const since = review
      ? Date.parse(review.date)
      : b.identity?.createdAt
        ? Date.parse(b.identity.createdAt)
        : null;
    let due = since === null ? Number.NEGATIVE_INFINITY : since + period * DAY_MS;
    if (review?.decision === 'keep' && review.until) due = Math.min(due, Date.parse(review.until));
    if (due > horizon) continue;
    const facts = bundleFacts(b);
    out.push({
      owner: ownerOf(b, options.governance),
      platform: facts.platform,
      tenant: facts.tenant,
      kind: facts.kind,
      id: facts.nativeId,
      name: facts.name,
      manageUrl: b.identity?.manageUrl ?? null,
      highestTier: tier,
      periodDays: period,
      lastReview: review,
      dueAt: Number.isFinite(due) ? new Date(due).toISOString() : null,
      status: due < now ? 'overdue' : 'due-soon',
    });
  }
  return out;
}

export interface OwnerGroup {
  owner: ReviewOwner | null;
  reviews: DueReview[];
}

/** One list per owner (by name; identities with no owner last), each most overdue first. */
export function groupByOwner(due: readonly DueReview[]): OwnerGroup[] {
  const groups = new Map<string, OwnerGroup>();
  for (const d of due) {
    const key = d.owner ? `${d.owner.source}\u0000${d.owner.name}` : '';
    const group = groups.get(key) ?? { owner: d.owner, reviews: [] };
    group.reviews.push(d);
    groups.set(key, group);
  }
  const dueMs = (d: DueReview) => (d.dueAt === null ? Number.NEGATIVE_INFINITY : Date.parse(d.dueAt));
  for (const g of groups.values()) {
    g.reviews.sort((a, b) => dueMs(a) - dueMs(b) || (a.name ?? a.id).localeCompare(b.name ?? b.id));
  }
  return [...groups.values()].sort((a, b) => {
    if (!a.owner || !b.owner) return a.owner ? -1 : b.owner ? 1 : 0;
    return a.owner.name.localeCompare(b.owner.name) || a.owner.source.localeCompare(b.owner.source);
  });
}
