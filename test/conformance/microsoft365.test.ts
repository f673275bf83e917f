import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../../src/emulator/journal.js';
import { checkMicrosoft365Request } from './microsoft365.js';

/** The Graph/Entra request checker refuses what Microsoft's descriptions refuse, and only that. */
const graph = (path: string, extra: Partial<RecordedRequest> = {}): RecordedRequest => {
  const [p, qs = ''] = path.split('?');
  return {
    platform: 'microsoft365',
    service: 'graph',
    method: 'GET',
    path: p!,
    pattern: null,
    query: [...new URLSearchParams(qs)],
    headers: { authorization: 'Bearer <jwt>' },
    body: null,
    status: 200,
    ...extra,
  };
};
const batch = (requests: unknown[]) =>
  graph('/v1.0/$batch', {
    method: 'POST',
    headers: { authorization: 'Bearer <jwt>', 'content-type': 'application/json' },
    body: { requests },
  });
const token = (body: Record<string, string>): RecordedRequest => ({
  ...graph('/t/oauth2/v2.0/token'),
  service: 'login',
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body,
});
const SP = '4eae3d12-2eda-4c8f-bf42-abdddb5f5285';

describe('microsoft365 request checker', () => {
  it('accepts the reads the connector makes', () => {
    for (const path of [
      '/v1.0/servicePrincipals?$select=id,appId,createdDateTime,appRoles&$top=999',
      `/v1.0/servicePrincipals?$select=id&$top=999&$skiptoken=abc`,
      '/v1.0/applications?$select=id,appId,passwordCredentials,keyCredentials&$top=999',
      '/v1.0/oauth2PermissionGrants?$select=id,clientId,consentType,principalId,resourceId,scope&$top=999',
      `/beta/reports/servicePrincipalSignInActivities?$top=999`,
      `/v1.0/servicePrincipals?$filter=startswith(displayName,'Z')`,
      `/v1.0/servicePrincipals?$filter=appId eq '00000003-0000-0000-c000-000000000000'`,
    ]) {
      expect(checkMicrosoft365Request(graph(path)), path).toEqual([]);
    }
    expect(
      checkMicrosoft365Request(
        graph('/v1.0/users/$count', {
          headers: { authorization: 'Bearer <jwt>', consistencylevel: 'eventual' },
        }),
      ),
    ).toEqual([]);
    expect(
      checkMicrosoft365Request(
        batch([
          {
            id: '1',
            method: 'GET',
            url: `/servicePrincipals/${SP}/owners?$select=id,displayName,userPrincipalName,accountEnabled`,
          },
          {
            id: '2',
            method: 'GET',
            url: `/servicePrincipals/${SP}/appRoleAssignedTo?$select=id,appRoleId&$top=999`,
          },
          { id: '3', method: 'GET', url: `/users/${SP}?$select=id,accountEnabled` },
        ]),
      ),
    ).toEqual([]);
  });

  it('accepts users delta and the owner activities of the directory audit log; refuses what their pages do not list', () => {
    const audit = (filter: string) =>
      checkMicrosoft365Request(
        graph(`/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent(filter)}`),
      );
    expect(
      checkMicrosoft365Request(
        graph('/v1.0/users/delta?$deltatoken=latest&$select=id,accountEnabled,userPrincipalName,displayName'),
      ),
    ).toEqual([]);
    expect(
      audit(
        "activityDateTime ge 2026-12-01T00:00:00.000Z and activityDisplayName eq 'Add owner to service principal' or activityDateTime ge 2026-12-01T00:00:00.000Z and activityDisplayName eq 'Remove owner from application'",
      ),
    ).toEqual([]);
    // category documents no $filter; activityDisplayName has no `ne`; directoryAudits has no $select.
    expect(audit("category eq 'ApplicationManagement'").join()).toMatch(/not among the operators/);
    expect(audit("activityDisplayName ne 'x'").join()).toMatch(/not among the operators/);
    expect(checkMicrosoft365Request(graph('/v1.0/auditLogs/directoryAudits?$select=id')).join()).toMatch(
      /\$select is not a query option/,
    );
    expect(checkMicrosoft365Request(graph('/v1.0/auditLogs/signIns')).join()).toMatch(/no 'signIns'/);
  });

  it('refuses versioned or absolute $batch urls, too many steps, duplicate ids, bodies without Content-Type', () => {
    const one = (url: string) => checkMicrosoft365Request(batch([{ id: '1', method: 'GET', url }]));
    expect(one(`/v1.0/servicePrincipals/${SP}/owners`).join()).toMatch(/version segment/);
    expect(one(`/beta/servicePrincipals/${SP}`).join()).toMatch(/version segment/);
    expect(one(`https://graph.microsoft.com/v1.0/servicePrincipals/${SP}`).join()).toMatch(/absolute/);
    const many = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users' }));
    expect(checkMicrosoft365Request(batch(many)).join()).toMatch(/limit is 20/);
    expect(
      checkMicrosoft365Request(
        batch([
          { id: 'a', method: 'GET', url: '/users' },
          { id: 'A', method: 'GET', url: '/users' },
        ]),
      ).join(),
    ).toMatch(/not unique/);
    expect(
      checkMicrosoft365Request(batch([{ id: '1', method: 'POST', url: '/users', body: {} }])).join(),
    ).toMatch(/Content-Type/);
    // Inner requests carry their own headers: $count inside needs ConsistencyLevel in the step.
    expect(one('/users/$count').join()).toMatch(/ConsistencyLevel/);
  });

  it('refuses query options, page sizes, properties and operators the description does not allow', () => {
    const problems = (path: string, headers = {}) =>
      checkMicrosoft365Request(graph(path, { headers: { authorization: 'Bearer <jwt>', ...headers } })).join(
        '\n',
      );
    expect(problems('/v1.0/servicePrincipals?$top=1000')).toMatch(/\$top=1000 outside 1\.\.999/);
    expect(problems('/v1.0/servicePrincipals?$select=id,noSuch')).toMatch(/\$select=noSuch/);
    expect(problems('/v1.0/servicePrincipals?$select=publisherName')).toMatch(/publisherName/);
    expect(problems('/beta/servicePrincipals?$select=publisherName')).toBe('');
    expect(problems('/v1.0/users?$skip=10')).toMatch(/\$skip/);
    expect(problems('/v1.0/users/$count')).toMatch(/ConsistencyLevel/);
    expect(problems('/v1.0/applications?$search="displayName:x"')).toMatch(/ConsistencyLevel/);
    expect(problems(`/v1.0/servicePrincipals?$filter=displayName ne 'x'`)).toMatch(
      /ne needs ConsistencyLevel/,
    );
    expect(
      problems(`/v1.0/servicePrincipals?$filter=displayName ne 'x'&$count=true`, {
        consistencylevel: 'eventual',
      }),
    ).toBe('');
    expect(problems(`/v1.0/servicePrincipals?$filter=homepage eq 'x'`)).toMatch(/not among the operators/);
    expect(problems('/v1.0/reports/servicePrincipalSignInActivities')).toMatch(/v1\.0 reportRoot/);
    expect(problems(`/v1.0/servicePrincipals/${SP}/noSuchNav`)).toMatch(/no navigation collection/);
    expect(problems('/v1.0/servicePrincipals', { authorization: 'token <opaque:ghs>' })).toMatch(/Bearer/);
  });

  it('checks the client-credentials token request', () => {
    const ok = {
      grant_type: 'client_credentials',
      client_id: SP,
      scope: 'https://graph.microsoft.com/.default',
    };
    expect(checkMicrosoft365Request(token({ ...ok, client_secret: '[redacted]' }))).toEqual([]);
    expect(
      checkMicrosoft365Request(
        token({ ...ok, client_assertion: '[redacted]', client_assertion_type: '[redacted]' }),
      ),
    ).toEqual([]);
    expect(checkMicrosoft365Request(token({ ...ok })).join()).toMatch(/exactly one/);
    expect(
      checkMicrosoft365Request(
        token({ ...ok, client_secret: 'x', client_assertion: 'y', client_assertion_type: 'z' }),
      ).join(),
    ).toMatch(/exactly one/);
    expect(checkMicrosoft365Request(token({ ...ok, scope: 'User.Read', client_secret: 'x' })).join()).toMatch(
      /\.default/,
    );
    expect(
      checkMicrosoft365Request(token({ ...ok, grant_type: 'password', client_secret: 'x' })).join(),
    ).toMatch(/client_credentials/);
  });
});
