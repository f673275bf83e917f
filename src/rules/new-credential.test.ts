import { describe, expect, it } from 'vitest';
import { bundle, credential, grant, identity } from '../../test/support/records.js';
import { findingsOf, policyWith } from '../../test/support/rules.js';
import { completeCoverage, diffRecords } from '../diff/index.js';
import type { ModelRecord } from '../model/index.js';
import { newCredential } from './new-credential.js';

const sp = identity({
  platform: 'microsoft365',
  tenant: { id: 'tenant-1', name: 'contoso.example' },
  kind: 'service-principal',
  nativeId: 'sp-1',
  displayName: 'Payroll Sync',
  collector: 'service-principals',
});
const oldSecret = credential({ nativeId: 'key-1', expiresAt: '2026-12-01T00:00:00Z' });
const renewedSecret = credential({
  nativeId: 'key-2',
  expiresAt: '2027-06-01T00:00:00Z',
  createdAt: '2026-11-25T00:00:00Z',
});
const extraSecret = credential({
  nativeId: 'key-3',
  displayName: 'laptop',
  expiresAt: null,
  createdAt: '2026-11-25T00:00:00Z',
});

function diffOf(a: ModelRecord[], b: ModelRecord[]) {
  const cov = completeCoverage(a, b);
  return diffRecords(a, b, { before: cov, after: cov });
}

describe('new-credential', () => {
  it('reports a credential minted on an existing identity since the previous scan', async () => {
    const diff = diffOf([sp, oldSecret], [sp, oldSecret, extraSecret]);
    const fs = await findingsOf(newCredential, [bundle(sp, [], [oldSecret, extraSecret])], { diff });
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({
      rule: 'new-credential',
      severity: 'medium',
      subject: 'client-secret:key-3',
      title: 'New client secret "laptop" on "Payroll Sync" (service principal)',
      evidence: { credentialId: 'key-3', expiresAt: null, renewal: false, otherCredentialsOfType: 1 },
    });
    expect(fs[0]!.frameworks.owaspNhi).toEqual(['NHI2', 'NHI7']);
  });

  it('is high when the identity holds high-tier access', async () => {
    const g = grant({
      platform: 'microsoft365',
      tenant: { id: 'tenant-1' },
      identity: { kind: 'service-principal', nativeId: 'sp-1' },
      risk: { tier: 'critical' },
      collector: 'app-role-assignments',
    });
    const diff = diffOf([sp, g, oldSecret], [sp, g, oldSecret, extraSecret]);
    const [f] = await findingsOf(newCredential, [bundle(sp, [g], [oldSecret, extraSecret])], { diff });
    expect(f!.severity).toBe('high');
  });

  it('a renewal that replaces an old credential is not reported by default; at info when asked', async () => {
    const diff = diffOf([sp, oldSecret], [sp, renewedSecret]);
    expect(diff.credentials.renewed).toHaveLength(1);
    expect(await findingsOf(newCredential, [bundle(sp, [], [renewedSecret])], { diff })).toEqual([]);
    const policy = policyWith({ 'new-credential': { renewals: 'info' } });
    const [f] = await findingsOf(newCredential, [bundle(sp, [], [renewedSecret])], { diff, policy });
    expect(f).toMatchObject({
      severity: 'info',
      subject: 'client-secret:key-2',
      evidence: { renewal: true, replaces: { credentialId: 'key-1' } },
    });
  });

  it("a new identity's credentials are new-grant's business, and nothing runs on a first scan", async () => {
    const diff = diffOf([], [sp, extraSecret]);
    expect(await findingsOf(newCredential, [bundle(sp, [], [extraSecret])], { diff })).toEqual([]);
    expect(await findingsOf(newCredential, [bundle(sp, [], [extraSecret])], { diff: null })).toEqual([]);
  });

  it('credentials new to grantscope only (a collector scanned for the first time) are not reported', async () => {
    const before = [sp];
    const after = [sp, extraSecret];
    // The credentials collector was not part of the earlier scan: its records are baseline additions.
    const diff = diffRecords(before, after, {
      before: completeCoverage(before, []),
      after: completeCoverage(before, after),
    });
    expect(diff.credentials.added.map((a) => a.baseline)).toEqual([true]);
    expect(await findingsOf(newCredential, [bundle(sp, [], [extraSecret])], { diff })).toEqual([]);
  });
});
