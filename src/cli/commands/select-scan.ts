import { UsageError } from '../../errors.js';
import {
  type ScanSelection,
  selectNewestOfEachSource,
  selectOneScan,
} from '../../selection/scan-selection.js';
import type { ScanSummary, SnapshotStore } from '../../store/store.js';

/** The scan a read command works on: `--scan N`, else the newest complete or incomplete one. */
export async function selectScan(store: SnapshotStore, id: number | undefined): Promise<ScanSummary> {
  if (id !== undefined) {
    const scan = await store.getScan(id);
    if (!scan) throw new UsageError(`--scan ${id}: no such scan in ${store.location}`);
    if (scan.status === 'running' || scan.status === 'failed') {
      throw new UsageError(`--scan ${id}: that scan is ${scan.status} and has no snapshot`);
    }
    return scan;
  }
  const latest = await store.latestScan();
  if (!latest) throw new UsageError(`${store.location}: no completed scan yet; run \`grantscope scan\``);
  return latest;
}

/**
 * What a read command reads: `--scan N` (that one scan), else the newest scan of each source, which
 * reads a queue round (one scan per tenant) as a whole and is the latest scan when one scan covered
 * every source.
 */
export async function selectScans(store: SnapshotStore, id: number | undefined): Promise<ScanSelection> {
  if (id !== undefined) return selectOneScan(await selectScan(store, id));
  const selection = await selectNewestOfEachSource(store);
  if (!selection) throw new UsageError(`${store.location}: no completed scan yet; run \`grantscope scan\``);
  return selection;
}

/** `--scan`'s help, the same in every read command. */
export const SCAN_OPTION_HELP =
  'read this one scan (default: the newest scan of each platform and tenant, e.g. a whole queue round)';
