import type PgBoss from 'pg-boss';
import { SCAN_QUEUE } from './queue-names.js';
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
  /** The new job's id; null when the tenant already had a job waiting (pg-boss's singleton refused it). */
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
