import type pg from 'pg';
import { type ReviewRow, toReview } from '../review-rows.js';
import type { ReviewInput, ReviewSubject, StoredReview } from '../store.js';
import { cursorRows } from './readers.js';

/** The `reviews` table on PostgreSQL: append-only (triggers refuse UPDATE and DELETE, as in SQLite). */
export async function recordReview(client: pg.PoolClient, review: ReviewInput): Promise<StoredReview> {
  const r = await client.query<{ id: string }>(
    `INSERT INTO reviews (platform, tenant, identity_kind, identity_id, identity_name, decision, reviewer,
       note, until, reviewed_at, scan_id, grants_digest)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
    [
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
    ],
  );
  return { ...review, id: Number(r.rows[0]!.id) };
}

export async function reviewHistory(client: pg.PoolClient, s: ReviewSubject): Promise<StoredReview[]> {
  const r = await client.query<ReviewRow>(
    `SELECT * FROM reviews WHERE platform = $1 AND tenant = $2 AND identity_kind = $3 AND identity_id = $4
     ORDER BY id DESC`,
    [s.platform, s.tenant, s.kind, s.nativeId],
  );
  return r.rows.map(toReview);
}

/** The newest review per identity, streamed, in byte order as SQLite sorts. */
export async function* latestReviews(
  client: pg.PoolClient,
  filter: { platform?: string; tenant?: string } = {},
): AsyncGenerator<StoredReview> {
  const where: string[] = [];
  const params: string[] = [];
  if (filter.platform !== undefined) {
    params.push(filter.platform);
    where.push(`platform = $${params.length}`);
  }
  if (filter.tenant !== undefined) {
    params.push(filter.tenant);
    where.push(`tenant = $${params.length}`);
  }
  const sql = `SELECT * FROM latest_reviews ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY platform COLLATE "C", tenant COLLATE "C", identity_kind COLLATE "C", identity_id COLLATE "C"`;
  for await (const row of cursorRows<ReviewRow>(client, sql, params)) yield toReview(row);
}
