import { describe, expect, it } from 'vitest';
import type { FindingDraft } from '../../src/findings/finding.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { at, coverage } from '../support/store-records.js';
import { STORE_KINDS, storeFactory } from './store-factory.js';

const GITHUB = [coverage({ 'app-installations': 'complete' })];

function draft(fingerprint: string): FindingDraft {
  return {
    fingerprint,
    rule: 'over-privileged',
    severity: 'high',
    platform: 'github',
    tenant: 'acme',
    identity: { kind: 'github-app-installation', id: fingerprint, name: null },
    subject: null,
    title: `finding ${fingerprint}`,
    evidence: {},
    remediation: 'Reduce the permissions.',
    frameworks: { owaspNhi: ['NHI5'], nistCsf: [], other: [] },
  };
}

/** A complete scan on `day` that finds exactly `fingerprints`. */
async function scanFinding(store: SnapshotStore, day: number, fingerprints: string[]): Promise<number> {
  const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
  const scan = await w.complete(GITHUB, at(day, 1));
  await store.recordFindings(scan.id, [fingerprints.map(draft)], scan.startedAt);
  return scan.id;
}

describe.each(STORE_KINDS)('%s store: findingsTrend', (kind) => {
  const factory = storeFactory(kind);
  it('counts the findings new, resolved and open at each scan', async () => {
    const store = await factory.open();
    try {
      const s1 = await scanFinding(store, 1, ['a', 'b']);
      const s2 = await scanFinding(store, 2, ['b', 'c', 'd']);
      const s3 = await scanFinding(store, 3, ['d']);
      expect(await store.findingsTrend([s1, s2, s3])).toEqual([
        { scanId: s1, opened: 2, resolved: 0, open: 2 },
        { scanId: s2, opened: 2, resolved: 1, open: 3 },
        { scanId: s3, opened: 0, resolved: 2, open: 1 },
      ]);
      // Any order and subset of scans: each point stands alone.
      expect(await store.findingsTrend([s2])).toEqual([{ scanId: s2, opened: 2, resolved: 1, open: 3 }]);
    } finally {
      await store.close();
    }
  });
});
