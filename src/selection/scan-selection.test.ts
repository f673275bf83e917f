import { describe, expect, it } from 'vitest';
import type { ScanSource, ScanSummary, SourceScan } from '../store/store.js';
import { selectNewestOfEachSource, selectOneScan, staleSources, wholeScan } from './scan-selection.js';

const source = (name: string, status: 'complete' | 'incomplete' = 'complete'): ScanSource => {
  const [platform, tenant] = name.split(':') as [string, string];
  return { source: name, connector: platform, platform, tenant, status, requests: 1, collectors: [] };
};

const scan = (id: number, day: number, sources: ScanSource[]): ScanSummary => ({
  id,
  startedAt: `2026-01-${String(day).padStart(2, '0')}T00:00:00Z`,
  finishedAt: null,
  status: sources.every((s) => s.status === 'complete') ? 'complete' : 'incomplete',
  label: null,
  toolVersion: 't',
  sources,
  counts: { identities: 0, grants: 0, credentials: 0 },
});

/** A store answering latestScanOfEachSource from a list of scans, as the real ones do. */
function storeOf(scans: ScanSummary[]) {
  return {
    async latestScanOfEachSource(): Promise<SourceScan[]> {
      const newest = new Map<string, ScanSummary>();
      for (const s of [...scans].sort((a, b) => a.id - b.id))
        for (const x of s.sources) newest.set(x.source, s);
      return [...newest.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, s]) => ({
          source: name,
          platform: name.split(':')[0]!,
          tenant: name.split(':')[1]!,
          scan: s,
        }));
    },
    async latestScan() {
      return [...scans].sort((a, b) => b.id - a.id)[0] ?? null;
    },
  };
}

describe('scan selection', () => {
  it('is one scan, read whole, when one scan covered every source (a single-machine scan)', async () => {
    const all = scan(2, 2, [source('github:b'), source('github:a')]);
    const sel = (await selectNewestOfEachSource(storeOf([scan(1, 1, [source('github:a')]), all])))!;
    expect(sel.mode).toBe('scan');
    expect(wholeScan(sel)).toBe(all);
    expect(sel.sources.map((s) => s.source.source)).toEqual(['github:a', 'github:b']);
    expect(sel).toEqual(selectOneScan(all));
  });

  it('takes each source from its newest scan in a round, incomplete if any source was', async () => {
    const a = scan(1, 1, [source('github:a'), source('github:b')]);
    const b = scan(2, 2, [source('github:b', 'incomplete')]);
    const sel = (await selectNewestOfEachSource(storeOf([a, b])))!;
    expect(sel.mode).toBe('newest-of-each-source');
    expect(sel.sources.map((s) => `${s.source.source}@${s.scan.id}`)).toEqual(['github:a@1', 'github:b@2']);
    expect(sel.scans.map((s) => s.id)).toEqual([2, 1]);
    expect(sel.newest).toBe(b);
    expect(sel.status).toBe('incomplete');
    expect(wholeScan(sel)).toBeNull();
  });

  it('is null on an empty store', async () => {
    expect(await selectNewestOfEachSource(storeOf([]))).toBeNull();
  });

  it('flags sources whose scan is more than 7 days older than the newest, not those within', async () => {
    const old = scan(1, 1, [source('github:old'), source('github:week')]);
    const week = scan(2, 3, [source('github:week')]);
    const fresh = scan(3, 10, [source('github:new')]);
    // github:old is 9 days behind; github:week 7 days exactly (not more): not flagged.
    const sel = (await selectNewestOfEachSource(storeOf([old, week, fresh])))!;
    expect(staleSources(sel)).toEqual([
      { source: 'github:old', scanId: 1, startedAt: old.startedAt, daysBehind: 9 },
    ]);
    expect(staleSources(sel, 10)).toEqual([]);
  });
});
