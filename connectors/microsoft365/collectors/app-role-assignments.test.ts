import { describe, expect, it } from 'vitest';
import { AppRoleAssignment, ServicePrincipal } from '../schema.js';
import { applicationGrants } from './app-role-assignments.js';

/** Application grants from the assignments read per resource: plain data, no HTTP. */
const TENANT = { id: 'f67a73f9-1da3-4124-974d-72e2bc80841b', name: 'Acme' };
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const USER_READ_ALL = 'df021288-bdef-4463-88db-98f22de89214';
const DEFAULT_ACCESS = '00000000-0000-0000-0000-000000000000';

const graph = ServicePrincipal.parse({
  id: 'graph-sp',
  appId: GRAPH_APP_ID,
  displayName: 'Microsoft Graph',
  appRoles: [{ id: USER_READ_ALL, value: 'User.Read.All', allowedMemberTypes: ['Application'] }],
});
const client = ServicePrincipal.parse({ id: 'client-sp', appId: 'client-app', displayName: 'Salesforce' });

const assignment = (id: string, appRoleId: string, principalId: string, principalType = 'ServicePrincipal') =>
  AppRoleAssignment.parse({
    id,
    appRoleId,
    principalId,
    principalType,
    resourceId: 'graph-sp',
    createdDateTime: '2025-09-27T00:00:00Z',
  });

describe('application grants', () => {
  it('turns each assignment to a known service principal into a tenant-wide grant, resolved and rated', () => {
    const { grants, notes } = applicationGrants(TENANT, [graph, client], {
      resources: 1,
      read: [{ resourceId: 'graph-sp', assignments: [assignment('a1', USER_READ_ALL, 'client-sp')] }],
      gone: [],
    });
    expect(grants).toEqual([
      expect.objectContaining({
        type: 'grant',
        platform: 'microsoft365',
        identity: { kind: 'service-principal', nativeId: 'client-sp' },
        permission: {
          id: USER_READ_ALL,
          name: 'User.Read.All',
          resource: GRAPH_APP_ID,
          nativeLevel: 'application',
          access: 'read',
        },
        target: { breadth: 'tenant', type: 'tenant', id: TENANT.id, label: 'Microsoft Graph in Acme' },
        grantedVia: 'admin-consent',
        grantedAt: '2025-09-27T00:00:00Z',
        risk: expect.objectContaining({ tier: 'high' }),
        attributes: expect.objectContaining({ permissionResolved: true, assignmentId: 'a1' }),
        collector: 'app-role-assignments',
      }),
    ]);
    expect(notes).toEqual(['read assignments of 1 resource service principal(s)']);
  });

  it('leaves out default access, users and principals created after the list, and says so', () => {
    const undeclared = 'f6f6f6f6-0000-4000-8000-000000000006';
    const { grants, notes } = applicationGrants(TENANT, [graph, client], {
      resources: 2,
      read: [
        {
          resourceId: 'graph-sp',
          assignments: [
            assignment('a1', DEFAULT_ACCESS, 'client-sp'),
            assignment('a2', USER_READ_ALL, 'someone', 'User'),
            assignment('a3', USER_READ_ALL, 'created-later'),
            assignment('a4', undeclared, 'client-sp'),
          ],
        },
      ],
      gone: ['deleted-resource'],
    });
    // A role the resource no longer declares is kept, unrated: never rated by a name it lacks.
    expect(grants).toEqual([
      expect.objectContaining({
        permission: expect.objectContaining({ id: undeclared, name: `app role ${undeclared}` }),
        risk: expect.objectContaining({ tier: 'unknown' }),
        attributes: expect.objectContaining({ permissionResolved: false }),
      }),
    ]);
    expect(notes).toEqual([
      'read assignments of 2 resource service principal(s)',
      '1 default-access assignment(s) (all-zero role id) are not permissions',
      '1 assignment(s) of app roles their resource no longer declares',
      '1 resource service principal(s) deleted while scanning: deleted-resource',
      '1 assignment(s) to service principals created after the list was read',
    ]);
  });
});
