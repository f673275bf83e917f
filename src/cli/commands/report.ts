import type { Command } from 'commander';
import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import { buildReportData } from '../../report/build-report-data.js';
import { AUDIT_FRAMEWORK_IDS } from '../../report/framework-view.js';
import { renderReportHtml } from '../../report/render-html.js';
import { staleWarnings } from '../../selection/describe-selection.js';
import { OutputFile, parseFileMode } from '../output-file.js';
import {
  addCommonOptions,
  configPath,
  createRuntime,
  databasePath,
  openExistingStore,
  parseScanId,
} from '../runtime.js';
import { type AuditOptions, loadAuditContext } from './audit-context.js';
import { SCAN_OPTION_HELP, selectScans } from './select-scan.js';

export const DEFAULT_REPORT_FILE = 'grantscope-report.html';
export const DEFAULT_HISTORY = 12;

interface ReportOptions extends AuditOptions {
  framework?: string;
  history: string;
  out: string;
}

/** `--history N`: how many scans the trend and identity histories look back on. */
export function parseHistory(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new UsageError(`--history: not a number of scans from 1 to 1000: '${value}'`);
  return n;
}

/** The report options `report` and `evidence` share. */
export function addReportOptions(cmd: Command): Command {
  return cmd
    .option('--scan <id>', SCAN_OPTION_HELP)
    .option(
      '--as-of <time>',
      "evaluate as of this ISO-8601 time, or 'now' (default: the start time of the newest scan read)",
    )
    .option('--policy <file>', "policy file (default: the config's `policy`, else built-in defaults)")
    .option(
      '--governance <path>',
      "governance file or folder: owners, approvals, exceptions, reviews (default: the config's `governance`)",
    )
    .addOption(
      new Option('--framework <id>', 'limit the framework view to one framework').choices(
        AUDIT_FRAMEWORK_IDS,
      ),
    )
    .option(
      '--history <n>',
      'scans the trend and each identity history look back on',
      String(DEFAULT_HISTORY),
    );
}

export function reportCommand(program: Command): void {
  const cmd = program
    .command('report')
    .summary('write a self-contained HTML audit report')
    .description(
      'Write one HTML file for people and auditors: an executive summary (findings\n' +
        'by severity, platform and rule; coverage; incomplete collectors), charts of\n' +
        'findings and of the trend across scans, an inventory that filters and sorts,\n' +
        'a page per identity (grants, credentials, owners, approval, exception,\n' +
        'reviews, history, the link to revoke it) and a view per framework control\n' +
        '(OWASP NHI Top 10 2025, NIST CSF 2.0, CIS Controls v8, SOC 2) with its\n' +
        'evidence and failing findings. The file loads and sends nothing when\n' +
        'opened: its data, style and script are inline. By default each platform\n' +
        'and tenant is read from its newest scan (a whole queue round; the latest\n' +
        'scan when one scan covered them all); --scan N reports on one scan.',
    )
    .option('-o, --out <file>', 'the HTML file to write', DEFAULT_REPORT_FILE)
    .option('--mode <octal>', 'file mode of the report', '600');
  addReportOptions(cmd);
  addCommonOptions(cmd, { format: false });
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope report                                   # newest scan of every tenant -> ./grantscope-report.html
  $ grantscope report -c grantscope.yaml --framework soc2 -o soc2.html
  $ grantscope report --scan 12 --history 30 -o q4.html # one scan only
  $ grantscope evidence --zip audit.zip                 # the report plus the raw evidence, checksummed

The same snapshot, policy and governance give the same file (no generation time is written in it).
See docs/report.md.`,
  );
  cmd.action(async (opts: ReportOptions) => {
    const rt = createRuntime(opts);
    const history = parseHistory(opts.history);
    const protectedFiles = [databasePath(opts), configPath(opts)].filter((f): f is string => f !== null);
    const out = new OutputFile(opts.out, parseFileMode(opts.mode), protectedFiles);
    const context = await loadAuditContext(opts);
    const store = await openExistingStore(opts);
    try {
      const selection = await selectScans(store, parseScanId(opts.scan, '--scan'));
      for (const warning of staleWarnings(selection)) rt.logger.warn(warning);
      const { asOf, findings } = await context.findingsOf(store, selection);
      const data = await buildReportData({
        store,
        scan: selection,
        findings,
        governance: context.governance,
        asOf,
        history,
        framework: opts.framework ?? null,
      });
      out.write(renderReportHtml(data));
      rt.logger.info(
        `report of ${selection.scans.length > 1 ? `${selection.scans.length} scans (newest #${selection.newest.id})` : `scan #${selection.newest.id}`} written to ${out.path}`,
      );
      if (!opts.quiet) process.stderr.write(`Report: ${out.path}\n`);
    } finally {
      await store.close();
    }
  });
}
