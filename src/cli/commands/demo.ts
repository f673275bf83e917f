import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { assertFolderIsOurs } from '../../demo/client-config.js';
import { writeDemoHtmlReport } from '../../demo/html-report.js';
import { runDemo } from '../../demo/run-demo.js';
import { type OutputFormat, renderJson } from '../../output/format.js';
import { renderDiff } from '../../output/views/diff.js';
import { collectText, findingsChunks } from '../../output/views/findings.js';
import { renderCoverage, scanHeadline } from '../../output/views/scan.js';
import { scanReportChunks } from '../../output/views/scan-report.js';
import { ticketSyncSummary } from '../../output/views/tickets.js';
import { compareFindings } from '../../rules/evaluate.js';
import { selfCommand, shellWord } from '../invocation.js';
import { addCommonOptions, type CommonOptions, createRuntime } from '../runtime.js';

interface DemoOptions extends CommonOptions {
  dir?: string;
  force?: boolean;
}

export function demoCommand(program: Command): void {
  const cmd = program
    .command('demo')
    .summary('scan a built-in demo organisation on a local emulator')
    .description(
      'See grantscope work before giving it admin credentials. Starts a local emulator of the GitHub, ' +
        'Microsoft Graph and Google APIs serving a made-up organisation, scans it with the real SDKs, changes ' +
        'the organisation, scans again, then prints what changed and the findings. Needs no network.',
    )
    .option('--dir <dir>', 'keep config, throw-away credentials and the database here (default: a temp dir)')
    .option('--force', 'use --dir even if it holds a grantscope.yaml or database the demo did not write');
  addCommonOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope demo
  $ grantscope demo --dir ./demo && grantscope inventory --db ./demo/grantscope.db`,
  );
  cmd.action(async (opts: DemoOptions) => {
    const rt = createRuntime(opts);
    const dir = opts.dir ? resolve(opts.dir) : undefined;
    if (dir && !opts.force) assertFolderIsOurs(dir, '--dir');
    if (dir) mkdirSync(dir, { recursive: true });
    const say = (text: string) => {
      if (opts.format === 'table') process.stderr.write(`${text}\n`);
    };
    const started = Date.now();
    const result = await runDemo({ dir, logger: rt.logger, progress: rt.progress, onPhase: say });
    const { first, second } = result;
    // A Markdown report of the second scan (coverage, changes, findings), for sharing.
    const report = join(result.dir, 'report.md');
    writeFileSync(report, await collectText(scanReportChunks(second, 'md')), { mode: 0o600 });
    chmodSync(report, 0o600);
    // The same scan as a self-contained HTML report, read back from the demo's database.
    const htmlReport = await writeDemoHtmlReport(
      result.database,
      result.governanceFile,
      second.scan.id,
      join(result.dir, 'report.html'),
    );
    if (opts.format === 'json') {
      const findings = [];
      for await (const f of second.analysis.findings.read()) findings.push(f);
      rt.emit(
        renderJson({
          database: result.database,
          governance: result.governanceFile,
          scans: [first.scan, second.scan],
          coverage: second.coverage,
          diff: second.analysis.diffSummary,
          findings: findings.sort(compareFindings),
          tickets: {
            jira: result.tickets.jiraOrigin,
            syncs: [...result.tickets.first, ...result.tickets.second].map((r) => ({
              sink: r.sink,
              scanId: r.scanId,
              actions: r.plan.actions.map((a) => ({ kind: a.kind, key: a.key, ticket: a.next.remoteId })),
              done: r.done,
              requests: r.calls,
              error: r.error?.message ?? null,
            })),
          },
          report,
          htmlReport,
        }),
      );
      return;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    // Hints that work when pasted: grantscope may not be on PATH (npm run demo, npx).
    const gs = selfCommand();
    const db = shellWord(result.database);
    const out = [
      `\n${scanHeadline(first.scan)}`,
      `\n${scanHeadline(second.scan)}\n`,
      renderCoverage(second.coverage, rt.color),
      second.analysis.diff
        ? `\n== What changed between scan #${first.scan.id} and scan #${second.scan.id} ==\n${renderDiff(second.analysis.diff, 'table', { from: first.scan, to: second.scan, color: rt.color })}`
        : '',
      `\n== Findings (scan #${second.scan.id}) ==\n${await collectText(findingsChunks(second.analysis.findings.read(), opts.format as OutputFormat, rt.color))}`,
      `\n== Tickets in the local Jira (one per partner identity; \`grantscope tickets sync\` after each scan) ==\n`,
      ...[...result.tickets.first, ...result.tickets.second].map((r) => `${ticketSyncSummary(r, false)}\n`),
      `\nDone in ${seconds}s (${result.requests} API requests to the emulator).\n`,
      `Report:   ${report}\n`,
      `HTML report: ${htmlReport}   (open it in a browser; it works offline)\n`,
      `Database: ${result.database}\n`,
      `Governance: ${result.governanceFile} (owners, approvals, an exception, a retired vendor, a review)\n`,
      `Explore:  ${gs} inventory --db ${db}\n`,
      `          ${gs} findings --db ${db} --format json\n`,
      `          ${gs} findings -c ${shellWord(result.configFile)} --include-excepted   # with the governance file\n`,
      `          sqlite3 -readonly ${db} 'select * from findings'\n`,
    ];
    rt.emit(out.join(''));
  });
}
