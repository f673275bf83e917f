import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding, FindingDraft } from '../../src/findings/finding.js';
import type { Severity } from '../../src/findings/severity.js';
import { compareFindings } from '../../src/rules/evaluate.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { at, coverage, findingDraft } from '../support/store-records.js';
import { STORE_KINDS, storeFactory } from './store-factory.js';

const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

describe.each(STORE_KINDS)('%s store: findings read most severe first', (kind) => {
  const factory = storeFactory(kind);
  let store: SnapshotStore;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  async function read(scanIds: number | number[], filter?: Parameters<SnapshotStore['readFindings']>[1]) {
    const out: Finding[] = [];
    for await (const f of store.readFindings(scanIds, filter)) out.push(f);
    return out;
  }

  async function scan(day: number, tenant: string): Promise<number> {
    const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
    return (await w.complete([coverage({ 'app-installations': 'complete' }, { tenant })], at(day, 1))).id;
  }

  /** Fingerprints out of order, every severity, more than a page (1,000) of them, some excepted. */
  function drafts(tenant: string, n: number, seen: (i: number) => boolean = () => true): FindingDraft[] {
    const out: FindingDraft[] = [];
    for (let i = 0; i < n; i++) {
      if (!seen(i)) continue;
      const fingerprint = `${tenant}-${String((i * 7919) % n).padStart(5, '0')}`;
      out.push(
        findingDraft(fingerprint, {
          tenant,
          severity: SEVERITIES[(i * 3) % 5]!,
          evidence: { i, nested: { list: [i, `${i}`] } },
          ...(i % 97 === 0 && {
            excepted: true,
            exception: {
              status: 'active',
              approver: 'ann',
              granted: '2026-01-01',
              expires: '2027-01-01',
              reason: 'known',
              source: { file: 'governance.yaml', line: 3 },
            },
          }),
        }),
      );
    }
    return out;
  }

  it('reads what the fingerprint-ordered read reads, in compareFindings order, across pages', async () => {
    const s1 = await scan(1, 'acme');
    await store.recordFindings(s1, [drafts('acme', 2_100)], at(1, 2));
    // A later recording that no longer sees some of them: those are resolved, not read.
    const s2 = await scan(2, 'acme');
    await store.recordFindings(s2, [drafts('acme', 2_100, (i) => i % 5 !== 1)], at(2, 2));
    const all = await read(s2);
    const ordered = await read(s2, { order: 'severity' });
    expect(all.length).toBe(1_680);
    expect(ordered).toEqual([...all].sort(compareFindings));
    // Each severity's findings are that severity's read, in the same order.
    const perSeverity: Finding[] = [];
    for (const severity of SEVERITIES) perSeverity.push(...(await read(s2, { severity })));
    expect(ordered).toEqual(perSeverity);
    // Those it no longer saw were last seen at the earlier recording: read as seen there, in order too.
    const before = await read(s1, { order: 'severity' });
    expect(before.length).toBe(420);
    expect(before).toEqual([...(await read(s1))].sort(compareFindings));
  });

  it('reads several scans (a round) as one, each finding with the scan that saw it', async () => {
    const a = await scan(1, 'acme');
    await store.recordFindings(a, [drafts('acme', 40)], at(1, 2));
    const b = await scan(2, 'globex');
    await store.recordFindings(b, [drafts('globex', 30)], at(2, 2));
    const ordered = await read([a, b], { order: 'severity' });
    const all = await read([a, b]);
    expect(ordered).toEqual([...all].sort(compareFindings));
    expect(new Set(ordered.map((f) => `${f.tenant}:${f.scanId}`))).toEqual(
      new Set([`acme:${a}`, `globex:${b}`]),
    );
    expect(ordered.length).toBe(70);
  });

  it('with a severity, reads that severity alone', async () => {
    const s = await scan(1, 'acme');
    await store.recordFindings(s, [drafts('acme', 50)], at(1, 2));
    const high = await read(s, { severity: 'high', order: 'severity' });
    expect(high.length).toBeGreaterThan(0);
    expect(high).toEqual(await read(s, { severity: 'high' }));
  });
});
