import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { readConfigFile } from '../../config/config.js';
import { EXIT, UsageError } from '../../errors.js';
import type { OutputFormat } from '../../output/format.js';
import { renderStoredTickets, renderTicketSync } from '../../output/views/tickets.js';
import { staleWarnings } from '../../selection/describe-selection.js';
import { openStore } from '../../store/open.js';
import type { SinkTypeRegistry } from '../../tickets/registry.js';
import type { SyncResult } from '../../tickets/sync.js';
import {
  addCommonOptions,
  type CommonOptions,
  configPath,
  createRuntime,
  databasePath,
  openExistingStore,
  parseScanId,
} from '../runtime.js';
import { selectScans } from './select-scan.js';

interface SyncOptions extends CommonOptions {
  dryRun?: boolean;
  sink?: string[];
  scan?: string;
}

/**
 * `registry`: the sink types (default: the built-in ones). Sinks and their SDKs (jira.js, Octokit) load
 * only when `tickets sync` runs, not for every command.
 */
export function ticketsCommand(program: Command, registry?: () => SinkTypeRegistry): void {
  const tickets = program
    .command('tickets')
    .summary('keep tickets (Jira, GitHub Issues, ServiceNow, webhooks) in step with findings')
    .description(
      'Open one ticket per finding (or per identity or owner), comment when it changes, close it when a ' +
        'complete scan no longer finds it and reopen it when it comes back. Sinks are configured under ' +
        '`tickets:` in grantscope.yaml (see docs/tickets.md).',
    );
  const sync = tickets
    .command('sync')
    .summary('bring every configured ticket sink up to date with the newest scan of every tenant')
    .option('--dry-run', 'print the plan; change nothing (sinks that can be asked are still read)')
    .option('--sink <name...>', 'only these sinks (names from tickets.sinks)')
    .option(
      '--scan <id>',
      'sync to this one scan, which must be the latest (default: the newest scan of each platform and tenant, e.g. a whole queue round; never older than last synced)',
    );
  addCommonOptions(sync, { formats: ['table', 'json'] });
  sync.addHelpText(
    'after',
    `
Examples:
  $ grantscope tickets sync --dry-run                 # what would be opened, commented, closed
  $ grantscope tickets sync --sink security-jira
  $ grantscope scan && grantscope tickets sync        # the scheduled job

By default the sync reads the newest scan of every tenant, so after a queue round (one scan per
tenant) one sync covers them all: a ticket is closed only when its tenant's own newest scan completed
without its finding, and a digest sink (Slack, webhook) gets one message. A tenant whose newest scan is
more than 7 days older than the newest one is warned about on stderr.

Exit codes: 0 synced, 2 usage or config error, 3 a sink failed (its state up to the failure is kept;
the next sync catches up).`,
  );
  const list = tickets
    .command('list')
    .summary(
      'the tickets the lifecycle keeps, per sink: state (open, closed, excepted, closed or deleted by hand)',
    )
    .option('--sink <name...>', 'only these sinks')
    .option(
      '--state <state...>',
      'only these states (open, closed, excepted, closed-by-hand, deleted-by-hand)',
    );
  addCommonOptions(list);
  list.addHelpText(
    'after',
    `
Examples:
  $ grantscope tickets list                           # every ticket the lifecycle keeps
  $ grantscope tickets list --state open --sink security-jira
  $ grantscope tickets list --state closed-by-hand --format json   # closed in the tracker, finding still open
`,
  );
  list.action(async (opts: CommonOptions & { sink?: string[]; state?: string[] }) => {
    const rt = createRuntime(opts);
    const file = configPath(opts);
    const configured = file ? (readConfigFile(file).settings.tickets?.sinks ?? []).map((s) => s.name) : [];
    const names = opts.sink ?? configured;
    if (names.length === 0) throw new UsageError('no sinks: pass --sink <name> or configure tickets.sinks');
    const store = await openExistingStore(opts);
    try {
      const rows = (await Promise.all(names.map((n) => store.readTickets(n))))
        .flat()
        .filter((t) => !opts.state || opts.state.includes(t.state));
      rt.emit(renderStoredTickets(rows, opts.format as OutputFormat));
    } finally {
      await store.close();
    }
  });

  sync.action(async (opts: SyncOptions) => {
    const rt = createRuntime(opts);
    const file = configPath(opts);
    if (!file)
      throw new UsageError('no config file: tickets sinks are configured in grantscope.yaml (`tickets:`)');
    const { parsed, settings } = readConfigFile(file);
    const { configuredSinks, SinkTypeRegistry } = await import('../../tickets/registry.js');
    const { syncSink } = await import('../../tickets/sync.js');
    let sinks = configuredSinks(parsed, settings.tickets, registry ? registry() : new SinkTypeRegistry());
    if (sinks.length === 0) throw new UsageError(`${file}: no ticket sinks configured (tickets.sinks)`);
    if (opts.sink) {
      const unknown = opts.sink.filter((n) => !sinks.some((s) => s.settings.name === n));
      if (unknown.length > 0) {
        throw new UsageError(
          `--sink: no sink named ${unknown.map((n) => `'${n}'`).join(', ')}; configured: ${sinks.map((s) => s.settings.name).join(', ')}`,
        );
      }
      sinks = sinks.filter((s) => opts.sink!.includes(s.settings.name));
    }
    const configDir = dirname(parsed.file);
    const context = {
      configDir,
      caFile: settings.tls.caFile ? resolve(configDir, settings.tls.caFile) : null,
    };
    const built = sinks.map((s) => ({ settings: s.settings, sink: s.type.create(s.settings, context) }));
    const db = databasePath(opts);
    if (!existsSync(db))
      throw new UsageError(`${db}: no such database; run \`grantscope scan\` first or pass --db`);
    const store = await openStore(db, opts.dryRun ? { readOnly: true } : {});
    const results: SyncResult[] = [];
    try {
      const selection = await selectScans(store, parseScanId(opts.scan, '--scan'));
      for (const warning of staleWarnings(selection)) rt.logger.warn(warning);
      const scan = selection.newest;
      const latest = await store.latestScan();
      if (latest && latest.id !== scan.id) {
        throw new UsageError(
          `--scan ${scan.id}: the store keeps the findings of the latest scan (${latest.id}) only; sync to it instead`,
        );
      }
      for (const { settings: s, sink } of built) {
        const last = await store.lastTicketSync(s.name);
        if (last && last.scanId > scan.id) {
          throw new UsageError(
            `sink ${s.name} was synced to scan ${last.scanId}; it never goes back to ${scan.id}`,
          );
        }
        const result = await syncSink({
          store,
          sink,
          settings: s,
          scan: selection,
          dryRun: opts.dryRun === true,
          logger: rt.logger,
        });
        if (result.error) rt.logger.error(result.error.message);
        results.push(result);
      }
    } finally {
      await store.close();
    }
    rt.emit(renderTicketSync(results, opts.format === 'json' ? 'json' : 'table', opts.dryRun === true));
    // Like an incomplete scan: what was done is kept, the next sync finishes the rest.
    process.exitCode = results.some((r) => r.error) ? EXIT.incomplete : EXIT.ok;
  });
}
