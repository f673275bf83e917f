import { describe, expect, it } from 'vitest';
import { firstPartyTenants } from '../records.js';
import { ServicePrincipal } from '../schema.js';
import { servicePrincipalIdentities } from './service-principals.js';

/** The identity records of service principals, from plain data: no HTTP. */
const TENANT = { id: 'f67a73f9-1da3-4124-974d-72e2bc80841b', name: 'Acme' };
const MICROSOFT_SERVICES = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';

const sp = (id: string, appId: string, owner: string | null, extra: object = {}) =>
  ServicePrincipal.parse({ id, appId, displayName: id, appOwnerOrganizationId: owner, ...extra });

const zoom = sp('zoom', 'app-zoom', '11111111-1111-4111-8111-111111111111', {
  verifiedPublisher: { displayName: 'Zoom', verifiedPublisherId: '123' },
  appRoles: [{ id: 'r1', value: 'Meetings.Read', allowedMemberTypes: ['Application'] }],
  createdDateTime: '2024-11-11T00:00:00.0000000Z',
});
const own = sp('own', 'app-own', TENANT.id);
const teams = sp('teams', 'app-teams', MICROSOFT_SERVICES);
const priya = { id: 'u1', name: 'priya@acme.example', type: 'user' as const, active: true };
const unknownUser = { id: 'u2', name: null, type: 'user' as const, active: null };

const from = {
  tenant: TENANT,
  microsoft: firstPartyTenants([]),
  portalUrl: 'https://entra.microsoft.com',
};

describe('service principal identities', () => {
  it('carries owners and last sign-ins when their collectors have them', () => {
    const [z, o, t] = servicePrincipalIdentities([zoom, own, teams], {
      ...from,
      owners: new Map([
        ['zoom', [priya]],
        ['own', []],
      ]),
      signIns: new Map([['app-zoom', '2026-10-30T00:00:00Z']]),
    });
    expect(z).toMatchObject({
      kind: 'service-principal',
      nativeId: 'zoom',
      origin: 'third-party',
      publisher: { name: 'Zoom', verified: true },
      createdAt: '2024-11-11T00:00:00Z',
      owners: [priya],
      ownersKnown: true,
      lastUsed: { at: '2026-10-30T00:00:00Z', source: 'entra:servicePrincipalSignInActivities' },
      collector: 'service-principals',
      attributes: { appId: 'app-zoom', exposedAppRoles: 1 },
    });
    expect(z!.manageUrl).toBe(
      'https://entra.microsoft.com/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/Overview/objectId/zoom/appId/app-zoom',
    );
    // Only ids, values and member types of the app roles are kept in raw.
    expect((z!.raw as { appRoles: unknown }).appRoles).toEqual([
      { id: 'r1', value: 'Meetings.Read', allowedMemberTypes: ['Application'] },
    ]);
    // Listed with no owners: none, known. Absent from the report: never used.
    expect(o).toMatchObject({
      origin: 'internal',
      publisher: { name: 'Acme' },
      owners: [],
      ownersKnown: true,
      lastUsed: { at: null },
    });
    // Microsoft's own apps are not held to ownership, nor judged unused for lack of a report row.
    expect(t).toMatchObject({ origin: 'platform', publisher: { name: 'Microsoft' }, ownersKnown: false });
    expect(t!.lastUsed).toBeNull();
  });

  it('says owners and last use are unknown when their collectors failed, never "none" or "never used"', () => {
    const [z, o] = servicePrincipalIdentities([zoom, own], { ...from, owners: null, signIns: null });
    for (const i of [z!, o!]) expect(i).toMatchObject({ owners: [], ownersKnown: false, lastUsed: null });
  });

  it('leaves owners unknown when none is known to be active and some are of unknown activity', () => {
    const [z] = servicePrincipalIdentities([zoom], {
      ...from,
      owners: new Map([['zoom', [unknownUser]]]),
      signIns: null,
    });
    expect(z).toMatchObject({ owners: [unknownUser], ownersKnown: false });
    // A service principal the owners collector has no entry for (deleted while scanning): unknown.
    const [missing] = servicePrincipalIdentities([own], { ...from, owners: new Map(), signIns: null });
    expect(missing!.ownersKnown).toBe(false);
  });
});
