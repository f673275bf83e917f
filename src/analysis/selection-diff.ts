import { DiffBuilder } from '../diff/index.js';
import type { SnapshotDiff } from '../diff/types.js';
import type { ScanSelection } from '../selection/scan-selection.js';
import type { RecordChange, ScanSource, ScanSummary, SnapshotStore } from '../store/store.js';

/** Where each source's changes start: the scan it is compared from. */
export interface SourceBaseline {
  source: string;
  from: ScanSummary;
  to: ScanSummary;
}

/**
 * For each selected source, the newest committed scan before its selected one that also covered it
 * (its own previous scan), so that a round of one scan per tenant, or a `scan --only github` in
 * between, compares each tenant with its own last look. Sources never scanned before have none.
 */
export async function previousScanOfEachSource(
  store: Pick<SnapshotStore, 'listScans'>,
  selection: ScanSelection,
): Promise<SourceBaseline[]> {
  const committed = await store.listScans({ status: ['complete', 'incomplete'] });
  return selection.sources.flatMap(({ source, scan }) => {
    const from = committed.find((s) => s.id < scan.id && s.sources.some((x) => x.source === source.source));
    return from ? [{ source: source.source, from, to: scan }] : [];
  });
}

/**
 * For each selected source, the newest committed scan at or before scan `since` that covered it: an
 * evidence pack's `--since` over a round. Sources `since` does not reach have none.
 */
export async function scanOfEachSourceSince(
  store: Pick<SnapshotStore, 'latestScanOfEachSource'>,
  selection: ScanSelection,
  since: number,
): Promise<SourceBaseline[]> {
  const at = new Map(
    (await store.latestScanOfEachSource({ atOrBefore: since })).map((r) => [r.source, r.scan]),
  );
  return selection.sources.flatMap(({ source, scan }) => {
    const from = at.get(source.source);
    return from && from.id < scan.id ? [{ source: source.source, from, to: scan }] : [];
  });
}

/**
 * The changes of each source from its baseline scan to its selected scan, coverage-aware (a collector
 * that did not complete on either side contributes no removals). Null when no source has a baseline.
 * `onChange` sees every change the store reports, before the diff keeps what is worth reporting.
 */
export async function diffFromBaselines(
  store: Pick<SnapshotStore, 'changesBetween'>,
  selection: ScanSelection,
  baselines: readonly SourceBaseline[],
  onChange?: (change: RecordChange) => void,
): Promise<SnapshotDiff | null> {
  if (baselines.length === 0) return null;
  const before: ScanSource[] = baselines.map((b) => b.from.sources.find((x) => x.source === b.source)!);
  const builder = new DiffBuilder({ before, after: selection.sources.map((s) => s.source) });
  for (const b of baselines) {
    const { platform, tenant } = b.from.sources.find((x) => x.source === b.source)!;
    for await (const change of store.changesBetween(b.from.id, b.to.id, { platform, tenant })) {
      onChange?.(change);
      builder.add(change);
    }
  }
  return builder.finish();
}
