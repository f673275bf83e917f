import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { assertFolderIsOurs, writeClientConfig } from '../../demo/client-config.js';
import { withEmulator } from '../../demo/load-emulator.js';
import { startLocalJira } from '../../demo/local-jira.js';
import { UsageError } from '../../errors.js';
import { demoWorld } from '../../package-root.js';
import { parseAsOf } from '../runtime.js';

/** Midnight UTC of `d`: the emulator's default clock, the same for every restart that day. */
function startOfUtcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

interface EmulatorOptions {
  world?: string;
  port?: string;
  configDir?: string;
  force?: boolean;
  now?: string;
  limits?: string;
  jira?: boolean;
}

export function emulatorCommand(program: Command): void {
  program
    .command('emulator')
    .summary('serve a local emulator of the GitHub, Microsoft Graph and Google APIs')
    .description(
      'Serve a world (a YAML/JSON description of an organisation) over HTTPS on 127.0.0.1, emulating the ' +
        'GitHub REST/GraphQL, Microsoft Graph + Entra login and Google Admin/IAM APIs closely enough for the real ' +
        'SDKs. Writes a grantscope.yaml for it (with throw-away credentials and the emulator CA) and runs until ' +
        'interrupted. Control endpoints: GET /_emulator/stats, POST|GET|DELETE /_emulator/faults.',
    )
    .option('--world <file>', 'world file (default: the built-in demo world)')
    .option(
      '--now <time>',
      "the emulator's clock, which the world's relative dates count from (default: the world's `now`, else today 00:00 UTC, so restarting it the same day serves the same data)",
    )
    .option('--port <n>', 'port to listen on (default: a free one)')
    .option('--config-dir <dir>', 'where to write grantscope.yaml and credentials (default: a new temp dir)')
    .option(
      '--limits <preset|file>',
      'enforce quota limits: `realistic`, `realistic-x<N>` (time windows N times shorter) or a YAML/JSON file',
    )
    .option(
      '--jira',
      'also serve a local Jira Cloud (REST v3) for the Jira ticket sink: adds a `local-jira` ticket sink to the written grantscope.yaml',
    )
    .option(
      '--force',
      'write into --config-dir even if it holds a grantscope.yaml or database not written here',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ grantscope emulator                                   # demo world, prints the config path
  $ grantscope emulator --world my-world.yaml --port 8443 --config-dir ./emu
  $ grantscope scan -c ./emu/grantscope.yaml              # in another terminal`,
    )
    .action(async (opts: EmulatorOptions) => {
      const port = opts.port === undefined ? 0 : Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port: not a port: ${opts.port}`);
      if (opts.configDir && !opts.force) assertFolderIsOurs(resolve(opts.configDir), '--config-dir');
      const world = opts.world ? resolve(opts.world) : demoWorld('demo');
      const now = opts.now === undefined ? undefined : parseAsOf(opts.now, new Date(), '--now');
      await withEmulator(async ({ startEmulator, resolveLimits, startJiraEmulator, fakeJiraApiToken }) => {
        const limits = opts.limits === undefined ? undefined : resolveLimits(opts.limits);
        const emu = await startEmulator({
          world,
          port,
          ...(limits ? { limits } : {}),
          ...(now ? { now } : { defaultNow: startOfUtcDay(new Date()) }),
        });
        const dir = opts.configDir
          ? resolve(opts.configDir)
          : mkdtempSync(join(tmpdir(), 'grantscope-emulator-'));
        mkdirSync(dir, { recursive: true });
        const jira = opts.jira ? await startLocalJira(dir, { startJiraEmulator, fakeJiraApiToken }) : null;
        const written = writeClientConfig(emu, dir, jira ? { tickets: { sinks: [jira.entry] } } : {});
        process.stdout.write(
          `Emulator serving "${emu.world().name}" at ${emu.origin}\n` +
            `Config written to ${written.configFile}\n` +
            `Clock: ${emu.now.toISOString()} (--now to change it)\n` +
            (jira
              ? `Jira emulator at ${jira.emulator.origin}; ticket sink 'local-jira' in the config\n` +
                `  (by hand: GET ${jira.emulator.origin}/_emulator/issues, POST …/_emulator/issues/KEY/status {"status":"Done"})\n`
              : '') +
            `Try:  grantscope scan -c ${written.configFile}\n` +
            'Press Ctrl-C to stop.\n',
        );
        await new Promise<void>((done) => {
          const stop = () => {
            Promise.all([emu.stop(), jira?.emulator.close()]).then(() => done(), done);
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      });
    });
}
