import { type ScanSelection, STALE_AFTER_DAYS, type StaleSource, staleSources } from './scan-selection.js';

/** What a read covered, for JSON outputs and reports: each source with the scan it was read from. */
export interface SelectionCoverage {
  mode: ScanSelection['mode'];
  status: ScanSelection['status'];
  /** The newest scan read. */
  newestScan: number;
  sources: Array<{ source: string; scanId: number; startedAt: string; status: 'complete' | 'incomplete' }>;
  /** Sources whose scan is more than `STALE_AFTER_DAYS` days older than the newest. */
  stale: StaleSource[];
}

export function selectionCoverage(selection: ScanSelection): SelectionCoverage {
  return {
    mode: selection.mode,
    status: selection.status,
    newestScan: selection.newest.id,
    sources: selection.sources.map(({ source, scan }) => ({
      source: source.source,
      scanId: scan.id,
      startedAt: scan.startedAt,
      status: source.status,
    })),
    stale: staleSources(selection),
  };
}

/** Sources a line names before it says how many more there are. */
const LISTED = 8;

/**
 * One line for people saying what was read: `scan #4 (2026-01-02)`, or for a round `newest scan of
 * each of 3 sources: github:acme #4 (2026-01-02), …`.
 */
export function coverageLine(selection: ScanSelection): string {
  const day = (at: string) => at.slice(0, 10);
  if (selection.scans.length === 1) {
    const only = selection.newest;
    return `scan #${only.id} (${day(only.startedAt)}, ${only.status})`;
  }
  const named = selection.sources
    .slice(0, LISTED)
    .map(({ source, scan }) => `${source.source} #${scan.id} (${day(scan.startedAt)})`);
  const more = selection.sources.length - named.length;
  return (
    `newest scan of each of ${selection.sources.length} sources, from ${selection.scans.length} scans: ` +
    `${named.join(', ')}${more > 0 ? `, and ${more} more (--format json names every one)` : ''}`
  );
}

/** A warning per source whose newest scan is much older than the others: said, never hidden. */
export function staleWarnings(selection: ScanSelection): string[] {
  return staleSources(selection).map(
    (s) =>
      `${s.source}: its newest scan #${s.scanId} (${s.startedAt.slice(0, 10)}) is ${s.daysBehind} days older than ` +
      `the newest scan read (#${selection.newest.id}): more than ${STALE_AFTER_DAYS} days behind, its data may be out ` +
      `of date (scan it again, or read one scan with --scan N)`,
  );
}
