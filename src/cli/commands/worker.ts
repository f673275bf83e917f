import type { Command } from 'commander';
import { resolveGovernance } from '../../analysis/governance-source.js';
import { resolvePolicy } from '../../analysis/policy-source.js';
import { selectTenants } from '../../config/select-tenants.js';
import { EXIT, QueueJobError, signalExitCode, TransientIncompleteScanError } from '../../errors.js';
import { silentProgress } from '../../log/progress.js';
import { endRound } from '../../queue/end-round.js';
import { DEFAULT_JOB_POLICY, enqueueRound } from '../../queue/enqueue-round.js';
import { incompleteness } from '../../queue/incomplete-scan.js';
import { openQueue, requireQueueDatabase } from '../../queue/open-queue.js';
import { SCHEDULE_QUEUE } from '../../queue/queue-names.js';
import { type JobReport, runWorker, type WorkerSummary } from '../../queue/run-worker.js';
import { roundIdAt } from '../../queue/scan-job.js';
import { scanAndAnalyse } from '../../scan/scan-and-analyse.js';
import { openStore } from '../../store/open.js';
import { addCommonOptions, type CommonOptions, createRuntime, loadFullConfig } from '../runtime.js';
import { parseSeconds, parseWholeNumber } from './queue-options.js';

interface WorkerOptions extends CommonOptions {
  concurrency: string;
  drain?: boolean;
  poll: string;
  stopTimeout: string;
  reclaimEvery: string;
}

export function workerCommand(program: Command): void {
  const cmd = program
    .command('worker')
    .summary('run queued scans (PostgreSQL job queue), on as many machines as you like')
    .description(
      'Take scan jobs queued by `grantscope enqueue` (or the schedule) and run each exactly as ' +
        '`grantscope scan` would for that tenant, storing its snapshot and findings in the shared PostgreSQL ' +
        'database. A failed scan is retried with back-off; the job of a worker that died is handed back ' +
        'once its lease runs out. When every job of a round has ended, one worker runs the ticket sync. ' +
        'SIGTERM or SIGINT stops taking jobs and lets running ones finish for --stop-timeout seconds, then ' +
        'hands them back; a second signal hands them back at once. Each job that ends prints one line on ' +
        'stdout (with --format json, one JSON object per line), and the worker ends with a summary line. ' +
        'A scan that stores an incomplete snapshot completes its job, unless every failed collector met ' +
        'throttling or a server error and attempts are left: then it is retried.',
    )
    .option('--concurrency <n>', 'jobs run at once by this process', '1')
    .option('--drain', 'exit once no job is queued, waiting for a retry or running anywhere (cron, tests)')
    .option('--poll <seconds>', 'seconds between looks at an empty queue', '2')
    .option('--stop-timeout <seconds>', 'after SIGTERM/SIGINT, how long running jobs may finish', '30')
    .option(
      '--reclaim-every <seconds>',
      'how often workers look for jobs whose worker died (their lease ran out) to hand back',
      '30',
    );
  addCommonOptions(cmd, { formats: ['table', 'json'] });
  cmd.addHelpText(
    'after',
    `
Examples:
  $ export GRANTSCOPE_DATABASE_URL=postgres://grantscope@db.internal:5432/grantscope
  $ grantscope worker --concurrency 4             # a long-running service (systemd, Kubernetes)
  $ grantscope enqueue && grantscope worker --drain   # one machine, run a round to the end
  $ grantscope worker --format json | jq .outcome

Exit codes (--drain): 0 every job it ran completed, 3 one stored an incomplete scan, 5 one failed
on its last attempt (takes precedence); 2 usage or config error (including a SQLite database), 4 the
database could not be reached, 130 stopped by SIGINT, 143 stopped by SIGTERM. The last line it prints
counts the jobs it ran: done (incomplete), retried, failed.`,
  );
  cmd.action(async (opts: WorkerOptions) => {
    const rt = createRuntime(opts);
    const concurrency = parseWholeNumber(opts.concurrency, '--concurrency', 1, 64);
    const pollSeconds = Math.max(0.1, parseSeconds(opts.poll, '--poll'));
    const stopTimeoutSeconds = parseSeconds(opts.stopTimeout, '--stop-timeout');
    const reclaimSeconds = parseWholeNumber(opts.reclaimEvery, '--reclaim-every', 1, 3600);
    const config = await loadFullConfig(opts);
    const database = requireQueueDatabase(opts.db ?? config.database, 'grantscope worker');
    // Read once, before any job: a mistake in the files must not fail every job one by one.
    const policy = resolvePolicy(config.policyFile, config.vocabulary);
    const governance = resolveGovernance(config.governanceFile);
    const store = await openStore(database);
    const boss = await openQueue(database, {
      logger: rt.logger,
      supervise: true,
      schedule: true,
      maintenanceSeconds: reclaimSeconds,
    }).catch(async (err: unknown) => {
      await store.close();
      throw err;
    });

    const stop = new AbortController();
    const abort = new AbortController();
    let stoppedBy: 'SIGINT' | 'SIGTERM' | null = null;
    let stopTimer: NodeJS.Timeout | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      const sig = signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
      if (stoppedBy) {
        abort.abort(new Error(`interrupted by ${sig}`));
        return;
      }
      stoppedBy = sig;
      rt.logger.warn(
        `${sig}: taking no new jobs; running ones have ${stopTimeoutSeconds}s to finish (a second signal hands them back now)`,
      );
      stop.abort();
      stopTimer = setTimeout(
        () => abort.abort(new Error(`interrupted by ${sig}`)),
        stopTimeoutSeconds * 1000,
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    const writeReport = (r: JobReport) => {
      if (opts.format === 'json') {
        rt.emit(`${JSON.stringify(r)}\n`);
        return;
      }
      const label = { completed: 'done', retrying: 'RETRY', failed: 'FAIL' }[r.outcome];
      const what =
        r.tenant ?? (r.queue === SCHEDULE_QUEUE ? `schedule: queued round ${r.round}` : `round ${r.round}`);
      const detail =
        r.outcome === 'completed'
          ? r.output && 'scanId' in r.output
            ? `scan #${r.output.scanId} ${r.output.status}${Array.isArray(r.output.incomplete) ? `: ${r.output.incomplete.join(', ')} failed` : ''}`
            : 'done'
          : `failed: ${r.error}`;
      rt.emit(`${label}  ${what}  ${detail}  (job ${r.jobId}, attempt ${r.attempt})\n`);
    };
    const writeSummary = (s: WorkerSummary) => {
      if (opts.format === 'json') {
        rt.emit(`${JSON.stringify({ summary: s })}\n`);
        return;
      }
      rt.emit(
        `worker: ${s.done} done${s.incomplete ? ` (${s.incomplete} incomplete)` : ''}, ${s.retried} retried, ${s.failed} failed\n`,
      );
    };
    let summary: WorkerSummary | null = null;

    try {
      summary = await runWorker({
        boss,
        concurrency,
        drain: opts.drain === true,
        pollSeconds,
        logger: rt.logger,
        stop: stop.signal,
        abort: abort.signal,
        onJobEnd: writeReport,
        handlers: {
          async scan(job, signal, { attempt, attempts }) {
            const configured = config.connectors.find(
              (c) => c.connector.id === job.connector && c.tenant === job.tenant,
            );
            if (!configured) {
              throw new QueueJobError(
                `${job.connector}:${job.tenant} is not configured in ${config.file} on this worker: every worker needs the config the round was queued from`,
              );
            }
            const { scan, analysis } = await scanAndAnalyse({
              store,
              config,
              connectors: [configured],
              policy,
              governance,
              label: `round ${job.round}`,
              journalDir: null,
              resume: null,
              fullResync: false,
              logger: rt.logger.child({ tenant: `${job.connector}:${job.tenant}` }),
              progress: silentProgress,
              signal,
            });
            if (scan.status === 'incomplete') {
              // Stored and useful either way; worth another attempt only when it was "not now".
              const why = incompleteness(scan);
              if (why.transient && attempt < attempts)
                throw new TransientIncompleteScanError(scan.id, why.failed);
              return {
                scanId: scan.id,
                status: scan.status,
                incomplete: why.failed,
                findings: analysis.findings.counts,
              };
            }
            return {
              scanId: scan.id,
              status: scan.status,
              findings: analysis.findings.counts,
            };
          },
          async schedule(data) {
            const round = roundIdAt(new Date());
            const tenants = selectTenants(config, data);
            const queued = await enqueueRound(boss, round, tenants, {
              ...DEFAULT_JOB_POLICY,
              ...data.policy,
            });
            return { round, queued: queued.filter((q) => q.jobId !== null).length, tenants: tenants.length };
          },
          round: (job, signal) =>
            endRound({ boss, store, config, round: job.round, logger: rt.logger, signal }),
        },
      });
    } finally {
      clearTimeout(stopTimer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await boss.stop({ graceful: false, wait: true }).catch(() => {});
      await store.close();
    }
    if (summary) writeSummary(summary);
    process.exitCode = stoppedBy
      ? signalExitCode(stoppedBy)
      : summary && summary.failed > 0
        ? EXIT.jobsFailed
        : summary && summary.incomplete > 0
          ? EXIT.incomplete
          : EXIT.ok;
  });
}
