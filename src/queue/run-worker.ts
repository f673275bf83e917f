import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { type JobHolder, JobLease } from './job-lease.js';
import { ROUND_QUEUE, SCAN_QUEUE, SCHEDULE_QUEUE } from './queue-names.js';
import { type RoundJobData, sendEndedRounds } from './round-completion.js';
import { isScanJobData, type ScanJobData } from './scan-job.js';
import type { ScheduleData } from './schedule-round.js';

/** How one job ended, as the worker reports it (one line per job on stdout). */
export interface JobReport {
  queue: string;
  jobId: string;
  round: string;
  /** `connector:tenant` for a scan job; null for a round or schedule job. */
  tenant: string | null;
  /** 1 for the first try. */
  attempt: number;
  /** Attempts allowed in all (retries + 1). */
  attempts: number;
  /** `failed` with attempts left is `retrying`: pg-boss runs it again after its back-off. */
  outcome: 'completed' | 'retrying' | 'failed';
  /** What the handler returned (scan id and status, for a scan job). */
  output: Record<string, unknown> | null;
  error: string | null;
}

/** Which attempt of its job a handler runs. */
export interface JobAttempt {
  /** 1 for the first try. */
  attempt: number;
  /** Attempts allowed in all: `attempt === attempts` is the last. */
  attempts: number;
}

/** What one worker process did, printed when it exits (and deciding `--drain`'s exit code). */
export interface WorkerSummary {
  /** Jobs completed (scan, round and schedule jobs). */
  done: number;
  /** Of `done`, scan jobs that stored an incomplete scan. */
  incomplete: number;
  /** Attempts that failed and were handed back for a retry. */
  retried: number;
  /** Jobs that failed on their last attempt: failed for good. */
  failed: number;
}

export interface WorkerHandlers {
  /** Scan the job's tenant; what it returns is stored as the job's output. Throws to fail the job. */
  scan(job: ScanJobData, signal: AbortSignal, attempt: JobAttempt): Promise<Record<string, unknown>>;
  /** After every scan job of a round ended: ticket sync and the round's report. */
  round(job: RoundJobData, signal: AbortSignal): Promise<Record<string, unknown>>;
  /** The schedule fired: queue a round. */
  schedule(job: ScheduleData): Promise<Record<string, unknown>>;
}

export interface RunWorkerOptions {
  boss: PgBoss;
  handlers: WorkerHandlers;
  /** Jobs run at once by this process. */
  concurrency: number;
  /** Exit once no job is queued, waiting for a retry, or running anywhere (a cron run, a test). */
  drain: boolean;
  /** Seconds between polls while the queue is empty. */
  pollSeconds: number;
  logger: Logger;
  /** Aborted: take no new job; running ones go on. */
  stop: AbortSignal;
  /** Aborted: running jobs are cut short and handed back (failed, to be retried). */
  abort: AbortSignal;
  onJobEnd(report: JobReport): void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

type FetchedJob = PgBoss.JobWithMetadata<unknown>;

/**
 * Take jobs from the queue until stopped (or, with `drain`, until nothing is left anywhere), `concurrency`
 * at a time. Round jobs go first: they are few and end a round. Each job is held with a lease the worker
 * renews while it runs (job-lease.ts), so that a worker that dies has its job handed back.
 */
export async function runWorker(options: RunWorkerOptions): Promise<WorkerSummary> {
  const { boss, logger } = options;
  const summary: WorkerSummary = { done: 0, incomplete: 0, retried: 0, failed: 0 };
  const holder: JobHolder = { host: hostname(), pid: process.pid, worker: `${hostname()}:${process.pid}` };

  const fetchOne = async (): Promise<FetchedJob | null> => {
    for (const queue of [ROUND_QUEUE, SCHEDULE_QUEUE, SCAN_QUEUE]) {
      const jobs = await boss.fetch<unknown>(queue, { batchSize: 1, includeMetadata: true });
      if (jobs[0]) return jobs[0];
    }
    return null;
  };

  /** Nothing queued, waiting for a retry or running, in either queue. */
  const drained = async (): Promise<boolean> => {
    for (const queue of [SCAN_QUEUE, ROUND_QUEUE, SCHEDULE_QUEUE]) {
      if ((await boss.getQueueSize(queue, { before: 'completed' })) > 0) return false;
    }
    return true;
  };

  const runJob = async (job: FetchedJob): Promise<void> => {
    const attempt = job.retryCount + 1;
    const attempts = job.retryLimit + 1;
    const data = job.data;
    const scanJob = job.name === SCAN_QUEUE && isScanJobData(data) ? data : null;
    const round = (data as { round?: unknown } | null)?.round;
    const report: JobReport = {
      queue: job.name,
      jobId: job.id,
      round: typeof round === 'string' ? round : '',
      tenant: scanJob ? `${scanJob.connector}:${scanJob.tenant}` : null,
      attempt,
      attempts,
      outcome: 'failed',
      output: null,
      error: null,
    };
    // The lease the job was sent with (its data), else pg-boss's expiry (a number as text from PostgreSQL).
    const leaseSeconds =
      Number((data as { leaseSeconds?: unknown } | null)?.leaseSeconds) ||
      Math.round(Number(job.expireInSeconds)) ||
      120;
    const lease = await JobLease.take(boss, job.name, job.id, leaseSeconds, holder);
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.abort.reason);
    if (options.abort.aborted) onAbort();
    else options.abort.addEventListener('abort', onAbort, { once: true });
    const renewal = setInterval(() => {
      lease.renew().then(
        (held) => {
          if (!held && !controller.signal.aborted) {
            logger.error('lost the lease on a running job: it was handed back; stopping work on it', {
              job: job.id,
            });
            controller.abort(new Error(`job ${job.id}: lease lost (handed back to the queue)`));
          }
        },
        (err: unknown) =>
          logger.warn('could not renew a job lease', { job: job.id, error: describeError(err) }),
      );
    }, lease.renewEverySeconds * 1000);
    logger.info('job started', { job: job.id, queue: job.name, tenant: report.tenant, attempt });
    try {
      let output: Record<string, unknown>;
      if (job.name === ROUND_QUEUE) {
        output = await options.handlers.round({ round: report.round }, controller.signal);
      } else if (job.name === SCHEDULE_QUEUE) {
        output = await options.handlers.schedule(data as ScheduleData);
        report.round = String(output.round ?? '');
      } else if (scanJob) {
        output = await options.handlers.scan(scanJob, controller.signal, { attempt, attempts });
      } else {
        throw new Error(
          `job ${job.id} of ${job.name} carries no round, connector and tenant: not a grantscope job`,
        );
      }
      clearInterval(renewal);
      await boss.complete(job.name, job.id, output);
      report.outcome = 'completed';
      report.output = output;
    } catch (err) {
      clearInterval(renewal);
      report.error = describeError(err);
      if (attempt < attempts) report.outcome = 'retrying';
      // Failed: pg-boss retries it after the back-off, or marks it failed after the last attempt.
      await boss.fail(job.name, job.id, { message: report.error }).catch((failErr: unknown) =>
        logger.error('could not mark a job failed; it is handed back when its lease runs out', {
          job: job.id,
          error: describeError(failErr),
        }),
      );
    } finally {
      options.abort.removeEventListener('abort', onAbort);
      await lease.release().catch(() => {});
    }
    if (report.outcome === 'completed') {
      summary.done++;
      if (report.output?.status === 'incomplete') summary.incomplete++;
    } else if (report.outcome === 'retrying') summary.retried++;
    else summary.failed++;
    options.onJobEnd(report);
    if (scanJob) await sendEndedRounds(boss, scanJob.round);
  };

  /** A job's bookkeeping can fail (the database went away): log it and go on; the lease hands it back. */
  const runSafely = (job: FetchedJob) =>
    runJob(job).catch((err: unknown) =>
      logger.error('job bookkeeping failed; the job is handed back when its lease runs out', {
        job: job.id,
        error: describeError(err),
      }),
    );

  const slot = async (): Promise<void> => {
    while (!options.stop.aborted) {
      let job: FetchedJob | null;
      try {
        job = await fetchOne();
      } catch (err) {
        // A fetch can collide with another worker's (pg-boss's stately unique index); poll again.
        logger.debug('fetch failed; polling again', { error: describeError(err) });
        await sleep(options.pollSeconds * 1000, options.stop);
        continue;
      }
      if (job) {
        await runSafely(job);
        continue;
      }
      await sendEndedRounds(boss).catch((err: unknown) =>
        logger.warn('could not check for ended rounds', { error: describeError(err) }),
      );
      if (options.drain && (await drained().catch(() => false))) return;
      await sleep(options.pollSeconds * 1000, options.stop);
    }
  };

  await Promise.all(Array.from({ length: options.concurrency }, slot));
  return summary;
}
