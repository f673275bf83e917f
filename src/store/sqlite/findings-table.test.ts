import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, coverage } from '../../../test/support/store-records.js';
import type { CoverageReport } from '../../connector/coverage.js';
import type { FindingDraft } from '../../findings/finding.js';
import type { SnapshotStore } from '../store.js';
import { openSqliteStore } from './open-sqlite-store.js';

let dir: string;
let store: SnapshotStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-store-findings-'));
  store = await openSqliteStore(join(dir, 'grantscope.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const GITHUB = [coverage({ 'app-installations': 'complete' })];
const M365 = [
  coverage({ 'service-principals': 'complete' }, { platform: 'microsoft365', tenant: 'contoso' }),
];

async function scan(day: number, cov: CoverageReport[] = GITHUB): Promise<number> {
  const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
  return (await w.complete(cov, at(day, 1))).id;
}

function draft(fingerprint: string, over: Partial<FindingDraft> = {}): FindingDraft {
  return {
    fingerprint,
    rule: 'over-privileged',
    severity: 'high',
    platform: 'github',
    tenant: 'acme',
    identity: { kind: 'github-app-installation', id: '1', name: 'App 1' },
    subject: null,
    title: `finding ${fingerprint}`,
    evidence: { grants: ['administration:write'], tier: 'high' },
    remediation: 'Reduce the permissions.',
    frameworks: { owaspNhi: ['NHI5'], nistCsf: ['PR.AA-05'], other: [] },
    ...over,
  };
}

describe('recordFindings', () => {
  it('keeps first seen, moves last seen, resolves what is gone and reopens what comes back', async () => {
    const s1 = await scan(1);
    const f1 = await store.recordFindings(s1, [draft('a'), draft('b')], at(1, 2));
    expect(f1).toEqual([
      { ...draft('a'), firstSeen: at(1, 2), lastSeen: at(1, 2), scanId: s1 },
      { ...draft('b'), firstSeen: at(1, 2), lastSeen: at(1, 2), scanId: s1 },
    ]);
    const s2 = await scan(2);
    const f2 = await store.recordFindings(s2, [draft('a', { severity: 'critical' })], at(2, 2));
    expect(f2).toEqual([
      { ...draft('a', { severity: 'critical' }), firstSeen: at(1, 2), lastSeen: at(2, 2), scanId: s2 },
    ]);
    const history = await store.findingHistory(['a', 'b', 'zzz']);
    expect(Object.fromEntries(history)).toEqual({
      a: { firstSeen: at(1, 2), lastSeen: at(2, 2), firstScan: s1, lastScan: s2 },
      b: { firstSeen: at(1, 2), lastSeen: at(1, 2), firstScan: s1, lastScan: s1 },
    });
    const raw = new Database(store.location, { readonly: true });
    expect(
      raw.prepare('SELECT fingerprint, resolved_scan, resolved_at, severity FROM findings ORDER BY 1').all(),
    ).toEqual([
      { fingerprint: 'a', resolved_scan: null, resolved_at: null, severity: 'critical' },
      { fingerprint: 'b', resolved_scan: s2, resolved_at: at(2, 2), severity: 'high' },
    ]);
    const s3 = await scan(3);
    const f3 = await store.recordFindings(s3, [draft('a'), draft('b')], at(3, 2));
    expect(f3.map((f) => [f.fingerprint, f.firstSeen])).toEqual([
      ['a', at(1, 2)],
      ['b', at(1, 2)],
    ]);
    expect(raw.prepare('SELECT count(*) FROM open_findings').pluck().get()).toBe(2);
    expect(
      JSON.parse(
        raw.prepare("SELECT evidence FROM findings WHERE fingerprint = 'a'").pluck().get() as string,
      ),
    ).toEqual(draft('a').evidence);
    raw.close();
  });

  it('resolves only findings of the platforms and tenants the scan covered', async () => {
    const s1 = await scan(1, [...GITHUB, ...M365]);
    const ms = draft('m', { platform: 'microsoft365', tenant: 'contoso' });
    await store.recordFindings(s1, [draft('g'), ms], at(1, 2));
    const s2 = await scan(2, M365);
    await store.recordFindings(s2, [], at(2, 2));
    const s3 = await scan(3, GITHUB);
    await store.recordFindings(s3, [draft('g')], at(3, 2));
    const raw = new Database(store.location, { readonly: true });
    expect(raw.prepare('SELECT fingerprint, resolved_scan FROM findings ORDER BY 1').all()).toEqual([
      { fingerprint: 'g', resolved_scan: null },
      { fingerprint: 'm', resolved_scan: s2 },
    ]);
    raw.close();
  });

  it('keeps the last of duplicate drafts, and refuses scans without a snapshot', async () => {
    const s1 = await scan(1);
    const out = await store.recordFindings(s1, [draft('a'), draft('a', { title: 'second' })], at(1, 2));
    expect(out.map((f) => f.title)).toEqual(['second']);
    const w = await store.beginScan({ startedAt: at(2), toolVersion: 't' });
    await expect(store.recordFindings(w.scanId, [draft('a')], at(2, 1))).rejects.toThrow(/is running/);
    await w.abort('x', at(2, 2));
  });
});
