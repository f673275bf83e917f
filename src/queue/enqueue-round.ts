import type PgBoss from 'pg-boss';
import { QUEUE_SCHEMA, SCAN_QUEUE } from './queue-names.js';
import { type ScanJobData, tenantKey } from './scan-job.js';

/** How a round's jobs retry and how long a worker's lease on one lasts. */
export interface JobPolicy {
  /** Attempts after the first (a failed scan, or a worker that died or was stopped). */
  retryLimit: number;
  /** Seconds before the first retry. */
  retryDelaySeconds: number;
  /** Double the delay at each retry (with jitter). */
  retryBackoff: boolean;
  /**
   * Seconds a running job is held without word from its worker. A live worker renews it (job-lease.ts);
   * when its worker dies, the job is handed back this long after the last renewal.
   */
  leaseSeconds: number;
}

export const DEFAULT_JOB_POLICY: JobPolicy = {
  retryLimit: 3,
  retryDelaySeconds: 60,
  retryBackoff: true,
  leaseSeconds: 120,
};

export interface EnqueuedTenant {
  connector: string;
  tenant: string;
  /** The new job's id; null when the tenant's job of an earlier round is still queued or running. */
  jobId: string | null;
}

/** Send one scan job per tenant, all of round `round`. */
export async function enqueueRound(
  boss: PgBoss,
  round: string,
  tenants: ReadonlyArray<{ connector: string; tenant: string }>,
  policy: JobPolicy = DEFAULT_JOB_POLICY,
): Promise<EnqueuedTenant[]> {
  const results: EnqueuedTenant[] = [];
  for (const t of tenants) {
    const data: ScanJobData = {
      round,
      connector: t.connector,
      tenant: t.tenant,
      leaseSeconds: policy.leaseSeconds,
    };
    // pg-boss 10's fetch fails outright (a unique violation, for every worker, until the running one
    // ends) when a tenant's queued job meets its running one under the `stately` policy; so a tenant with
    // any unfinished job is left out of the new round rather than queued behind it.
    const { rows } = await boss
      .getDb()
      .executeSql(
        `SELECT 1 FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND singleton_key = $2 AND state < 'completed' LIMIT 1`,
        [SCAN_QUEUE, tenantKey(data)],
      );
    if (rows.length > 0) {
      results.push({ connector: t.connector, tenant: t.tenant, jobId: null });
      continue;
    }
    // The singleton key still guards two rounds queued at the same moment: pg-boss keeps one.
    const jobId = await boss.send(SCAN_QUEUE, data, {
      singletonKey: tenantKey(data),
      retryLimit: policy.retryLimit,
      retryDelay: policy.retryDelaySeconds,
      retryBackoff: policy.retryBackoff,
      expireInSeconds: policy.leaseSeconds,
    });
    results.push({ connector: t.connector, tenant: t.tenant, jobId });
  }
  return results;
}
