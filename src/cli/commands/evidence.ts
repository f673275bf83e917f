import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { evidencePackFiles, MANIFEST } from '../../evidence/pack-files.js';
import { writePackFolder, writePackZip } from '../../evidence/write-pack.js';
import { staleWarnings } from '../../selection/describe-selection.js';
import { wholeScan } from '../../selection/scan-selection.js';
import type { ScanSummary } from '../../store/store.js';
import { addCommonOptions, createRuntime, openExistingStore, parseScanId } from '../runtime.js';
import { type AuditOptions, loadAuditContext } from './audit-context.js';
import { addReportOptions, parseHistory } from './report.js';
import { selectScan, selectScans } from './select-scan.js';

interface EvidenceOptions extends AuditOptions {
  out?: string;
  zip?: string;
  since?: string;
  framework?: string;
  history: string;
}

/** `grantscope-evidence-<scan date>-scan-<id>`: dated by the snapshot, so a rerun names the same pack. */
export function packName(scan: ScanSummary): string {
  return `grantscope-evidence-${scan.startedAt.slice(0, 10)}-scan-${scan.id}`;
}

/**
 * The pack's one timestamp: SOURCE_DATE_EPOCH (seconds, the reproducible-builds convention) when set,
 * else now.
 */
export function packTimestamp(env: NodeJS.ProcessEnv = process.env): Date {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch === undefined || epoch === '') return new Date();
  if (!/^\d+$/.test(epoch)) throw new UsageError(`SOURCE_DATE_EPOCH: not a number of seconds: '${epoch}'`);
  return new Date(Number(epoch) * 1000);
}

export function evidenceCommand(program: Command): void {
  const cmd = program
    .command('evidence')
    .summary('write a dated, checksummed evidence pack for an audit')
    .description(
      'Write the evidence an auditor asks for, as a folder or a zip: the HTML\n' +
        'report, the findings (JSON and SARIF), the inventory as CSV, the changes\n' +
        'since an earlier scan, the coverage table, the governance files and their\n' +
        'hash, the policy, a README for the auditor, and manifest.json with the\n' +
        'SHA-256 of every file, the tool version and the snapshot ids. The same\n' +
        'inputs give the same bytes, apart from manifest.json `generatedAt`. By\n' +
        'default each platform and tenant is read from its newest scan (a whole\n' +
        'queue round; the latest scan when one scan covered them all); --scan N\n' +
        'packs one scan.',
    )
    .option(
      '--out <dir>',
      'write the pack into this new folder (default: ./grantscope-evidence-<date>-scan-<id>)',
    )
    .option('--zip <file>', 'write the pack as this zip file instead of a folder')
    .option(
      '--since <id>',
      "the diff starts at this scan (default: the scan before --scan; for a round, each tenant's previous scan)",
    );
  addReportOptions(cmd);
  addCommonOptions(cmd, { format: false });
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope evidence -c grantscope.yaml                  # ./grantscope-evidence-2026-12-01-scan-14/
  $ grantscope evidence --zip audit-q4.zip --since 9        # the quarter's changes, in one zip
  $ grantscope evidence --framework soc2 --out soc2-evidence
  $ SOURCE_DATE_EPOCH=0 grantscope evidence --zip a.zip     # fully reproducible, timestamp included

Verify a pack: jq -r '.files[] | "\\(.sha256)  \\(.path)"' manifest.json | sha256sum -c
See docs/evidence.md.`,
  );
  cmd.action(async (opts: EvidenceOptions) => {
    const rt = createRuntime(opts);
    if (opts.out && opts.zip) throw new UsageError('--out and --zip: give one of them (a folder or a zip)');
    const history = parseHistory(opts.history);
    const generatedAt = packTimestamp();
    const context = await loadAuditContext(opts);
    const store = await openExistingStore(opts);
    try {
      const selection = await selectScans(store, parseScanId(opts.scan, '--scan'));
      for (const warning of staleWarnings(selection)) rt.logger.warn(warning);
      const scan = selection.newest;
      const sinceId = parseScanId(opts.since, '--since');
      // One scan: the scan before it. A round: each tenant from its own previous scan (null here).
      const since =
        sinceId !== undefined
          ? await selectScan(store, sinceId)
          : wholeScan(selection)
            ? await store.latestScan({ before: scan.id })
            : null;
      if (since && since.id >= scan.id)
        throw new UsageError(`--since (${since.id}) must be older than the scan (${scan.id})`);
      const { asOf, findings } = await context.findingsOf(store, selection);
      const files = await evidencePackFiles({
        store,
        scan: selection,
        since,
        findings,
        asOf,
        governance: context.governance,
        policyFile: context.policyFile,
        history,
        framework: opts.framework ?? null,
        generatedAt,
      });
      const name = packName(scan);
      const target = opts.zip ? resolve(opts.zip) : resolve(opts.out ?? name);
      if (opts.zip) await writePackZip(files, target, name);
      else writePackFolder(files, target);
      rt.logger.info(`evidence pack of scan #${scan.id}: ${files.length} files`);
      if (!opts.quiet)
        process.stderr.write(`Evidence pack: ${target} (${files.length} files; checksums in ${MANIFEST})\n`);
    } finally {
      await store.close();
    }
  });
}
