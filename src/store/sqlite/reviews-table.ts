import type Database from 'better-sqlite3';
import { type ReviewRow, toReview } from '../review-rows.js';
import type { ReviewInput, ReviewSubject, StoredReview } from '../store.js';

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
