import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding, FindingDraft } from '../../src/findings/finding.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { at, coverage } from '../support/store-records.js';

import { STORE_KINDS, storeFactory } from './store-factory.js';

describe.each(STORE_KINDS)('%s store', (kind) => {
  const factory = storeFactory(kind);
  let store: SnapshotStore;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  const base: FindingDraft = {
    fingerprint: 'f1',
    rule: 'stale',
    severity: 'medium',
    platform: 'github',
    tenant: 'acme',
    identity: { kind: 'fine-grained-pat', id: '81003', name: 'q3-audit-export' },
    subject: null,
    title: 'never used',
    evidence: {},
    remediation: 'Revoke it.',
    frameworks: { owaspNhi: [], nistCsf: [], other: [] },
  };
  const source = { file: 'governance.yaml', line: 4 };
  const governed: FindingDraft = {
    ...base,
    owner: {
      registered: [{ person: 'Erin Okafor', team: null, contact: null, active: true, source }],
      inPlatform: [{ id: 'erin', name: 'erin', active: true }],
    },
    approval: { approver: 'Alice', reference: 'CHG-1', date: '2026-01-01', source },
    exception: {
      status: 'active',
      reason: 'quarterly',
      approver: 'Erin',
      granted: '2026-11-01',
      expires: '2026-12-31',
      source,
    },
    excepted: true,
  };

  async function recordAndRead(day: number, drafts: FindingDraft[]): Promise<Finding[]> {
    const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
    const scan = await w.complete([coverage({ 'pat-grants': 'complete' })], at(day, 1));
    await store.recordFindings(scan.id, [drafts], at(day));
    const out: Finding[] = [];
    for await (const f of store.readFindings(scan.id)) out.push(f);
    return out;
  }

  it('keeps owner, approval, exception and excepted with the finding, and updates them when the decision changes', async () => {
    const [first] = await recordAndRead(1, [governed]);
    expect(first).toMatchObject({
      owner: governed.owner,
      approval: governed.approval,
      exception: governed.exception,
      excepted: true,
    });
    // The exception expired: same finding (fingerprint), new governance facts; first seen kept.
    const expired = {
      ...governed,
      exception: { ...governed.exception!, status: 'expired' as const },
      excepted: false,
    };
    const [second] = await recordAndRead(2, [expired]);
    expect(second).toMatchObject({
      excepted: false,
      exception: { status: 'expired' },
      firstSeen: first!.firstSeen,
    });
    // Without a governance file: none of the fields.
    const [third] = await recordAndRead(3, [base]);
    expect(Object.keys(third!)).not.toContain('owner');
    expect(Object.keys(third!)).not.toContain('excepted');
  });
});
