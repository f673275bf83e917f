import { Command, CommanderError } from 'commander';
import { EXIT, GrantscopeError } from '../errors.js';
import { scrubText } from '../log/redact.js';
import { safeText } from '../output/safe-text.js';
import { TOOL_VERSION } from '../version.js';
import { demoCommand } from './commands/demo.js';
import { diffCommand } from './commands/diff.js';
import { doctorCommand } from './commands/doctor.js';
import { emulatorCommand } from './commands/emulator.js';
import { enqueueCommand } from './commands/enqueue.js';
import { evidenceCommand } from './commands/evidence.js';
import { findingsCommand } from './commands/findings.js';
import { initCommand } from './commands/init.js';
import { inventoryCommand } from './commands/inventory.js';
import { jobsCommand } from './commands/jobs.js';
import { migrateCommand } from './commands/migrate.js';
import { reportCommand } from './commands/report.js';
import { reviewCommand, reviewsCommand } from './commands/review.js';
import { rulesCommand } from './commands/rules.js';
import { scanCommand } from './commands/scan.js';
import { scheduleCommand } from './commands/schedule.js';
import { ticketsCommand } from './commands/tickets.js';
import { workerCommand } from './commands/worker.js';

function helpWidth(): number {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const fromEnv = Number(process.env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv >= 40 ? fromEnv : 80;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('grantscope')
    .version(TOOL_VERSION)
    .description(
      // One paragraph: commander wraps it to the terminal's width.
      'Find every third-party non-human identity granted into your GitHub org, Microsoft 365 tenant and Google ' +
        'Workspace domain; keep each scan as a snapshot, show what changed, and flag what is over-privileged, ' +
        'ownerless, stale, unapproved or overdue for review.',
    )
    .showHelpAfterError('(run with --help for usage)')
    // Help wraps to the terminal; piped (or in tests), to $COLUMNS, else 80.
    .configureOutput({ getOutHelpWidth: helpWidth, getErrHelpWidth: helpWidth })
    .exitOverride()
    .addHelpText(
      'after',
      `
Start here:
  $ grantscope demo                      # a built-in organisation on a local emulator, no credentials
  $ grantscope scan -c grantscope.yaml   # your tenants
  $ grantscope findings --severity high

Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or config error, 3 scan incomplete,
4 internal error, 130 interrupted (SIGINT), 143 stopped (SIGTERM).`,
    );
  scanCommand(program);
  inventoryCommand(program);
  diffCommand(program);
  findingsCommand(program);
  rulesCommand(program);
  reportCommand(program);
  evidenceCommand(program);
  reviewCommand(program);
  reviewsCommand(program);
  ticketsCommand(program);
  enqueueCommand(program);
  workerCommand(program);
  scheduleCommand(program);
  jobsCommand(program);
  migrateCommand(program);
  doctorCommand(program);
  initCommand(program);
  demoCommand(program);
  emulatorCommand(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with a CommanderError too, with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof GrantscopeError) {
      process.stderr.write(`grantscope: ${safeText(scrubText(err.message))}\n`);
      return err.exitCode;
    }
    process.stderr.write(
      `grantscope: internal error: ${safeText(scrubText((err as Error)?.stack ?? String(err)))}\n`,
    );
    return EXIT.internal;
  }
}
