import { describe, expect, it } from 'vitest';
import type { ScanSource, ScanSummary } from '../store/store.js';
import { coverageLine, selectionCoverage, staleWarnings } from './describe-selection.js';
import { type ScanSelection, selectOneScan } from './scan-selection.js';

const source = (name: string): ScanSource => {
  const [platform, tenant] = name.split(':') as [string, string];
  return {
    source: name,
    connector: platform,
    platform,
    tenant,
    status: 'complete',
    requests: 1,
    collectors: [],
  };
};
const scan = (id: number, startedAt: string, sources: ScanSource[]): ScanSummary => ({
  id,
  startedAt,
  finishedAt: null,
  status: 'complete',
  label: null,
  toolVersion: 't',
  sources,
  counts: { identities: 0, grants: 0, credentials: 0 },
});

/** A round: tenant i from scan i+1, started on day `days[i]` of January. */
function round(days: number[]): ScanSelection {
  const scans = days.map((d, i) =>
    scan(i + 1, `2026-01-${String(d).padStart(2, '0')}T02:00:00Z`, [source(`github:t${i}`)]),
  );
  return {
    mode: 'newest-of-each-source',
    sources: scans.map((s) => ({ source: s.sources[0]!, scan: s })),
    scans: [...scans].reverse(),
    newest: scans.reduce((a, b) => (a.id > b.id ? a : b)),
    status: 'complete',
  };
}

describe('describing what a read covered', () => {
  it('one scan: the line names it; no stale sources', () => {
    const one = selectOneScan(scan(4, '2026-01-02T00:00:00Z', [source('github:a'), source('github:b')]));
    expect(coverageLine(one)).toBe('scan #4 (2026-01-02, complete)');
    expect(staleWarnings(one)).toEqual([]);
    expect(selectionCoverage(one)).toMatchObject({ mode: 'scan', newestScan: 4, stale: [] });
  });

  it('a round: names each source with its scan, at most 8, and says how many more', () => {
    expect(coverageLine(round([1, 1]))).toBe(
      'newest scan of each of 2 sources, from 2 scans: github:t0 #1 (2026-01-01), github:t1 #2 (2026-01-01)',
    );
    const many = coverageLine(round(Array.from({ length: 10 }, () => 3)));
    expect(many).toMatch(/github:t7 #8 \(2026-01-03\), and 2 more \(--format json names every one\)$/);
    expect(many).not.toContain('github:t8');
  });

  it('warns of a source more than 7 days behind the newest, naming it, its scan and how far', () => {
    const sel = round([1, 9, 12]);
    expect(staleWarnings(sel)).toEqual([
      'github:t0: its newest scan #1 (2026-01-01) is 11 days older than the newest scan read (#3): more than 7 ' +
        'days behind, its data may be out of date (scan it again, or read one scan with --scan N)',
    ]);
    expect(selectionCoverage(sel).stale).toEqual([
      { source: 'github:t0', scanId: 1, startedAt: '2026-01-01T02:00:00Z', daysBehind: 11 },
    ]);
  });
});
