import { describe, expect, it } from 'vitest';
import { bundle, credential, daysBefore, grant, identity } from '../../test/support/records.js';
import { AS_OF, findingsOf, policyWith } from '../../test/support/rules.js';
import { parseGovernance } from '../governance/load.js';
import type { IdentityInput } from '../model/index.js';
import type { IdentityBundle } from '../store/store.js';
import { idlePartner } from './idle-partner.js';

const vendor = { name: 'Globex', id: 'globex', verified: true };
function app(
  nativeId: string,
  lastUsedDaysAgo: number | null,
  over: Partial<IdentityInput> = {},
): IdentityBundle {
  const id = identity({
    nativeId,
    displayName: `Globex ${nativeId}`,
    publisher: vendor,
    lastUsed:
      lastUsedDaysAgo === null ? null : { at: daysBefore(AS_OF, lastUsedDaysAgo), source: 'test:last-used' },
    manageUrl: `https://example.test/apps/${nativeId}`,
    ...over,
  });
  const g = grant({ identity: { kind: 'github-app-installation', nativeId } });
  return bundle(id, [g]);
}

describe('idle-partner', () => {
  it('one finding per idle vendor, listing every identity to revoke', async () => {
    const fs = await findingsOf(idlePartner, [app('1', 120), app('2', 200), app('3', 95)]);
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({
      rule: 'idle-partner',
      severity: 'medium',
      platform: 'github',
      tenant: 'acme',
      identity: { kind: 'vendor', id: 'globex', name: 'Globex' },
      title:
        'Vendor "Globex" is idle: its 3 identities were not used for 95 days (Globex 1, Globex 2, Globex 3)',
      evidence: {
        identityCount: 3,
        grantCount: 3,
        daysIdle: 95,
        idleDays: 90,
        lastActivitySource: 'test:last-used',
      },
    });
    const listed = fs[0]!.evidence.identities as { id: string; manageUrl: string }[];
    expect(listed.map((i) => [i.id, i.manageUrl])).toEqual([
      ['1', 'https://example.test/apps/1'],
      ['2', 'https://example.test/apps/2'],
      ['3', 'https://example.test/apps/3'],
    ]);
    expect(fs[0]!.frameworks.owaspNhi).toEqual(['NHI1']);
  });

  it('a vendor with one identity in use is active, whichever order identities arrive in', async () => {
    expect(await findingsOf(idlePartner, [app('1', 120), app('2', 10), app('3', 300)])).toEqual([]);
    expect(await findingsOf(idlePartner, [app('2', 10), app('1', 120)])).toEqual([]);
  });

  it("a credential's use counts as the vendor's activity", async () => {
    const a = app('1', 300);
    const used = credential({
      platform: 'github',
      tenant: { id: 'acme' },
      identity: { kind: 'github-app-installation', nativeId: '1' },
      lastUsed: { at: daysBefore(AS_OF, 3), source: 'test:key-used' },
    });
    expect(await findingsOf(idlePartner, [{ ...a, credentials: [used] }, app('2', 300)])).toEqual([]);
  });

  it('cannot judge a vendor one of whose identities has no usage signal', async () => {
    expect(await findingsOf(idlePartner, [app('1', 300), app('2', null)])).toEqual([]);
  });

  it('never-used identities count from their creation: a new one keeps the vendor active', async () => {
    const never = (n: string, created: number) =>
      app(n, null, {
        lastUsed: { at: null, source: 'test:last-used' },
        createdAt: daysBefore(AS_OF, created),
      });
    expect(await findingsOf(idlePartner, [never('1', 400), never('2', 20)])).toEqual([]);
    const [f] = await findingsOf(idlePartner, [never('1', 400), never('2', 200)]);
    expect(f!.title).toContain('were not used for 200 days');
  });

  it('groups by vendor and tenant; one identity alone is left to `stale` unless the policy says otherwise', async () => {
    const other = app('9', 300, { publisher: { name: 'Initech', id: 'initech', verified: false } });
    const elsewhere = identity({
      tenant: { id: 'other-org', name: 'Other' },
      nativeId: '7',
      publisher: vendor,
      lastUsed: { at: daysBefore(AS_OF, 300), source: 'x' },
    });
    const bundles = [app('1', 120), app('2', 200), other, bundle(elsewhere)];
    const fs = await findingsOf(idlePartner, bundles);
    expect(fs.map((f) => [f.tenant, f.identity.id])).toEqual([['acme', 'globex']]);
    const all = await findingsOf(idlePartner, bundles, {
      policy: policyWith({ 'idle-partner': { minIdentities: 1 } }),
    });
    expect(all.map((f) => `${f.tenant}/${f.identity.id}`).sort()).toEqual([
      'acme/globex',
      'acme/initech',
      'other-org/globex',
    ]);
  });

  it('internal and first-party identities have no vendor', async () => {
    expect(
      await findingsOf(idlePartner, [
        app('1', 300, { origin: 'internal' }),
        app('2', 300, { origin: 'internal' }),
      ]),
    ).toEqual([]);
  });
});

describe('idle-partner with a governance file', () => {
  const gov = (body: string) => parseGovernance([{ file: 'governance.yaml', text: `version: 1\n${body}` }]);
  it('carries the vendor’s registered owner and approval, and an exception by rule + publisher applies', async () => {
    const governance = gov(`owners:
  - match: { publisher: Globex }
    person: Dana Reyes
    team: Sales Ops
approvals:
  - match: { publisher: Globex }
    permissions: [administration]
    approver: CISO
    reference: CHG-7
    date: 2026-01-05
exceptions:
  - rule: idle-partner
    match: { publisher: Globex }
    reason: Seasonal integration, used each spring
    approver: Alice Chen
    granted: 2026-11-01
    expires: 2026-12-31
`);
    const [f] = await findingsOf(idlePartner, [app('1', 120), app('2', 200)], { governance });
    expect(f).toMatchObject({
      excepted: true,
      exception: { status: 'active', approver: 'Alice Chen' },
      approval: { approver: 'CISO', reference: 'CHG-7' },
      owner: { registered: [{ person: 'Dana Reyes', team: 'Sales Ops' }], inPlatform: [] },
    });
  });

  it('an exception by fingerprint covers that vendor’s finding; an expired one brings it back', async () => {
    const [plain] = await findingsOf(idlePartner, [app('1', 120), app('2', 200)]);
    const byFingerprint = (expires: string) =>
      gov(`exceptions:
  - fingerprint: ${plain!.fingerprint}
    reason: Being offboarded under CHG-9
    approver: Alice Chen
    granted: 2026-10-01
    expires: ${expires}
`);
    const [kept] = await findingsOf(idlePartner, [app('1', 120), app('2', 200)], {
      governance: byFingerprint('2026-12-15'),
    });
    expect(kept).toMatchObject({ excepted: true, exception: { status: 'active' } });
    const [back] = await findingsOf(idlePartner, [app('1', 120), app('2', 200)], {
      governance: byFingerprint('2026-11-20'),
    });
    expect(back).toMatchObject({ excepted: false, exception: { status: 'expired' } });
  });
});
