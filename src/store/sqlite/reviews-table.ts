import type Database from 'better-sqlite3';
import type { ReviewInput, ReviewSubject, StoredReview } from '../store.js';

interface ReviewRow {
  id: number;
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
  scan_id: number | null;
  grants_digest: string | null;
}

function toReview(r: ReviewRow): StoredReview {
  return {
    id: r.id,
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
    scanId: r.scan_id,
    grantsDigest: r.grants_digest,
  };
}

/** The `reviews` table (schema 3): append-only recertification decisions. */
export class ReviewsTable {
  constructor(private readonly db: Database.Database) {}

  record(review: ReviewInput): StoredReview {
    const info = this.db
      .prepare(
        `INSERT INTO reviews (platform, tenant, identity_kind, identity_id, identity_name, decision, reviewer,
           note, until, reviewed_at, scan_id, grants_digest)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        review.platform,
        review.tenant,
        review.kind,
        review.nativeId,
        review.displayName,
        review.decision,
        review.reviewer,
        review.note,
        review.until,
        review.reviewedAt,
        review.scanId,
        review.grantsDigest,
      );
    return { ...review, id: Number(info.lastInsertRowid) };
  }

  history(s: ReviewSubject): StoredReview[] {
    return this.db
      .prepare<[string, string, string, string], ReviewRow>(
        `SELECT * FROM reviews WHERE platform = ? AND tenant = ? AND identity_kind = ? AND identity_id = ?
         ORDER BY id DESC`,
      )
      .all(s.platform, s.tenant, s.kind, s.nativeId)
      .map(toReview);
  }

  /** The newest review per identity, streamed (one row at a time from the index). */
  *latest(filter: { platform?: string; tenant?: string } = {}): Generator<StoredReview> {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.platform !== undefined) {
      where.push('platform = ?');
      params.push(filter.platform);
    }
    if (filter.tenant !== undefined) {
      where.push('tenant = ?');
      params.push(filter.tenant);
    }
    const rows = this.db
      .prepare<string[], ReviewRow>(
        `SELECT * FROM latest_reviews ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY platform, tenant, identity_kind, identity_id`,
      )
      .iterate(...params);
    for (const row of rows) yield toReview(row);
  }
}
