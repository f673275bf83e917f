import { describe, expect, it } from 'vitest';
import { DirectoryObject, OAuth2PermissionGrant, ResourceScopes, ServicePrincipal } from '../schema.js';
import { delegatedGrants } from './oauth2-permission-grants.js';

/** Delegated grants from the grants, resources and users read: plain data, no HTTP. */
const TENANT = { id: 'f67a73f9-1da3-4124-974d-72e2bc80841b', name: 'Acme' };
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const CALENDARS_READWRITE = '1ec239c2-d7c9-4623-a91a-a9775856bb36';

const zoom = ServicePrincipal.parse({ id: 'zoom-sp', appId: 'zoom-app', displayName: 'Zoom' });
const graph = ResourceScopes.parse({
  id: 'graph-sp',
  appId: GRAPH_APP_ID,
  displayName: 'Microsoft Graph',
  oauth2PermissionScopes: [{ id: CALENDARS_READWRITE, value: 'Calendars.ReadWrite' }],
});
const grant = (id: string, clientId: string, scope: string, principalId: string | null = null) =>
  OAuth2PermissionGrant.parse({
    id,
    clientId,
    consentType: principalId ? 'Principal' : 'AllPrincipals',
    principalId,
    resourceId: 'graph-sp',
    scope,
  });
const hannah = DirectoryObject.parse({
  id: 'u1',
  '@odata.type': '#microsoft.graph.user',
  userPrincipalName: 'hannah@acme.example',
  accountEnabled: true,
});

describe('delegated grants', () => {
  it('splits an admin consent into one tenant-wide grant per scope, resolved by the resource’s scopes', () => {
    const { grants, notes } = delegatedGrants(TENANT, [zoom], {
      grants: [grant('g1', 'zoom-sp', ' Calendars.ReadWrite  Legacy.NotAScope ')],
      resources: [graph],
      resourceCount: 1,
      users: new Map(),
    });
    expect(grants.map((g) => [g.permission.id, g.permission.name, g.risk?.tier])).toEqual([
      [CALENDARS_READWRITE, 'Calendars.ReadWrite', 'medium'],
      // Not declared by its resource: its value as id, unrated (never rated by name alone).
      ['Legacy.NotAScope', 'Legacy.NotAScope', 'unknown'],
    ]);
    expect(grants[0]).toMatchObject({
      identity: { kind: 'service-principal', nativeId: 'zoom-sp' },
      permission: { resource: GRAPH_APP_ID, nativeLevel: 'delegated', access: 'write' },
      target: { breadth: 'tenant', type: 'users', id: TENANT.id, label: 'all users of Acme' },
      grantedVia: 'admin-consent',
      principal: null,
      attributes: { grantId: 'g1', resourceDisplayName: 'Microsoft Graph', permissionResolved: true },
      collector: 'oauth2-permission-grants',
    });
    expect(grants[1]!.permission.resource).toBe(GRAPH_APP_ID);
    expect(notes).toEqual([
      '1 grant object(s), 0 consenting user(s), 1 resource(s)',
      '1 scope value(s) not declared by their resource: kept unrated',
    ]);
  });

  it('keeps a user’s consent on that user, a deleted user as inactive, and skips clients created later', () => {
    const { grants, notes } = delegatedGrants(TENANT, [zoom], {
      grants: [
        grant('g1', 'zoom-sp', 'Calendars.ReadWrite', 'U1'),
        grant('g2', 'zoom-sp', 'Calendars.ReadWrite', 'gone-user'),
        grant('g3', 'created-later', 'Calendars.ReadWrite'),
      ],
      resources: [graph],
      resourceCount: 1,
      users: new Map([
        ['u1', hannah],
        ['gone-user', null],
      ]),
    });
    expect(grants.map((g) => [g.target.breadth, g.target.label, g.grantedVia, g.principal])).toEqual([
      [
        'user',
        'hannah@acme.example',
        'user-consent',
        { id: 'U1', name: 'hannah@acme.example', type: 'user', active: true },
      ],
      ['user', 'gone-user', 'user-consent', { id: 'gone-user', name: null, type: 'user', active: false }],
    ]);
    expect(grants[1]!.attributes).toMatchObject({ principalDeleted: true });
    expect(notes).toEqual([
      '3 grant object(s), 2 consenting user(s), 1 resource(s)',
      '1 grant(s) of service principals created after the list was read',
    ]);
  });
});
