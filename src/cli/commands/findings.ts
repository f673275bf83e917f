import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { streamFindings } from '../../analysis/analyse.js';
import { resolveGovernance } from '../../analysis/governance-source.js';
import { resolvePolicy } from '../../analysis/policy-source.js';
import { readConfigFile } from '../../config/config.js';
import { UsageError } from '../../errors.js';
import { SEVERITY_ORDER, type Severity } from '../../findings/finding.js';
import { configAnchor } from '../../output/sarif-anchor.js';
import {
  emptyCounts,
  FINDINGS_FORMATS,
  type FindingsFormat,
  findingsChunks,
} from '../../output/views/findings.js';
import { MAX_RESULTS_PER_RUN } from '../../output/views/sarif.js';
import { RULE_IDS } from '../../rules/registry.js';
import { coverageLine, selectionCoverage, staleWarnings } from '../../selection/describe-selection.js';
import { exitCodeFor, failOnOption, parseFailOn } from '../fail-on.js';
import {
  addCommonOptions,
  type CommonOptions,
  configPath,
  createRuntime,
  loadVocabularyFor,
  openExistingStore,
  parseAsOf,
  parseScanId,
} from '../runtime.js';
import { SCAN_OPTION_HELP, selectScans } from './select-scan.js';

interface FindingsOptions extends CommonOptions {
  format: FindingsFormat;
  scan?: string;
  asOf?: string;
  policy?: string;
  governance?: string;
  includeExcepted?: boolean;
  severity?: Severity;
  rule?: string[];
  platform?: string[];
  fingerprint?: string[];
  failOn: string;
}

export function findingsCommand(program: Command): void {
  const cmd = program
    .command('findings')
    .summary('list findings for a snapshot')
    .description(
      'Evaluate the rules on the stored snapshots and list the findings, most severe first. By default each ' +
        'platform and tenant is read from its newest scan (the latest scan, when one scan covered them all; a ' +
        'whole round when a queue scanned one tenant per scan); --scan N reads one scan. Time-based rules (stale, ' +
        'expiring credentials) are evaluated as of the (newest) scan time unless --as-of is given, so the same ' +
        'snapshots and policy always give the same findings.',
    )
    .option('--scan <id>', SCAN_OPTION_HELP)
    .option(
      '--as-of <time>',
      "evaluate as of this ISO-8601 time, or 'now' (default: the start time of the newest scan read)",
    )
    .option('--policy <file>', "policy file (default: the config's `policy`, else built-in defaults)")
    .option(
      '--governance <path>',
      "governance file or folder (owners, approvals, exceptions, retired; default: the config's `governance`)",
    )
    .option('--include-excepted', 'show findings accepted by an exception in table and md output')
    .addOption(
      new Option('--severity <level>', 'only findings at or above this severity').choices([
        'info',
        'low',
        'medium',
        'high',
        'critical',
      ]),
    )
    .addOption(new Option('--rule <rule...>', 'only these rules').choices(RULE_IDS))
    .option('--platform <platform...>', 'only these platforms (github, microsoft365, google-workspace, …)')
    .option(
      '--fingerprint <prefix...>',
      'only findings whose fingerprint starts with one of these (at least 4 hex digits: the short form tables show will do; repeat it or separate with commas)',
    );
  failOnOption(cmd);
  addCommonOptions(cmd, { formats: FINDINGS_FORMATS });
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope findings                              # newest scan of every tenant, as a table
  $ grantscope findings --scan 12                    # one scan only
  $ grantscope findings --severity high --format json | jq '.[].identity'
  $ grantscope findings --scan 12 --as-of 2026-12-31T00:00:00Z --format csv -o findings.csv
  $ grantscope findings --fail-on critical           # CI gate on the stored snapshot
  $ grantscope findings --format sarif -o grantscope.sarif   # for GitHub code scanning
  $ grantscope findings --fingerprint 749787a4d7 --format md  # one finding, by its short fingerprint

JSON output is an array of findings; its JSON Schema is src/findings/finding.schema.json. jsonl writes
one finding per line (the same objects), for scripts that read findings as they come.
sarif writes SARIF 2.1.0 for GitHub code scanning (upload it with github/codeql-action/upload-sarif):
one result per finding, partialFingerprints = the finding's fingerprint, the identity as logical
location, shown on its platform's section of grantscope.yaml; findings accepted by an exception are
kept as suppressed results. ocsf writes one OCSF 1.8.0 Detection Finding (class 2004) per line, for
SIEMs and data lakes.

Which scans are read: every finding names its scan (scanId). When the tenants were read from more than
one scan, the table and md start with a "Scans read" line, and a tenant whose newest scan is more
than 7 days older than the newest one is warned about on stderr.`,
  );
  cmd.action(async (opts: FindingsOptions) => {
    const rt = createRuntime(opts);
    const failOn = parseFailOn(opts.failOn);
    const cfg = configPath(opts);
    const settings = cfg && (!opts.policy || !opts.governance) ? readConfigFile(cfg).settings : null;
    const policyFile = opts.policy ?? (cfg && settings?.policy ? resolve(cfg, '..', settings.policy) : null);
    const governance = resolveGovernance(
      opts.governance ?? (cfg && settings?.governance ? resolve(cfg, '..', settings.governance) : null),
    );
    const vocabulary = await loadVocabularyFor(opts);
    const policy = resolvePolicy(policyFile, vocabulary);
    // Checked before the store is opened: a typo is a usage error, not an empty result.
    const prefixes = parseFingerprintPrefixes(opts.fingerprint);
    const store = await openExistingStore(opts);
    try {
      const selection = await selectScans(store, parseScanId(opts.scan, '--scan'));
      const scan = selection.newest;
      for (const warning of staleWarnings(selection)) rt.logger.warn(warning);
      const asOf = parseAsOf(opts.asOf, new Date(scan.startedAt));
      const rounds = selection.scans.length > 1;
      const counts = emptyCounts();
      let excepted = 0;
      const all = streamFindings(store, selection, {
        policy,
        asOf,
        vocabulary,
        governance,
        progress: rt.progress,
      });
      const matched = new Set<string>();
      const shown = async function* () {
        for await (const f of all) {
          if (prefixes) {
            const hits = prefixes.filter((p) => f.fingerprint.startsWith(p));
            if (hits.length === 0) continue;
            for (const p of hits) matched.add(p);
          }
          if (opts.severity && SEVERITY_ORDER[f.severity] < SEVERITY_ORDER[opts.severity]) continue;
          if (opts.rule && !opts.rule.includes(f.rule)) continue;
          if (opts.platform && !opts.platform.includes(f.platform)) continue;
          // --fail-on ignores findings accepted by an exception.
          if (!f.excepted) counts[f.severity] += 1;
          else excepted += 1;
          yield f;
        }
      };
      await rt.emitStream(
        findingsChunks(shown(), opts.format, rt.color, {
          includeExcepted: opts.includeExcepted === true,
          sarifAnchor: configAnchor(cfg, process.cwd()),
          runProperties: {
            scanId: scan.id,
            scanStatus: selection.status,
            asOf: asOf.toISOString(),
            ...(rounds ? { scans: selectionCoverage(selection).sources } : {}),
          },
          ...(rounds ? { coverage: coverageLine(selection) } : {}),
        }),
      );
      // As the other filters, no match is an empty list (exit 0), but a prefix no finding has is named.
      for (const p of (prefixes ?? []).filter((x) => !matched.has(x)))
        rt.logger.warn(
          `--fingerprint ${p}: no finding of ${rounds ? `the ${selection.scans.length} scans read` : `scan #${scan.id}`} has a fingerprint starting with it (the short form is the first 10 digits a table or md view shows)`,
        );
      const total = Object.values(counts).reduce((a, b) => a + b, 0) + excepted;
      if (opts.format === 'sarif' && total > MAX_RESULTS_PER_RUN)
        rt.logger.warn(
          `${total} results: GitHub code scanning rejects a SARIF run of more than ${MAX_RESULTS_PER_RUN}; narrow it with --severity or --platform before uploading`,
        );
      // As a CI gate (--fail-on), an incomplete snapshot cannot vouch for the absence of findings: exit 3.
      process.exitCode = exitCodeFor(selection.status === 'complete' || !failOn, counts, failOn);
    } finally {
      await store.close();
    }
  });
}

/**
 * `--fingerprint` values: repeated or comma-separated hex prefixes of at least 4 digits (fingerprints are 32
 * hex digits; tables show the first 10), lower-cased; undefined when the option is not given.
 */
export function parseFingerprintPrefixes(values: readonly string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const prefixes = values.flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase());
  const bad = prefixes.filter((p) => !/^[0-9a-f]{4,32}$/.test(p));
  if (bad.length > 0) {
    throw new UsageError(
      `--fingerprint ${bad.map((b) => `'${b}'`).join(', ')}: expected 4 to 32 hex digits, the start of a finding's fingerprint (e.g. 749787a4d7, as a findings table shows it)`,
    );
  }
  return [...new Set(prefixes)];
}
