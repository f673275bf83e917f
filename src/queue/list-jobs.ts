import type PgBoss from 'pg-boss';
import { CLAIM_TABLE, QUEUE_SCHEMA, ROUND_QUEUE, SCAN_QUEUE } from './queue-names.js';

/** How `grantscope jobs` names pg-boss's states: queued (created, or waiting for a retry), running, done, failed. */
export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface JobRow {
  id: string;
  /** `scan` or `round`. */
  kind: 'scan' | 'round';
  state: JobState;
  round: string;
  /** `connector:tenant` for a scan job, null for a round job. */
  tenant: string | null;
  /** The attempt running or last run (1 = first); 0 while never started. */
  attempt: number;
  /** Attempts allowed in all (retries + 1). */
  attempts: number;
  /** `host:pid` of the worker running it (running jobs only). */
  worker: string | null;
  createdAt: string;
  /** When a queued retry may start. */
  startAfter: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** The last failure's message (failed, or queued for a retry after one). */
  error: string | null;
  /** What the job returned when done (scan id and status, or the round's report). */
  output: Record<string, unknown> | null;
  /**
   * A done scan job's stored scan: `complete`, or `incomplete` (a collector failed for good: stored,
   * its failed collectors' records carried over, not retried). Null for other jobs.
   */
  scanStatus: 'complete' | 'incomplete' | null;
}

export interface ListJobsFilter {
  states?: readonly JobState[];
  round?: string;
  limit: number;
}

const STATE_SQL = `CASE j.state::text
  WHEN 'created' THEN 'queued' WHEN 'retry' THEN 'queued' WHEN 'active' THEN 'running'
  WHEN 'completed' THEN 'done' ELSE j.state::text END`;

/**
 * grantscope's jobs, newest first, from pg-boss's live and archived tables (a finished job moves to the
 * archive after a while: pg-boss's `archiveCompletedAfterSeconds`, 12 hours by default), with the worker
 * of each running job from grantscope's claim table.
 */
export async function listJobs(boss: PgBoss, filter: ListJobsFilter): Promise<JobRow[]> {
  const select = (table: string) => `
    SELECT j.id::text, j.name, ${STATE_SQL} AS state, j.data, j.retry_count, j.retry_limit, j.started_on,
           j.created_on, j.start_after, j.completed_on, j.output
      FROM ${QUEUE_SCHEMA}.${table} j
     WHERE j.name IN ($1, $2)`;
  const { rows } = await boss.getDb().executeSql(
    `SELECT a.*, c.worker
       FROM (${select('job')} UNION ALL ${select('archive')}) a
       LEFT JOIN ${CLAIM_TABLE} c ON c.job_id::text = a.id AND a.state = 'running'
      WHERE ($3::text[] IS NULL OR a.state = ANY($3::text[]))
        AND ($4::text IS NULL OR a.data->>'round' = $4)
      ORDER BY a.created_on DESC, a.id
      LIMIT $5`,
    [SCAN_QUEUE, ROUND_QUEUE, filter.states ? [...filter.states] : null, filter.round ?? null, filter.limit],
  );
  return (rows as RawJob[]).map(toJobRow);
}

/**
 * How many jobs are in each state (live table only: archived jobs are all done, failed or cancelled),
 * and how many of the done ones stored an incomplete scan.
 */
export async function countJobs(
  boss: PgBoss,
  round?: string,
): Promise<{ counts: Record<JobState, number>; incomplete: number }> {
  const { rows } = await boss.getDb().executeSql(
    `SELECT ${STATE_SQL} AS state, count(*)::int AS n,
            count(*) FILTER (WHERE j.state = 'completed' AND j.output->>'status' = 'incomplete')::int AS incomplete
       FROM ${QUEUE_SCHEMA}.job j
      WHERE j.name IN ($1, $2) AND ($3::text IS NULL OR j.data->>'round' = $3) GROUP BY 1`,
    [SCAN_QUEUE, ROUND_QUEUE, round ?? null],
  );
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  let incomplete = 0;
  for (const r of rows as Array<{ state: JobState; n: number; incomplete: number }>) {
    counts[r.state] = r.n;
    incomplete += r.incomplete;
  }
  return { counts, incomplete };
}

interface RawJob {
  id: string;
  name: string;
  state: JobState;
  data: { round?: string; connector?: string; tenant?: string } | null;
  retry_count: number;
  retry_limit: number;
  started_on: Date | null;
  created_on: Date;
  start_after: Date | null;
  completed_on: Date | null;
  output: Record<string, unknown> | null;
  worker: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString().replace(/\.\d+Z$/, 'Z') : null);

/** pg-boss keeps a failure as the object the worker passed, or `{ value: { message } }` for an expired lease. */
function errorOf(output: Record<string, unknown> | null): string | null {
  if (!output) return null;
  const value = (output.value ?? output) as { message?: unknown };
  return typeof value.message === 'string' ? value.message : null;
}

function toJobRow(r: RawJob): JobRow {
  const failedOrRetrying = r.state === 'failed' || (r.state === 'queued' && r.started_on !== null);
  return {
    id: r.id,
    kind: r.name === ROUND_QUEUE ? 'round' : 'scan',
    state: r.state,
    round: r.data?.round ?? '',
    tenant: r.name === SCAN_QUEUE && r.data ? `${r.data.connector}:${r.data.tenant}` : null,
    attempt: r.started_on ? r.retry_count + 1 : 0,
    attempts: r.retry_limit + 1,
    worker: r.state === 'running' ? r.worker : null,
    createdAt: iso(r.created_on)!,
    startAfter: r.state === 'queued' ? iso(r.start_after) : null,
    startedAt: iso(r.started_on),
    finishedAt: r.state === 'queued' || r.state === 'running' ? null : iso(r.completed_on),
    error: failedOrRetrying ? errorOf(r.output) : null,
    output: r.state === 'done' ? r.output : null,
    scanStatus:
      r.state === 'done' && r.name === SCAN_QUEUE
        ? r.output?.status === 'incomplete'
          ? 'incomplete'
          : 'complete'
        : null,
  };
}
