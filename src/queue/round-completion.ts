import { createHash } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { QUEUE_SCHEMA, ROUND_QUEUE, SCAN_QUEUE } from './queue-names.js';

/** What a round job carries. */
export interface RoundJobData {
  round: string;
  /** The round job's lease (job-lease.ts). */
  leaseSeconds?: number;
}

/** The round job's lease: a ticket sync of many scans may be slow, but a live worker renews it anyway. */
const ROUND_LEASE_SECONDS = 300;

/**
 * The round job's id, derived from the round: pg-boss inserts a job whose id exists as a no-op, so
 * however many workers see the round end at once, exactly one round job is created.
 */
export function roundJobId(round: string): string {
  const h = createHash('sha256').update(`grantscope round ${round}`).digest('hex');
  // RFC 9562 layout: version nibble 8 (custom), variant 10xx.
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Send the round job of every round whose scan jobs have all ended (completed, or failed after their
 * last retry, or cancelled). Called by a worker after each job it ends and while it waits for work,
 * so that a round whose last job failed by expiry (its worker died on the last attempt) still ends.
 * Returns the rounds whose job this call created.
 */
export async function sendEndedRounds(boss: PgBoss, only?: string): Promise<string[]> {
  // Rounds whose round job exists (live or archived) are skipped: a waiting worker runs this every poll.
  const { rows } = await boss.getDb().executeSql(
    `SELECT s.round FROM (
       SELECT data->>'round' AS round
         FROM ${QUEUE_SCHEMA}.job
        WHERE name = $1 AND ($2::text IS NULL OR data->>'round' = $2)
        GROUP BY 1
       HAVING count(*) FILTER (WHERE state < 'completed') = 0
     ) s
     WHERE NOT EXISTS (SELECT 1 FROM ${QUEUE_SCHEMA}.job r WHERE r.name = $3 AND r.data->>'round' = s.round)
       AND NOT EXISTS (SELECT 1 FROM ${QUEUE_SCHEMA}.archive r WHERE r.name = $3 AND r.data->>'round' = s.round)`,
    [SCAN_QUEUE, only ?? null, ROUND_QUEUE],
  );
  const created: string[] = [];
  for (const { round } of rows as Array<{ round: string | null }>) {
    if (round === null) continue;
    const data: RoundJobData = { round, leaseSeconds: ROUND_LEASE_SECONDS };
    const id = await boss.send(ROUND_QUEUE, data, {
      id: roundJobId(round),
      retryLimit: 2,
      retryDelay: 30,
      expireInSeconds: ROUND_LEASE_SECONDS,
    });
    if (id) created.push(round);
  }
  return created;
}

/** The scans each completed job of `round` stored (from the jobs' output), in scan order. */
export async function roundScans(
  boss: PgBoss,
  round: string,
): Promise<Array<{ connector: string; tenant: string; scanId: number }>> {
  const { rows } = await boss.getDb().executeSql(
    `SELECT data->>'connector' AS connector, data->>'tenant' AS tenant, (output->>'scanId')::int AS "scanId"
       FROM ${QUEUE_SCHEMA}.job
      WHERE name = $1 AND data->>'round' = $2 AND state = 'completed' AND output ? 'scanId'
      ORDER BY 3`,
    [SCAN_QUEUE, round],
  );
  return rows as Array<{ connector: string; tenant: string; scanId: number }>;
}
