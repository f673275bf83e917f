import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coverage, identity } from '../../test/support/store-records.js';
import { BUILTIN_VOCABULARY } from '../../test/support/vocabulary.js';
import type { Finding } from '../findings/finding.js';
import { EMPTY_GOVERNANCE, type Governance } from '../governance/model.js';
import { defaultPolicy } from '../policy/index.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { SnapshotStore } from '../store/store.js';
import { analyseScan, computeFindings } from './analyse.js';

/** Reviews reach the rules from both places, through the analysis the CLI runs after a scan. */
let dir: string;
let store: SnapshotStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-analyse-reviews-'));
  store = await openSqliteStore(join(dir, 'grantscope.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const SCAN_AT = '2026-06-01T00:00:00.000Z';
const governance = (date: string): Governance => ({
  ...EMPTY_GOVERNANCE,
  hash: 'h',
  reviews: [
    {
      match: { platform: 'github', id: '1' },
      decision: 'keep',
      reviewer: 'priya',
      date,
      source: { file: 'governance.yaml', line: 7 },
    },
  ],
});

async function read(findings: AsyncIterable<Finding>): Promise<Finding[]> {
  const out: Finding[] = [];
  for await (const f of findings) out.push(f);
  return out;
}

describe('analysis with reviews', () => {
  it('a governance-file review older than the period is an overdue-review finding; its findings carry it', async () => {
    const w = await store.beginScan({ startedAt: SCAN_AT, toolVersion: 't', governanceHash: 'h' });
    await w.write([identity('1'), identity('2')]);
    const scan = await w.complete([coverage({ 'app-installations': 'complete' })], SCAN_AT);
    const options = {
      policy: defaultPolicy(BUILTIN_VOCABULARY),
      asOf: new Date(SCAN_AT),
      vocabulary: BUILTIN_VOCABULARY,
      governance: governance('2026-01-15'),
    };
    const analysis = await analyseScan(store, scan, options);
    const recorded = await read(analysis.findings.read());
    const overdue = recorded.filter((f) => f.rule === 'overdue-review');
    expect(overdue.map((f) => f.identity.id)).toEqual(['1']);
    expect(overdue[0]!.lastReview).toEqual({
      decision: 'keep',
      reviewer: 'priya',
      date: '2026-01-15T00:00:00.000Z',
      source: 'file',
    });

    // Recomputed later (`grantscope findings`): a review recorded in the store since then wins.
    await store.recordReview({
      platform: 'github',
      tenant: 'acme',
      kind: 'github-app-installation',
      nativeId: '1',
      decision: 'keep',
      reviewer: 'alice',
      note: 'still needed',
      until: null,
      reviewedAt: '2026-05-30T00:00:00.000Z',
      displayName: 'App 1',
      scanId: scan.id,
      grantsDigest: null,
    });
    const again = await computeFindings(store, scan, options);
    expect(again.filter((f) => f.rule === 'overdue-review')).toEqual([]);
    // Without the governance file, identity 1's store review is all there is.
    const plain = await computeFindings(store, scan, { ...options, governance: EMPTY_GOVERNANCE });
    expect(plain.filter((f) => f.rule === 'overdue-review')).toEqual([]);
  });
});
