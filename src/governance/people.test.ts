import { describe, expect, it } from 'vitest';
import { bundle, grant, identity } from '../../test/support/records.js';
import { collectPeople } from './people.js';

describe('people directory (has a registered owner left?)', () => {
  it('reads each platform’s user status from the snapshot’s owners and principals, by id or login/UPN/email', async () => {
    const bundles = [
      // GitHub: an app's owner judged by org membership (id = login).
      bundle(identity({ owners: [{ id: 'frank', name: 'frank', type: 'user', active: false }] })),
      // Entra: an owner with accountEnabled false (id = object id, name = UPN).
      bundle(
        identity({
          platform: 'microsoft365',
          tenant: { id: 't1' },
          kind: 'service-principal',
          nativeId: 'sp-1',
          owners: [{ id: '22e4e4a1', name: 'dan.okafor@acme.example', type: 'user', active: false }],
        }),
      ),
      // Google: a delegated grant acting for a suspended user (id = user id, name = primary email).
      bundle(null, [
        grant({
          platform: 'google-workspace',
          tenant: { id: 'C01' },
          identity: { kind: 'oauth-client', nativeId: 'c-1' },
          principal: { id: '1077', name: 'hugo.moreau@acme.example', type: 'user', active: false },
        }),
        grant({
          platform: 'google-workspace',
          tenant: { id: 'C01' },
          identity: { kind: 'oauth-client', nativeId: 'c-1' },
          principal: { id: '1088', name: 'ana@acme.example', type: 'user', active: true },
        }),
      ]),
    ];
    const people = await collectPeople(bundles, [
      { platform: 'github', id: 'Frank' },
      { platform: 'microsoft365', id: 'dan.okafor@acme.example' },
      { platform: 'microsoft365', id: '22e4e4a1' },
      { platform: 'google-workspace', id: 'hugo.moreau@acme.example' },
      { platform: 'google-workspace', id: 'ana@acme.example' },
      { platform: 'github', id: 'nobody' },
    ]);
    expect(people.status({ platform: 'github', id: 'frank' })).toBe(false);
    expect(people.status({ platform: 'microsoft365', id: 'dan.okafor@acme.example' })).toBe(false);
    expect(people.status({ platform: 'microsoft365', id: '22e4e4a1' })).toBe(false);
    expect(people.status({ platform: 'google-workspace', id: 'hugo.moreau@acme.example' })).toBe(false);
    expect(people.status({ platform: 'google-workspace', id: 'ana@acme.example' })).toBe(true);
    // Not in the snapshot, or on another platform: unknown, never "left".
    expect(people.status({ platform: 'github', id: 'nobody' })).toBeNull();
    expect(people.status({ platform: 'microsoft365', id: 'frank' })).toBeNull();
  });

  it('an account any record shows active is active (one stale record does not declare someone gone)', async () => {
    const people = await collectPeople(
      [
        bundle(identity({ owners: [{ id: 'bob', name: 'bob', type: 'user', active: false }] })),
        bundle(identity({ nativeId: '2', owners: [{ id: 'bob', name: 'bob', type: 'user', active: true }] })),
      ],
      [{ platform: 'github', id: 'bob' }],
    );
    expect(people.status({ platform: 'github', id: 'bob' })).toBe(true);
  });
});
