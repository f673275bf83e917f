import { Command, CommanderError } from 'commander';
import { EXIT, GrantscopeError } from '../errors.js';
import { scrubText } from '../log/redact.js';
import { safeText } from '../output/safe-text.js';
import { TOOL_VERSION } from '../version.js';

/** Registers one command (and its subcommands) on the program. */
type CommandRegistration = (program: Command) => void;

/**
 * Every command, in help order, with the names it answers to and how to load it. A command's module is
 * loaded only when it runs: a process starting for `findings` does not load the queue's PostgreSQL client
 * or the connectors' HTTP stack (about 0.3 s of CPU per start on these machines).
 */
const COMMANDS: ReadonlyArray<{ name: string; load: () => Promise<CommandRegistration> }> = [
  { name: 'scan', load: async () => (await import('./commands/scan.js')).scanCommand },
  { name: 'inventory', load: async () => (await import('./commands/inventory.js')).inventoryCommand },
  { name: 'diff', load: async () => (await import('./commands/diff.js')).diffCommand },
  { name: 'findings', load: async () => (await import('./commands/findings.js')).findingsCommand },
  { name: 'rules', load: async () => (await import('./commands/rules.js')).rulesCommand },
  { name: 'report', load: async () => (await import('./commands/report.js')).reportCommand },
  { name: 'evidence', load: async () => (await import('./commands/evidence.js')).evidenceCommand },
  { name: 'review', load: async () => (await import('./commands/review.js')).reviewCommand },
  { name: 'reviews', load: async () => (await import('./commands/review.js')).reviewsCommand },
  { name: 'tickets', load: async () => (await import('./commands/tickets.js')).ticketsCommand },
  { name: 'enqueue', load: async () => (await import('./commands/enqueue.js')).enqueueCommand },
  { name: 'worker', load: async () => (await import('./commands/worker.js')).workerCommand },
  { name: 'schedule', load: async () => (await import('./commands/schedule.js')).scheduleCommand },
  { name: 'jobs', load: async () => (await import('./commands/jobs.js')).jobsCommand },
  { name: 'migrate', load: async () => (await import('./commands/migrate.js')).migrateCommand },
  { name: 'doctor', load: async () => (await import('./commands/doctor.js')).doctorCommand },
  { name: 'init', load: async () => (await import('./commands/init.js')).initCommand },
  { name: 'demo', load: async () => (await import('./commands/demo.js')).demoCommand },
  { name: 'emulator', load: async () => (await import('./commands/emulator.js')).emulatorCommand },
];

function helpWidth(): number {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const fromEnv = Number(process.env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv >= 40 ? fromEnv : 80;
}

/**
 * The program with the commands `argv` needs: the one it names, or all of them when it names none
 * (`--help`, `--version`) or one that does not exist (so that commander lists them or suggests the
 * nearest); none for `--version`. Without `argv`, every command.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const named = argv?.slice(2).find((a) => !a.startsWith('-'));
  const one = COMMANDS.find((c) => c.name === named);
  const versionOnly = !named && argv?.some((a) => a === '--version' || a === '-V');
  const wanted = one ? [one] : versionOnly ? [] : COMMANDS;
  const registrations = await Promise.all(wanted.map((c) => c.load()));
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
4 internal error, 5 a queued job failed for good (worker --drain), 130 interrupted (SIGINT),
143 stopped (SIGTERM).`,
    );
  for (const register of registrations) register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
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
