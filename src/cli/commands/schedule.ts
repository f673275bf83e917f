import type { Command } from 'commander';
import { selectTenants } from '../../config/select-tenants.js';
import { UsageError } from '../../errors.js';
import { renderJson } from '../../output/format.js';
import { openQueue, requireQueueDatabase } from '../../queue/open-queue.js';
import { getSchedule, removeSchedule, type ScheduleData, setSchedule } from '../../queue/schedule-round.js';
import { addCommonOptions, type CommonOptions, createRuntime, loadFullConfig } from '../runtime.js';
import { addRoundOptions, parseJobPolicy, type RoundOptions } from './queue-options.js';

interface ScheduleOptions extends CommonOptions, RoundOptions {
  cron?: string;
  tz: string;
  remove?: boolean;
}

export function scheduleCommand(program: Command): void {
  const cmd = program
    .command('schedule')
    .summary('queue a round on a cron schedule, fired by the running workers (PostgreSQL)')
    .description(
      'Store a cron schedule in the job queue: at each time it names, one of the running `grantscope worker` ' +
        'processes queues a round, as `grantscope enqueue` would (one job per tenant of its config). No ' +
        'crontab on any machine: the schedule lives in the database, and fires once however many workers ' +
        'run. Without --cron or --remove, shows the schedule in force.',
    )
    .option('--cron <expression>', 'when to queue a round: five cron fields (minute hour day month weekday)')
    .option('--tz <zone>', 'IANA time zone the cron expression is read in', 'UTC')
    .option('--remove', 'remove the schedule');
  addRoundOptions(cmd);
  addCommonOptions(cmd, { formats: ['table', 'json'] });
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope schedule --cron "0 2 * * *"                     # every night at 02:00 UTC
  $ grantscope schedule --cron "30 1 * * 1-5" --tz Europe/Berlin --only microsoft365
  $ grantscope schedule                                        # what is scheduled
  $ grantscope schedule --remove

Exit codes: 0 stored, shown or removed, 2 usage error (a bad cron expression or time zone, a SQLite
database), 4 the database could not be reached.`,
  );
  cmd.action(async (opts: ScheduleOptions) => {
    const rt = createRuntime(opts);
    if (opts.cron && opts.remove) throw new UsageError('--cron and --remove: choose one');
    const config = await loadFullConfig(opts);
    const database = requireQueueDatabase(opts.db ?? config.database, 'grantscope schedule');
    let data: ScheduleData | null = null;
    if (opts.cron) {
      // Checked now against this config: the workers resolve the names again when it fires.
      selectTenants(config, { only: opts.only, tenants: opts.tenant });
      data = {
        ...(opts.only ? { only: opts.only } : {}),
        ...(opts.tenant ? { tenants: opts.tenant } : {}),
        policy: parseJobPolicy(opts),
      };
    }
    const boss = await openQueue(database, { logger: rt.logger });
    try {
      if (opts.remove) {
        const had = await removeSchedule(boss);
        if (opts.format === 'json') rt.emit(renderJson({ removed: had }));
        else rt.emit(had ? 'schedule removed\n' : 'no schedule was set\n');
        return;
      }
      if (opts.cron && data) await setSchedule(boss, opts.cron, opts.tz, data);
      const current = await getSchedule(boss);
      if (opts.format === 'json') {
        rt.emit(renderJson({ schedule: current }));
        return;
      }
      if (!current) {
        rt.emit('no schedule: set one with `grantscope schedule --cron "0 2 * * *"`\n');
        return;
      }
      const who = current.data.tenants
        ? `tenants ${current.data.tenants.join(', ')}`
        : current.data.only
          ? `connectors ${current.data.only.join(', ')}`
          : 'every configured tenant';
      rt.emit(
        `${opts.cron ? 'scheduled' : 'schedule'}: "${current.cron}" (${current.timezone}), ${who}; ` +
          `${current.data.policy.retryLimit} retries, lease ${current.data.policy.leaseSeconds}s\n` +
          'fired by running `grantscope worker` processes\n',
      );
    } finally {
      await boss.stop({ graceful: false });
    }
  });
}
