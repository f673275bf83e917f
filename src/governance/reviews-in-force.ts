import type { LastReview } from '../findings/finding.js';
import type { IdentityBundle, SnapshotStore, StoredReview } from '../store/store.js';
import { type MatchTarget, matchesIdentity } from './match.js';
import type { Governance, ReviewDecision, ReviewEntry } from './model.js';

/** An identity as governance entries match it. */
export type IdentityFacts = MatchTarget;

/** The review that applies to an identity: the latest recorded in the store or in the governance file. */
export interface ReviewInForce {
  decision: ReviewDecision;
  reviewer: string;
  /** ISO date-time of the review. */
  date: string;
  note: string | null;
  /** ISO date-time the decision is due by (reduce/revoke) or holds until (keep); null when not given. */
  until: string | null;
  source: 'store' | 'file';
  /** The identity's grants digest when reviewed (store reviews only; see `grantsDigest`). */
  grantsDigest: string | null;
  /** Where a governance-file review is written. */
  file: { file: string; line: number } | null;
}

/** An ISO date (`2026-03-01`) is midnight UTC; a date-time is kept. */
export function isoDateTime(value: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : new Date(value).toISOString();
}

function fromStore(r: StoredReview): ReviewInForce {
  return {
    decision: r.decision,
    reviewer: r.reviewer,
    date: r.reviewedAt,
    note: r.note,
    until: r.until,
    source: 'store',
    grantsDigest: r.grantsDigest,
    file: null,
  };
}

function fromFile(r: ReviewEntry): ReviewInForce {
  return {
    decision: r.decision,
    reviewer: r.reviewer,
    date: isoDateTime(r.date),
    note: r.note ?? null,
    until: r.until ? isoDateTime(r.until) : null,
    source: 'file',
    grantsDigest: null,
    file: { file: r.source.file, line: r.source.line },
  };
}

/** The later of two reviews; on the same instant the store's (recorded by a person at that time) wins. */
function later(a: ReviewInForce | null, b: ReviewInForce | null): ReviewInForce | null {
  if (!a || !b) return a ?? b;
  const d = Date.parse(b.date) - Date.parse(a.date);
  if (d !== 0) return d > 0 ? b : a;
  return a.source === 'store' ? a : b;
}

const keyOf = (platform: string, tenant: string, kind: string, nativeId: string) =>
  `${platform}\u0000${tenant}\u0000${kind}\u0000${nativeId}`;

/** The facts governance entries match on, from a bundle. */
export function bundleFacts(b: IdentityBundle): IdentityFacts {
  const ref = b.identity ?? b.grants[0]?.identity ?? b.credentials[0]?.identity;
  const any = b.identity ?? b.grants[0] ?? b.credentials[0];
  const split = (s: string) => {
    const i = s.indexOf(':');
    return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
  };
  const [platform, tenant] = any ? [any.platform, any.tenant.id] : split(b.source);
  const [kind, nativeId] = ref ? [ref.kind, ref.nativeId] : split(b.identityKey);
  return {
    platform: platform!,
    tenant: tenant!,
    kind: kind!,
    nativeId: nativeId!,
    name: b.identity?.displayName ?? null,
    publisher: b.identity?.publisher.name ?? null,
    publisherId: b.identity?.publisher.id ?? null,
  };
}

/**
 * The reviews in force, looked up per identity. Holds the store's latest review per reviewed identity
 * and the governance file's review entries: both are human-scale (one per decision someone made), not
 * tenant-scale. Identities resolved through `of` are remembered only when they have a review, so
 * findings read back from the store can be given theirs (`forFinding`).
 */
export class ReviewsInForce {
  private readonly stored = new Map<string, ReviewInForce>();
  private readonly resolved = new Map<string, ReviewInForce>();

  constructor(
    stored: Iterable<StoredReview>,
    private readonly fileReviews: readonly ReviewEntry[] = [],
  ) {
    for (const r of stored) this.stored.set(keyOf(r.platform, r.tenant, r.kind, r.nativeId), fromStore(r));
  }

  static readonly NONE = new ReviewsInForce([]);

  /** The store's latest reviews (all tenants) and the governance file's. */
  static async load(
    store: Pick<SnapshotStore, 'latestReviews'>,
    governance: Pick<Governance, 'reviews'> | null | undefined,
  ): Promise<ReviewsInForce> {
    const stored: StoredReview[] = [];
    for await (const r of store.latestReviews()) stored.push(r);
    return new ReviewsInForce(stored, governance?.reviews ?? []);
  }

  /**
   * The identities (`kind:nativeId`) of a source that a review recorded in the store names (reviews of
   * the governance file match by other facts too: they are not listed).
   */
  storedIdentities(platform: string, tenant: string): string[] {
    const prefix = keyOf(platform, tenant, '', '').slice(0, -1);
    const out: string[] = [];
    for (const key of this.stored.keys()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const i = rest.indexOf('\u0000');
      out.push(`${rest.slice(0, i)}:${rest.slice(i + 1)}`);
    }
    return out;
  }

  /** Whether any review is recorded at all (outputs add review columns only then). */
  get empty(): boolean {
    return this.stored.size === 0 && this.fileReviews.length === 0;
  }

  /** The review in force for `facts`' identity, or null. */
  ofFacts(f: IdentityFacts): ReviewInForce | null {
    const key = keyOf(f.platform, f.tenant, f.kind, f.nativeId);
    let best = this.stored.get(key) ?? null;
    for (const entry of this.fileReviews) {
      if (matchesIdentity(entry.match, f)) best = later(best, fromFile(entry));
    }
    if (best) this.resolved.set(key, best);
    return best;
  }

  /** Several rules ask about the same bundle in turn: the last answer is kept. */
  private last: { bundle: IdentityBundle; review: ReviewInForce | null } | null = null;

  of(bundle: IdentityBundle): ReviewInForce | null {
    if (this.last?.bundle !== bundle) this.last = { bundle, review: this.ofFacts(bundleFacts(bundle)) };
    return this.last.review;
  }

  /** The review of a finding's identity, as resolved while the rules ran (or from the store). */
  forFinding(f: {
    platform: string;
    tenant: string;
    identity: { kind: string; id: string };
  }): ReviewInForce | null {
    const key = keyOf(f.platform, f.tenant, f.identity.kind, f.identity.id);
    return this.resolved.get(key) ?? this.stored.get(key) ?? null;
  }
}

/** The `lastReview` field of findings and inventory entries. */
export function lastReviewField(r: ReviewInForce): LastReview {
  return {
    decision: r.decision,
    reviewer: r.reviewer,
    date: r.date,
    ...(r.note !== null ? { note: r.note } : {}),
    ...(r.until !== null ? { until: r.until } : {}),
    source: r.source,
  };
}
