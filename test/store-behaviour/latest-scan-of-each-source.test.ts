import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import type { SnapshotStore, SourceScan } from '../../src/store/store.js';
import { at, coverage } from '../support/store-records.js';
import { STORE_KINDS, storeFactory } from './store-factory.js';

describe.each(STORE_KINDS)('%s store: latestScanOfEachSource', (kind) => {
  const factory = storeFactory(kind);
  let store: SnapshotStore;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  const acme = (status: 'complete' | 'failed' = 'complete') => coverage({ 'app-installations': status });
  const zeta = coverage({ 'app-installations': 'complete' }, { tenant: 'Zeta' });
  const contoso = coverage(
    { 'service-principals': 'complete' },
    { platform: 'microsoft365', tenant: 'contoso' },
  );

  async function scan(day: number, cov: CoverageReport[]): Promise<number> {
    const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
    return (await w.complete(cov, at(day, 1))).id;
  }

  const shape = (rows: SourceScan[]) => rows.map((r) => `${r.source}@${r.scan.id}`);

  it('is empty before any scan committed', async () => {
    expect(await store.latestScanOfEachSource()).toEqual([]);
  });

  it('gives each source the newest committed scan that covered it, complete or incomplete, in byte order', async () => {
    const first = await scan(1, [acme(), zeta, contoso]);
    const second = await scan(2, [acme('failed')]); // incomplete: still the newest of github:acme
    const third = await scan(3, [zeta]);
    // Neither a failed nor a running scan is anyone's newest.
    const failed = await store.beginScan({ startedAt: at(4), toolVersion: 't' });
    await failed.abort('stopped', at(4, 1));
    const running = await store.beginScan({ startedAt: at(5), toolVersion: 't' });

    const rows = await store.latestScanOfEachSource();
    // 'Z' sorts before 'a' in byte order, as the snapshot readers order sources on both stores.
    expect(shape(rows)).toEqual([
      `github:Zeta@${third}`,
      `github:acme@${second}`,
      `microsoft365:contoso@${first}`,
    ]);
    expect(rows[1]).toMatchObject({ platform: 'github', tenant: 'acme' });
    expect(rows[1]!.scan.status).toBe('incomplete');
    expect(rows[1]!.scan.startedAt).toBe(at(2));
    expect(rows[2]!.scan.sources.map((s) => s.source)).toEqual([
      'github:Zeta',
      'github:acme',
      'microsoft365:contoso',
    ]);
    await running.abort('test over', at(5, 1));
  });

  it('narrows to scans at or before an id, and to a platform or tenant', async () => {
    const first = await scan(1, [acme(), zeta, contoso]);
    const second = await scan(2, [acme(), zeta]);
    expect(shape(await store.latestScanOfEachSource({ atOrBefore: first }))).toEqual([
      `github:Zeta@${first}`,
      `github:acme@${first}`,
      `microsoft365:contoso@${first}`,
    ]);
    expect(shape(await store.latestScanOfEachSource({ platform: 'github' }))).toEqual([
      `github:Zeta@${second}`,
      `github:acme@${second}`,
    ]);
    expect(shape(await store.latestScanOfEachSource({ tenant: 'contoso' }))).toEqual([
      `microsoft365:contoso@${first}`,
    ]);
    expect(await store.latestScanOfEachSource({ platform: 'google-workspace' })).toEqual([]);
    // The same summary object for sources of one scan: callers group by scan.
    const rows = await store.latestScanOfEachSource();
    expect(rows[0]!.scan).toBe(rows[1]!.scan);
  });
});
