import type { ScanSource, ScanSummary, SnapshotStore } from '../store/store.js';

/**
 * Which stored scans a read (findings, inventory, report, evidence, tickets) covers:
 * - `scan`: one scan and the sources it covered (`--scan N`, and what a scan's own analysis reads);
 * - `newest-of-each-source`: for every source (`platform:tenant`) ever scanned, the newest complete or
 *   incomplete scan that covered it. A queue round stores one scan per tenant; this reads the round as
 *   a whole. When one scan covered every source (a single-machine `scan` of all tenants), it is that
 *   scan, read exactly as `--scan N` would.
 */
export interface ScanSelection {
  mode: 'scan' | 'newest-of-each-source';
  /** The selected sources in byte order (as the store streams them), each with the scan read for it. */
  sources: SelectedSource[];
  /** The scans read, newest first. */
  scans: ScanSummary[];
  /** The newest scan read: the default as-of time, the scan tickets and reports are filed under. */
  newest: ScanSummary;
  /** `complete` when every selected source completed in its scan: only then can absence be vouched for. */
  status: 'complete' | 'incomplete';
}

export interface SelectedSource {
  /** The source as its scan recorded it (status, collectors). */
  source: ScanSource;
  scan: ScanSummary;
}

/** A source whose newest scan is much older than the selection's newest scan (`staleSources`). */
export interface StaleSource {
  source: string;
  scanId: number;
  startedAt: string;
  /** Whole days between its scan and the selection's newest scan. */
  daysBehind: number;
}

/** Days a source's scan may lag the newest before a read says so. */
export const STALE_AFTER_DAYS = 7;

const DAY_MS = 86_400_000;

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function select(mode: ScanSelection['mode'], sources: SelectedSource[]): ScanSelection {
  const scans = [...new Map(sources.map((s) => [s.scan.id, s.scan])).values()].sort((a, b) => b.id - a.id);
  return {
    mode,
    sources,
    scans,
    newest: scans[0]!,
    status: sources.every((s) => s.source.status === 'complete') ? 'complete' : 'incomplete',
  };
}

/** One scan, all its sources (`--scan N`). */
export function selectOneScan(scan: ScanSummary): ScanSelection {
  const sources = [...scan.sources]
    .sort((a, b) => byteOrder(a.source, b.source))
    .map((source) => ({ source, scan }));
  if (sources.length > 0) return select('scan', sources);
  // A scan that covered no source (every connector skipped): still that scan, empty.
  return {
    mode: 'scan',
    sources: [],
    scans: [scan],
    newest: scan,
    status: scan.status === 'complete' ? 'complete' : 'incomplete',
  };
}

/**
 * The newest scan of each source, as of scan `atOrBefore` when given; null when no scan committed yet.
 * One scan covering every selected source is returned as that one scan (`mode: 'scan'`): nothing
 * changes for a single machine that scans all its tenants in one run.
 */
export async function selectNewestOfEachSource(
  store: Pick<SnapshotStore, 'latestScanOfEachSource' | 'latestScan'>,
  options: { atOrBefore?: number } = {},
): Promise<ScanSelection | null> {
  const rows = await store.latestScanOfEachSource({ atOrBefore: options.atOrBefore });
  if (rows.length === 0) {
    // Only scans that covered no source (or none at all): the newest of them, as before.
    const latest = await store.latestScan(
      options.atOrBefore === undefined ? {} : { before: options.atOrBefore + 1 },
    );
    return latest ? selectOneScan(latest) : null;
  }
  const sources = rows.map((r) => ({
    source: r.scan.sources.find((s) => s.source === r.source)!,
    scan: r.scan,
  }));
  const picked = select('newest-of-each-source', sources);
  const only = picked.scans.length === 1 ? picked.scans[0]! : null;
  if (only && only.sources.length === sources.length) return selectOneScan(only);
  return picked;
}

/** Whether the selection reads every source of a single scan: then a plain one-scan read serves it. */
export function wholeScan(selection: ScanSelection): ScanSummary | null {
  if (selection.scans.length !== 1) return null;
  const only = selection.scans[0]!;
  return only.sources.length === selection.sources.length ? only : null;
}

/** The scan read for each source (`platform:tenant`). */
export function scanOfSource(selection: ScanSelection): Map<string, ScanSummary> {
  return new Map(selection.sources.map((s) => [s.source.source, s.scan]));
}

/**
 * Sources whose scan started more than `days` before the selection's newest scan: a tenant the last
 * rounds did not reach. Reads say so rather than mixing old and new silently.
 */
export function staleSources(selection: ScanSelection, days = STALE_AFTER_DAYS): StaleSource[] {
  const newest = Date.parse(selection.newest.startedAt);
  return selection.sources.flatMap(({ source, scan }) => {
    const behind = newest - Date.parse(scan.startedAt);
    return behind > days * DAY_MS
      ? [
          {
            source: source.source,
            scanId: scan.id,
            startedAt: scan.startedAt,
            daysBehind: Math.floor(behind / DAY_MS),
          },
        ]
      : [];
  });
}

/** A scan given where a selection is read: that one scan. Library callers may pass either. */
export function asSelection(scan: ScanSummary | ScanSelection): ScanSelection {
  return 'mode' in scan ? scan : selectOneScan(scan);
}

/**
 * The selection without the sources `drop` names (their scan's findings were never recorded, say);
 * null when none is left. What remains keeps its mode unless it became one whole scan.
 */
export function withoutSources(
  selection: ScanSelection,
  drop: (s: SelectedSource) => boolean,
): ScanSelection | null {
  const kept = selection.sources.filter((s) => !drop(s));
  if (kept.length === selection.sources.length) return selection;
  if (kept.length === 0) return null;
  return select(selection.mode, kept);
}
