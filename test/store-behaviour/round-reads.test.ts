import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import type { Finding, FindingDraft } from '../../src/findings/finding.js';
import type { SnapshotStore, SourceScan } from '../../src/store/store.js';
import { at, coverage } from '../support/store-records.js';
import { STORE_KINDS, storeFactory } from './store-factory.js';

describe.each(STORE_KINDS)('%s store: reading a round (one scan per tenant)', (kind) => {
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

  function draft(fingerprint: string, tenant: string, platform = 'github'): FindingDraft {
    return {
      fingerprint,
      rule: 'over-privileged',
      severity: 'high',
      platform,
      tenant,
      identity: { kind: 'github-app-installation', id: '1', name: 'App 1' },
      subject: null,
      title: `finding ${fingerprint}`,
      evidence: { grants: ['administration:write'], tier: 'high' },
      remediation: 'Reduce the permissions.',
      frameworks: { owaspNhi: ['NHI5'], nistCsf: ['PR.AA-05'], other: [] },
    };
  }

  it('readFindings of several scans: one stream in fingerprint order, each finding with the scan it was last seen at', async () => {
    const first = await scan(1, [acme(), contoso]);
    await store.recordFindings(
      first,
      [[draft('aa01', 'acme'), draft('cc01', 'contoso', 'microsoft365'), draft('ff01', 'acme')]],
      at(1),
    );
    const second = await scan(2, [acme()]);
    // ff01 is gone from acme at the second scan (resolved there, still last seen at the first).
    await store.recordFindings(second, [[draft('aa01', 'acme'), draft('bb01', 'acme')]], at(2));
    const read = async (ids: number | number[]) => {
      const out: Finding[] = [];
      for await (const f of store.readFindings(ids)) out.push(f);
      return out.map((f) => `${f.fingerprint}@${f.scanId}`);
    };
    expect(await read([first, second])).toEqual([
      `aa01@${second}`,
      `bb01@${second}`,
      `cc01@${first}`,
      `ff01@${first}`,
    ]);
    expect(await read([second])).toEqual(await read(second));
    expect(await read(second)).toEqual([`aa01@${second}`, `bb01@${second}`]);
    // A scan that never committed is refused as for one scan.
    const failed = await store.beginScan({ startedAt: at(3), toolVersion: 't' });
    await failed.abort('stopped', at(3, 1));
    await expect(read([first, failed.scanId])).rejects.toThrow(/failed/);
  });
});
