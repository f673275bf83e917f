import type { Command } from 'commander';
import { selectTenants } from '../../config/select-tenants.js';
import { type Column, renderJson, renderRows } from '../../output/format.js';
import { type EnqueuedTenant, enqueueRound } from '../../queue/enqueue-round.js';
import { openQueue, requireQueueDatabase } from '../../queue/open-queue.js';
import { roundIdAt } from '../../queue/scan-job.js';
import { addCommonOptions, type CommonOptions, createRuntime, loadFullConfig } from '../runtime.js';
import { addRoundOptions, parseJobPolicy, type RoundOptions } from './queue-options.js';

interface EnqueueOptions extends CommonOptions, RoundOptions {
  round?: string;
}

const COLUMNS: Column<EnqueuedTenant & { round: string }>[] = [
  { header: 'Connector', value: (r) => r.connector, noWrap: true },
  { header: 'Tenant', value: (r) => r.tenant, grow: 2 },
  { header: 'Job', value: (r) => r.jobId ?? '(still queued or running)', noWrap: true },
];

export function enqueueCommand(program: Command): void {
  const cmd = program
    .command('enqueue')
    .summary('queue a scan of every configured tenant for workers (PostgreSQL)')
    .description(
      'Start a round: put one scan job per tenant configured in grantscope.yaml on the job queue in the ' +
        'PostgreSQL database, for `grantscope worker` processes on any number of machines to run. A tenant ' +
        'whose job of an earlier round is still queued or running is left out, so one tenant is never queued ' +
        'or scanned twice at once. ' +
        'When every job of the round has ended, ticket sync runs once (docs/distributed.md).',
    )
    .option('--round <id>', 'round id carried by every job (default: the current UTC time)');
  addRoundOptions(cmd);
  addCommonOptions(cmd, { formats: ['table', 'json', 'csv', 'md'] });
  cmd.addHelpText(
    'after',
    `
Examples:
  $ export GRANTSCOPE_DATABASE_URL=postgres://grantscope@db.internal:5432/grantscope
  $ grantscope enqueue                          # one job per configured tenant
  $ grantscope enqueue --tenant github:acme     # one tenant
  $ grantscope enqueue --only microsoft365 --round nightly-2026-12-06
  $ grantscope worker --concurrency 4           # on each machine

Exit codes: 0 queued (tenants still queued or running are listed as such), 2 usage or config error
(including a SQLite database: the queue needs PostgreSQL), 4 the database could not be reached.`,
  );
  cmd.action(async (opts: EnqueueOptions) => {
    const rt = createRuntime(opts);
    const config = await loadFullConfig(opts);
    const database = requireQueueDatabase(opts.db ?? config.database, 'grantscope enqueue');
    const policy = parseJobPolicy(opts);
    const tenants = selectTenants(config, { only: opts.only, tenants: opts.tenant });
    const round = opts.round ?? roundIdAt(new Date());
    const boss = await openQueue(database, { logger: rt.logger });
    try {
      const queued = await enqueueRound(boss, round, tenants, policy);
      const waiting = queued.filter((q) => q.jobId === null).length;
      if (waiting > 0)
        rt.logger.warn(
          `${waiting} of ${queued.length} tenants still have a job queued or running: not queued again`,
        );
      const rows = queued.map((q) => ({ ...q, round }));
      if (opts.format === 'json') rt.emit(renderJson({ round, jobs: rows }));
      else {
        rt.emit(renderRows(opts.format as 'table' | 'csv' | 'md', rows, COLUMNS));
        if (opts.format === 'table')
          rt.emit(
            `\nround ${round}: ${queued.length - waiting} queued, ${waiting} still queued or running\n`,
          );
      }
    } finally {
      await boss.stop({ graceful: false });
    }
  });
}
