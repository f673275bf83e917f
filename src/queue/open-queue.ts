import PgBoss from 'pg-boss';
import { DATABASE_URL_ENV, isDatabaseUrl } from '../config/database-location.js';
import { StoreError, UsageError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { redactedUrl } from '../store/postgres/index.js';
import { CLAIM_TABLE, QUEUE_SCHEMA, ROUND_QUEUE, SCAN_QUEUE, SCHEDULE_QUEUE } from './queue-names.js';

export interface OpenQueueOptions {
  logger: Logger;
  /**
   * Run pg-boss's maintenance in this process: hand back jobs whose lease ran out (their worker died),
   * archive and delete old jobs. Workers do; one-shot commands (enqueue, jobs) do not.
   */
  supervise?: boolean;
  /** How often maintenance looks for expired leases, in seconds (across all workers, at most this often). */
  maintenanceSeconds?: number;
  /** Fire pg-boss's cron schedules from this process (workers do). */
  schedule?: boolean;
}

/** The database a queue command uses, refused with the config key to set when it is not PostgreSQL. */
export function requireQueueDatabase(database: string, command: string): string {
  if (!isDatabaseUrl(database)) {
    throw new UsageError(
      `${command} needs a PostgreSQL database: the queue lives in it (docs/distributed.md); ` +
        `set \`database: postgres://user@host:5432/db\` in grantscope.yaml, ${DATABASE_URL_ENV}, or --db ` +
        `(the database in use is the SQLite file ${database})`,
    );
  }
  return database;
}

/**
 * Start pg-boss on `url` with its tables in the `grantscope_queue` schema (created, or migrated, on
 * first use under pg-boss's own advisory lock) and make sure grantscope's queues exist.
 */
export async function openQueue(url: string, options: OpenQueueOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: url,
    schema: QUEUE_SCHEMA,
    application_name: 'grantscope-queue',
    max: 4,
    supervise: options.supervise ?? false,
    schedule: options.schedule ?? false,
    maintenanceIntervalSeconds: options.maintenanceSeconds ?? 30,
  });
  // pg-boss reports background errors (a lost connection during maintenance) as events: log them
  // rather than crash; the next poll retries.
  boss.on('error', (err) => options.logger.warn('queue background error', { error: err.message }));
  try {
    await boss.start();
  } catch (err) {
    throw new StoreError(redactedUrl(url), `cannot start the job queue: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // `stately`: one queued and one running job per tenant key (scan-job.ts).
  await boss.createQueue(SCAN_QUEUE, { name: SCAN_QUEUE, policy: 'stately' });
  await boss.createQueue(ROUND_QUEUE, { name: ROUND_QUEUE, policy: 'standard' });
  await boss.createQueue(SCHEDULE_QUEUE, { name: SCHEDULE_QUEUE, policy: 'standard' });
  await createClaimTable(boss);
  return boss;
}

/** Several workers starting at once may race to create it: the loser's duplicate error is harmless. */
async function createClaimTable(boss: PgBoss): Promise<void> {
  try {
    await boss.getDb().executeSql(
      `CREATE TABLE IF NOT EXISTS ${CLAIM_TABLE} (
       job_id uuid PRIMARY KEY,
       queue text NOT NULL,
       worker text NOT NULL,
       host text NOT NULL,
       pid integer NOT NULL,
       claimed_at timestamptz NOT NULL DEFAULT now(),
       renewed_at timestamptz NOT NULL DEFAULT now()
     )`,
      [],
    );
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P07') throw err;
  }
}
