import { describe, expect, it } from 'vitest';
import { bundle, grant, identity, owner } from '../../test/support/records.js';
import { findingsOf, policyWith } from '../../test/support/rules.js';
import { ownerless } from './ownerless.js';

const critical = grant({
  permission: { id: 'administration', name: 'administration', access: 'write' },
  risk: { tier: 'critical' },
});
const delegated = (user: string, active: boolean | null) =>
  grant({
    platform: 'google-workspace',
    tenant: { id: 'C01' },
    identity: { kind: 'oauth-client', nativeId: 'client-1' },
    permission: { id: 'https://mail.google.com/', name: 'https://mail.google.com/', access: 'admin' },
    target: { breadth: 'user', type: 'user', id: user },
    principal: { id: user, name: user, active },
    risk: { tier: 'critical' },
    collector: 'tokens',
  });
const client = identity({
  platform: 'google-workspace',
  tenant: { id: 'C01' },
  kind: 'oauth-client',
  nativeId: 'client-1',
  displayName: 'Mail Merge Pro',
  owners: [owner('it-lead@example.com')],
  manageUrl: null,
  collector: 'tokens',
});

describe('ownerless: owners', () => {
  it('an identity with one active owner is not ownerless; with none it is (medium without risky grants)', async () => {
    expect(
      await findingsOf(ownerless, [bundle(identity({ owners: [owner('alice'), owner('bob', false)] }))]),
    ).toEqual([]);
    const [f] = await findingsOf(ownerless, [bundle(identity({ owners: [] }))]);
    expect(f).toMatchObject({
      severity: 'medium',
      subject: null,
      title: '"Acme CI" (GitHub App installation) has no owner',
    });
    expect(f!.evidence).toMatchObject({ origin: 'third-party', owners: [] });
  });

  it('owners who all left, or whose status is unknown, do not count as active', async () => {
    const [left] = await findingsOf(ownerless, [
      bundle(identity({ owners: [owner('alice', false), owner('bob', null)] })),
    ]);
    expect(left!.title).toBe(
      '"Acme CI" (GitHub App installation) has no active owner (2 listed, none active)',
    );
  });

  it('severity is high when the identity holds a grant at the elevate tier', async () => {
    const [f] = await findingsOf(ownerless, [bundle(identity({ owners: [] }), [critical])]);
    expect(f!.severity).toBe('high');
    const [g] = await findingsOf(ownerless, [bundle(identity({ owners: [] }), [critical])], {
      policy: policyWith({ ownerless: { elevateAtTier: 'critical' } }),
    });
    expect(g!.severity).toBe('high');
    const [h] = await findingsOf(
      ownerless,
      [bundle(identity({ owners: [] }), [grant({ risk: { tier: 'high' } })])],
      {
        policy: policyWith({ ownerless: { elevateAtTier: 'critical' } }),
      },
    );
    expect(h!.severity).toBe('medium');
  });

  it('platform-origin identities and excluded kinds are exempt', async () => {
    expect(await findingsOf(ownerless, [bundle(identity({ owners: [], origin: 'platform' }))])).toEqual([]);
    const hook = identity({ kind: 'webhook', nativeId: 'h1', owners: [] });
    expect(await findingsOf(ownerless, [bundle(hook)])).toEqual([]);
    expect(
      await findingsOf(ownerless, [bundle(hook)], {
        policy: policyWith({ ownerless: { excludeKinds: [] } }),
      }),
    ).toHaveLength(1);
    // An internal identity is held to ownership like a third-party one.
    expect(await findingsOf(ownerless, [bundle(identity({ owners: [], origin: 'internal' }))])).toHaveLength(
      1,
    );
  });

  it('an identity known only through its grants is not judged (its owners are unknown)', async () => {
    expect(await findingsOf(ownerless, [bundle(null, [critical])])).toEqual([]);
  });
});

describe('ownerless: orphaned grants', () => {
  it('delegated grants that all act for inactive users are reported, with their own fingerprint', async () => {
    const b = bundle(client, [delegated('ann@example.com', false), delegated('ben@example.com', false)]);
    const [f] = await findingsOf(ownerless, [b]);
    expect(f).toMatchObject({
      severity: 'high',
      subject: 'orphaned-grants',
      identity: { kind: 'oauth-client', id: 'client-1', name: 'Mail Merge Pro' },
      title: '"Mail Merge Pro" (OAuth client) acts only for inactive users (2 delegated grants, 2 users)',
    });
    expect(f!.evidence).toMatchObject({
      inactiveUsers: ['ann@example.com', 'ben@example.com'],
      inactiveUserCount: 2,
    });
    expect(f!.remediation).toContain('in the google-workspace admin settings for C01');
  });

  it('one active (or unknown) principal means the grants still serve someone', async () => {
    expect(
      await findingsOf(ownerless, [
        bundle(client, [delegated('ann@example.com', false), delegated('cy@example.com', true)]),
      ]),
    ).toEqual([]);
    expect(
      await findingsOf(ownerless, [
        bundle(client, [delegated('ann@example.com', false), delegated('cy@example.com', null)]),
      ]),
    ).toEqual([]);
  });

  it('applies to platform-origin apps too, and can be switched off', async () => {
    const b = bundle({ ...client, origin: 'platform' }, [delegated('ann@example.com', false)]);
    expect((await findingsOf(ownerless, [b])).map((f) => f.subject)).toEqual(['orphaned-grants']);
    expect(
      await findingsOf(ownerless, [b], { policy: policyWith({ ownerless: { orphanedGrants: false } }) }),
    ).toEqual([]);
  });

  it('an identity both ownerless and orphaned gets two findings with distinct fingerprints', async () => {
    const fs = await findingsOf(ownerless, [
      bundle({ ...client, owners: [] }, [delegated('ann@example.com', false)]),
    ]);
    expect(fs.map((f) => f.subject).sort()).toEqual(['orphaned-grants', null].sort());
    expect(new Set(fs.map((f) => f.fingerprint)).size).toBe(2);
  });
});

describe('ownerless: owners not collected', () => {
  it('an identity whose owners could not be collected is not reported as ownerless', async () => {
    expect(
      await findingsOf(ownerless, [bundle(identity({ owners: [], ownersKnown: false }), [critical])]),
    ).toEqual([]);
    expect(
      await findingsOf(ownerless, [bundle(identity({ owners: [], ownersKnown: true }), [critical])]),
    ).toHaveLength(1);
  });
});
