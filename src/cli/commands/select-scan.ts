import { UsageError } from '../../errors.js';
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
