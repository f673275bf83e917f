import type { StoredReview } from './store.js';

/**
 * A `reviews` row as both stores' drivers return it. Integer columns are numbers from SQLite and strings
 * from PostgreSQL (bigint), hence `number | string` and `Number()` below.
 */
export interface ReviewRow {
  id: number | string;
  platform: string;
  tenant: string;
  identity_kind: string;
  identity_id: string;
  identity_name: string | null;
  decision: StoredReview['decision'];
  reviewer: string;
  note: string | null;
  until: string | null;
  reviewed_at: string;
  scan_id: number | string | null;
  grants_digest: string | null;
}

export function toReview(r: ReviewRow): StoredReview {
  return {
    id: Number(r.id),
    platform: r.platform,
    tenant: r.tenant,
    kind: r.identity_kind,
    nativeId: r.identity_id,
    displayName: r.identity_name,
    decision: r.decision,
    reviewer: r.reviewer,
    note: r.note,
    until: r.until,
    reviewedAt: r.reviewed_at,
    scanId: r.scan_id === null ? null : Number(r.scan_id),
    grantsDigest: r.grants_digest,
  };
}
