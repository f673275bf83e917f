import type { Command } from 'commander';
import { computeDiff } from '../../analysis/analyse.js';
import { diffFromBaselines, previousScanOfEachSource } from '../../analysis/selection-diff.js';
import { UsageError } from '../../errors.js';
import { DIFF_FORMATS, type DiffFormat, renderDiff, renderFirstScan } from '../../output/views/diff.js';
import { selectNewestOfEachSource, wholeScan } from '../../selection/scan-selection.js';
import {
  addCommonOptions,
  type CommonOptions,
  createRuntime,
  openExistingStore,
  parseScanId,
} from '../runtime.js';
import { selectScan } from './select-scan.js';

interface DiffOptions extends CommonOptions {
  from?: string;
  to?: string;
}

export function diffCommand(program: Command): void {
  const cmd = program
    .command('diff')
    .summary('show what changed between two snapshots')
    .description(
      'Compare two stored snapshots: identities and grants added or removed, scope widening, credentials ' +
        'added, removed or renewed, and owner changes. By default the latest scan against the one before it; ' +
        'when the tenants were last scanned in scans of their own (a queue round: one scan per tenant), each ' +
        "tenant's newest scan against its own previous scan. --from/--to compare two given scans. A collector " +
        'that did not complete in either scan contributes no removals; the output says so.',
    )
    .option('--from <id>', 'older scan id (default: the scan before --to)')
    .option('--to <id>', 'newer scan id (default: the latest scan, or the newest scan of each tenant)');
  addCommonOptions(cmd, { formats: DIFF_FORMATS });
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope diff                       # latest vs previous (each tenant's, after a round)
  $ grantscope diff --from 3 --to 7       # two given scans
  $ grantscope diff --format json | jq '.scopeExpansions'`,
  );
  cmd.action(async (opts: DiffOptions) => {
    const rt = createRuntime(opts);
    const store = await openExistingStore(opts);
    try {
      const toId = parseScanId(opts.to, '--to');
      const fromId = parseScanId(opts.from, '--from');
      // A round (tenants last read by scans of their own): each tenant against its own previous scan.
      const round = toId === undefined && fromId === undefined ? await selectNewestOfEachSource(store) : null;
      if (round && !wholeScan(round)) {
        const baselines = await previousScanOfEachSource(store, round);
        const diff = await diffFromBaselines(store, round, baselines);
        if (!diff) {
          rt.emit(renderFirstScan(round.newest, opts.format as DiffFormat));
          return;
        }
        const from = baselines.map((b) => b.from).sort((a, b) => b.id - a.id)[0]!;
        const sources = baselines.map((b) => ({ source: b.source, from: b.from.id, to: b.to.id }));
        rt.emit(
          renderDiff(diff, opts.format as DiffFormat, { from, to: round.newest, sources, color: rt.color }),
        );
        return;
      }
      const to = await selectScan(store, toId);
      const from =
        fromId !== undefined ? await selectScan(store, fromId) : await store.latestScan({ before: to.id });
      if (!from) {
        // The first nightly `scan && diff` is not an error: there is simply nothing before it yet.
        rt.emit(renderFirstScan(to, opts.format as DiffFormat));
        return;
      }
      if (from.id >= to.id) throw new UsageError(`--from (${from.id}) must be older than --to (${to.id})`);
      const diff = await computeDiff(store, from, to);
      rt.emit(renderDiff(diff, opts.format as DiffFormat, { from, to, color: rt.color }));
    } finally {
      await store.close();
    }
  });
}
