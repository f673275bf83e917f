import { type Command, Option } from 'commander';
import { type Column, renderJson, renderRows } from '../../output/format.js';
import { countJobs, JOB_STATES, type JobRow, type JobState, listJobs } from '../../queue/list-jobs.js';
import { openQueue, requireQueueDatabase } from '../../queue/open-queue.js';
import { addCommonOptions, type CommonOptions, createRuntime, databasePath } from '../runtime.js';
import { parseWholeNumber } from './queue-options.js';

interface JobsOptions extends CommonOptions {
  state?: JobState[];
  round?: string;
  limit: string;
}

const COLUMNS: Column<JobRow>[] = [
  // A done job whose scan is incomplete is shown as such: stored, but a collector failed for good.
  { header: 'State', value: (r) => (r.scanStatus === 'incomplete' ? 'incomplete' : r.state), noWrap: true },
  { header: 'Round', value: (r) => r.round, noWrap: true, hideBelow: 90 },
  { header: 'Job', value: (r) => (r.kind === 'round' ? 'round end' : r.tenant), grow: 2 },
  {
    header: 'Try',
    value: (r) => (r.attempt === 0 ? '' : `${r.attempt}/${r.attempts}`),
    align: 'right',
    noWrap: true,
  },
  { header: 'Worker', value: (r) => r.worker, hideBelow: 100 },
  {
    header: 'When',
    value: (r) => r.finishedAt ?? r.startedAt ?? r.startAfter ?? r.createdAt,
    noWrap: true,
    hideBelow: 80,
  },
  {
    header: 'Detail',
    value: (r) =>
      r.error ??
      (r.output && 'scanId' in r.output
        ? `scan #${r.output.scanId} ${r.output.status}${Array.isArray(r.output.incomplete) ? `: ${r.output.incomplete.join(', ')} failed` : ''}`
        : r.output && 'scans' in r.output
          ? `${r.output.scans} scans${roundReportOf(r.output)}`
          : ''),
    grow: 3,
  },
];

/** `, report <file>` when a round job wrote the round's report (`roundReportDir`). */
function roundReportOf(output: Record<string, unknown>): string {
  const report = output.report as { file?: unknown } | undefined;
  return typeof report?.file === 'string' ? `, report ${report.file}` : '';
}

export function jobsCommand(program: Command): void {
  const cmd = program
    .command('jobs')
    .summary('show queued, running, done and failed scan jobs (PostgreSQL job queue)')
    .description(
      'List the jobs of the job queue, newest first: queued (waiting, or waiting for a retry after a ' +
        'failure), running (with the worker host:pid holding it), done (with the scan it stored; shown as ' +
        'incomplete when a collector failed for good) and failed (with the error of its last attempt). Round jobs ("round end") run the ticket sync once a round ended.',
    )
    .addOption(new Option('--state <state...>', 'only jobs in these states').choices(JOB_STATES))
    .option('--round <id>', 'only the jobs of this round')
    .option('--limit <n>', 'at most this many jobs', '200');
  addCommonOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope jobs                              # the newest 200 jobs and a count per state
  $ grantscope jobs --state failed running
  $ grantscope jobs --round 2026-12-06T02:00:00Z --format json | jq '.jobs[] | select(.state=="failed")'

Exit codes: 0 listed, 2 usage error (including a SQLite database), 4 the database could not be reached.`,
  );
  cmd.action(async (opts: JobsOptions) => {
    const rt = createRuntime(opts);
    const limit = parseWholeNumber(opts.limit, '--limit', 1, 100_000);
    const database = requireQueueDatabase(databasePath(opts), 'grantscope jobs');
    const boss = await openQueue(database, { logger: rt.logger });
    try {
      const jobs = await listJobs(boss, { states: opts.state, round: opts.round, limit });
      const { counts, incomplete } = await countJobs(boss, opts.round);
      if (opts.format === 'json') {
        rt.emit(renderJson({ counts, incomplete, jobs }));
        return;
      }
      rt.emit(renderRows(opts.format as 'table' | 'csv' | 'md', jobs, COLUMNS));
      if (opts.format === 'table') {
        rt.emit(
          `\n${JOB_STATES.map((s) => `${counts[s]} ${s}${s === 'done' && incomplete ? ` (${incomplete} incomplete)` : ''}`).join(', ')}${opts.round ? ` (round ${opts.round})` : ''}\n`,
        );
      }
    } finally {
      await boss.stop({ graceful: false });
    }
  });
}
