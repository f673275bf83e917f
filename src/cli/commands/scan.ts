import type { Command } from 'commander';
import { resolveGovernance } from '../../analysis/governance-source.js';
import { resolvePolicy } from '../../analysis/policy-source.js';
import { selectConfiguredConnectors } from '../../config/select-tenants.js';
import { deferredModule } from '../../deferred-module.js';
import { EXIT } from '../../errors.js';
import { FINDINGS_FORMATS, type FindingsFormat } from '../../output/format-names.js';
import { usableJournalDir } from '../../scan/journal-location.js';
import { scanAndAnalyse } from '../../scan/scan-and-analyse.js';
import { findResumable, journalSources, type ResumePlan } from '../../scan/scan-journal.js';
import { openStore } from '../../store/open.js';
import { exitCodeFor, failOnOption, parseFailOn } from '../fail-on.js';
import {
  addCommonOptions,
  type CommonOptions,
  createRuntime,
  loadFullConfig,
  parseAsOf,
} from '../runtime.js';

interface ScanOptions extends CommonOptions {
  format: FindingsFormat;
  failOn: string;
  asOf?: string;
  policy?: string;
  governance?: string;
  includeExcepted?: boolean;
  only?: string[];
  tenant?: string[];
  label?: string;
  full?: boolean;
  resume?: boolean;
}

export function scanCommand(program: Command): void {
  const cmd = program
    .command('scan')
    .summary('scan every configured tenant and store a snapshot')
    .description(
      'Scan every tenant configured in grantscope.yaml, store the result as a snapshot, compare it with the ' +
        'previous snapshot and evaluate the rules. Prints per-collector coverage, what changed, and the findings. ' +
        'A collector that fails (e.g. a missing permission) is named; the scan is stored as incomplete and ' +
        'nothing it owns is reported as removed.',
    )
    .option('--only <connector...>', 'scan only these connectors (ids as in the config, e.g. github)')
    .option(
      '--tenant <tenant...>',
      'scan only these tenants: `tenant` or `connector:tenant`, as in the config (e.g. github:acme)',
    )
    .option('--policy <file>', "policy file (default: the config's `policy`, else built-in defaults)")
    .option(
      '--governance <path>',
      "governance file or folder (owners, approvals, exceptions, retired; default: the config's `governance`)",
    )
    .option('--include-excepted', 'show findings accepted by an exception in table and md output')
    .option('--as-of <time>', 'evaluate time-based rules as of this ISO-8601 time (default: scan start)')
    .option('--label <text>', 'label stored with the scan (e.g. "pre-audit")')
    .option(
      '--full',
      'read everything in full, ignoring the delta links and read times kept from the previous scan, and evaluate every rule over every identity (no findings carried forward)',
    )
    .option(
      '--resume',
      'continue the newest scan that was cut off (killed, interrupted, or incomplete): answers it ' +
        'already received are read from its journal instead of being requested again',
    );
  failOnOption(cmd);
  addCommonOptions(cmd, { formats: FINDINGS_FORMATS });
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope scan                                # uses ./grantscope.yaml
  $ grantscope scan -c prod.yaml --fail-on high    # CI: exit 1 on high or critical findings
  $ grantscope scan --only github --format json > scan.json
  $ grantscope scan --tenant github:acme           # one tenant of several configured
  $ grantscope scan --resume                       # after a scan was killed or ran out of quota

csv, jsonl, sarif (GitHub code scanning) and ocsf (OCSF Detection Findings, one per line) write the
findings only; json writes coverage, changes and findings; see \`grantscope findings --help\`.

Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or config error, 3 scan incomplete.`,
  );
  cmd.action(async (opts: ScanOptions) => {
    const rt = createRuntime(opts);
    const failOn = parseFailOn(opts.failOn);
    const config = await loadFullConfig(opts);
    const selected = selectConfiguredConnectors(config, { only: opts.only, tenants: opts.tenant });
    const policy = resolvePolicy(opts.policy ?? config.policyFile, config.vocabulary);
    // Read before scanning: a mistake in the file must not cost a whole scan.
    const governance = resolveGovernance(opts.governance ?? config.governanceFile);
    // Check --as-of now: a typo must not cost a whole scan.
    parseAsOf(opts.asOf, new Date());
    const database = opts.db ?? config.database;
    // Before the store opens: a journal folder that cannot be written must not leave a pool open.
    const journalDir = usableJournalDir(database, config.dir, rt.logger, opts.resume === true);
    const store = await openStore(database);
    let resume: ResumePlan | null = null;
    if (opts.resume) {
      resume = journalDir ? await findResumable(store, journalDir, journalSources(selected)) : null;
      if (!resume) {
        await store.close();
        rt.logger.error(
          `nothing to resume: no failed or incomplete scan left a response journal${journalDir ? ` in ${journalDir}` : ''} (a scan that completed deletes its journal; on PostgreSQL, a journal is kept by the machine that ran the scan)`,
        );
        process.exitCode = EXIT.usage;
        return;
      }
      if (resume.differences.length > 0) {
        rt.logger.warn(
          `resuming scan #${resume.scanId}, which scanned different sources or configuration: only identical requests are answered from its journal`,
          { differences: resume.differences.join('; ') },
        );
      }
    }
    const controller = new AbortController();
    // The reason names the signal: the scan ends with 130 (SIGINT) or 143 (SIGTERM).
    const onSignal = (signal: NodeJS.Signals) => controller.abort(new Error(`interrupted by ${signal}`));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // The renderers of every format: needed only once the scan is done, loaded while it collects.
    const output = deferredModule(async () => {
      const [report, sarif, anchor] = await Promise.all([
        import('../../output/views/scan-report.js'),
        import('../../output/views/sarif.js'),
        import('../../output/sarif-anchor.js'),
      ]);
      return { ...report, ...sarif, ...anchor };
    });
    try {
      const { analysis, ...outcome } = await scanAndAnalyse({
        store,
        config,
        connectors: selected,
        policy,
        governance,
        asOf: (started) => parseAsOf(opts.asOf, started),
        label: resume
          ? [`resume of #${resume.scanId}`, opts.label].filter(Boolean).join(': ')
          : (opts.label ?? null),
        journalDir,
        resume,
        fullResync: opts.full === true,
        logger: rt.logger,
        progress: rt.progress,
        signal: controller.signal,
        onFirstRequest: output.preload,
      });
      const { scanReportChunks, MAX_RESULTS_PER_RUN, configAnchor } = await output.load();
      await rt.emitStream(
        scanReportChunks({ ...outcome, analysis }, opts.format, rt.color, {
          includeExcepted: opts.includeExcepted === true,
          sarifAnchor: configAnchor(config.file, process.cwd()),
        }),
      );
      const total =
        Object.values(analysis.findings.counts).reduce((a, b) => a + b, 0) +
        (analysis.findings.excepted ?? 0);
      if (opts.format === 'sarif' && total > MAX_RESULTS_PER_RUN)
        rt.logger.warn(
          `${total} results: GitHub code scanning rejects a SARIF run of more than ${MAX_RESULTS_PER_RUN}; narrow it with \`grantscope findings --severity\` or --platform before uploading`,
        );
      process.exitCode = exitCodeFor(outcome.scan.status === 'complete', analysis.findings.counts, failOn);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await store.close();
    }
  });
}
