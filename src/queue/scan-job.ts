/** What a scan job carries: the round it belongs to and the configured tenant to scan. */
export interface ScanJobData {
  /** The round (one `grantscope enqueue`, or one firing of the schedule). */
  round: string;
  /** Connector id as in grantscope.yaml (`github`, `microsoft365`, a plugin's id). */
  connector: string;
  /** The tenant as the connector names it (`acme` for a GitHub org, a tenant id for Entra). */
  tenant: string;
  /** The job's lease (job-lease.ts), kept here because pg-boss's own copy grows with each renewal. */
  leaseSeconds?: number;
}

/**
 * The singleton key of a tenant's jobs: with the queue's `stately` policy, pg-boss holds at most one
 * queued and one running job per key, so a tenant is never queued twice nor scanned twice at once.
 */
export function tenantKey(job: Pick<ScanJobData, 'connector' | 'tenant'>): string {
  return `${job.connector}:${job.tenant}`;
}

/** Whether `value` is a scan job's data (a job sent by another tool or version is refused, not guessed at). */
export function isScanJobData(value: unknown): value is ScanJobData {
  const v = value as Partial<ScanJobData> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.round === 'string' &&
    typeof v.connector === 'string' &&
    typeof v.tenant === 'string'
  );
}

/** A round id from the time it starts: sortable and readable (`2026-12-06T02:00:00Z`). */
export function roundIdAt(at: Date): string {
  return at.toISOString().replace(/\.\d+Z$/, 'Z');
}
