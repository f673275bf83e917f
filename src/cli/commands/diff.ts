import type { Command } from 'commander';
import { computeDiff } from '../../analysis/analyse.js';
import { UsageError } from '../../errors.js';
import { DIFF_FORMATS, type DiffFormat, renderDiff, renderFirstScan } from '../../output/views/diff.js';
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
      'Compare two stored snapshots (default: the latest scan against the one before it): identities and ' +
        'grants added or removed, scope widening, credentials added, removed or renewed, and owner changes. ' +
        'A collector that did not complete in either scan contributes no removals; the output says so.',
    )
    .option('--from <id>', 'older scan id (default: the scan before --to)')
    .option('--to <id>', 'newer scan id (default: the latest scan)');
  addCommonOptions(cmd, { formats: DIFF_FORMATS });
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope diff                       # latest vs previous
  $ grantscope diff --from 3 --to 7
  $ grantscope diff --format json | jq '.scopeExpansions'`,
  );
  cmd.action(async (opts: DiffOptions) => {
    const rt = createRuntime(opts);
    const store = await openExistingStore(opts);
    try {
      const to = await selectScan(store, parseScanId(opts.to, '--to'));
      const fromId = parseScanId(opts.from, '--from');
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
