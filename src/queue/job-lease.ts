import type PgBoss from 'pg-boss';
import { CLAIM_TABLE, QUEUE_SCHEMA } from './queue-names.js';

/** Who holds a job: written when a worker takes it, shown by `grantscope jobs`. */
export interface JobHolder {
  /** `host:pid`, unique among live workers. */
  worker: string;
  host: string;
  pid: number;
}

/**
 * A worker's hold on a running job. pg-boss 10 hands a job back when it has been active longer than
 * its `expire_in` (maintenance fails it "by timeout" and it is retried), and has no heartbeat of its
 * own; so a live worker keeps pushing `expire_in` ahead of the clock, by the job's own lease length,
 * while it works. A worker that dies stops renewing, and its job is handed back one lease after the last
 * renewal. `renew()` answering false means the job is no longer ours (it expired while this worker was
 * cut off from the database, and may already run elsewhere): the caller must stop working on it.
 */
export class JobLease {
  private constructor(
    private readonly boss: PgBoss,
    private readonly queue: string,
    private readonly jobId: string,
    private readonly leaseSeconds: number,
  ) {}

  /**
   * Record `holder` as the job's worker and start holding it: the expiry is set to one lease from now at
   * once, since a retried job carries the expiry its last attempt had grown to.
   */
  static async take(
    boss: PgBoss,
    queue: string,
    jobId: string,
    leaseSeconds: number,
    holder: JobHolder,
  ): Promise<JobLease> {
    await boss.getDb().executeSql(
      `INSERT INTO ${CLAIM_TABLE} (job_id, queue, worker, host, pid) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (job_id) DO UPDATE SET queue = $2, worker = $3, host = $4, pid = $5,
         claimed_at = now(), renewed_at = now()`,
      [jobId, queue, holder.worker, holder.host, holder.pid],
    );
    const lease = new JobLease(boss, queue, jobId, leaseSeconds);
    await lease.renew();
    return lease;
  }

  /** Seconds between renewals: a third of the lease, so that two renewals may be late before it runs out. */
  get renewEverySeconds(): number {
    return Math.max(1, Math.floor(this.leaseSeconds / 3));
  }

  /** Push the job's expiry one lease ahead of now. False when the job is no longer active (not ours). */
  async renew(): Promise<boolean> {
    const { rows } = await this.boss.getDb().executeSql(
      `WITH renewed AS (
         UPDATE ${QUEUE_SCHEMA}.job
            SET expire_in = (now() - started_on) + make_interval(secs => $3)
          WHERE name = $1 AND id = $2 AND state = 'active'
          RETURNING id
       ), claim AS (
         UPDATE ${CLAIM_TABLE} SET renewed_at = now() WHERE job_id IN (SELECT id FROM renewed)
       )
       SELECT count(*)::int AS n FROM renewed`,
      [this.queue, this.jobId, this.leaseSeconds],
    );
    return (rows[0] as { n: number }).n === 1;
  }

  /** The job ended (completed, failed or handed back): forget who held it. */
  async release(): Promise<void> {
    await this.boss.getDb().executeSql(`DELETE FROM ${CLAIM_TABLE} WHERE job_id = $1`, [this.jobId]);
  }
}
