import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exemptFromRequestConformance } from '../../../test/support/conformance.js';
import { createHttpPolicy } from '../../connector/http.js';
import { type RunningEmulator, startEmulator } from '../server.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON response bodies
type Body = any;

/** Requests sent on purpose with a filter Graph refuses (marked, exempt from the request check). */
const REFUSED = { 'x-grantscope-test': 'expect-refusal' } as const;
exemptFromRequestConformance(
  'audit log tests send a $filter directoryaudit-list does not support, marked x-grantscope-test: expect-refusal',
  (r) => r.headers['x-grantscope-test'] === 'expect-refusal',
);

const TENANT = '7d0b6a52-3c1e-4f8a-9b2d-5e6f7a8b9c0d';
const U1 = '00000000-0000-4000-8000-000000000001';
const U2 = '00000000-0000-4000-8000-000000000002';
const SP1 = '10000000-0000-4000-8000-000000000001';

describe('microsoft365 emulator: directory audit log and users delta', () => {
  let emu: RunningEmulator;
  let fetch: typeof globalThis.fetch;
  let access: string;
  let dir: string;

  const world = async (name: string, owners: string[], u1Enabled: boolean) => {
    const file = join(dir, `${name}.yaml`);
    await writeFile(
      file,
      JSON.stringify({
        name,
        microsoft365: {
          tenant: { id: TENANT, displayName: 'Fabrikam', defaultDomain: 'fabrikam.example' },
          scanner: {
            appId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
            permissions: ['Application.Read.All', 'Directory.Read.All', 'AuditLog.Read.All'],
          },
          users: [
            {
              id: U1,
              displayName: 'One',
              userPrincipalName: 'one@fabrikam.example',
              accountEnabled: u1Enabled,
            },
            { id: U2, displayName: 'Two', userPrincipalName: 'two@fabrikam.example' },
          ],
          servicePrincipals: [
            {
              id: SP1,
              appId: '30000000-0000-4000-8000-000000000001',
              displayName: 'Vendor app',
              appOwnerOrganizationId: '8e422e70-b829-4245-8f87-6c50f2844aeb',
              owners,
            },
          ],
        },
      }),
    );
    return file;
  };
  const graph = async (path: string, headers: Record<string, string> = {}) => {
    const r = await fetch(path.startsWith('http') ? path : `${emu.origin}${path}`, {
      headers: { authorization: `Bearer ${access}`, ...headers },
    });
    return { status: r.status, body: (await r.json()) as Body };
  };
  const audits = (filter?: string, headers: Record<string, string> = {}) =>
    graph(
      `/v1.0/auditLogs/directoryAudits${filter ? `?$filter=${encodeURIComponent(filter)}` : ''}`,
      headers,
    );

  beforeAll(async () => {
    dir = await mkdtemp('/tmp/gs-m365-audit-');
    emu = await startEmulator({ world: await world('a', [U1], true) });
    await writeFile(`${dir}/ca.pem`, emu.caCert);
    fetch = createHttpPolicy({ caFile: `${dir}/ca.pem` }).fetch;
    const setup = emu.clientSetup();
    const cfg = setup.config.microsoft365 as Record<string, string>;
    const r = await fetch(`${emu.origin}/${cfg.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: cfg.clientId!,
        client_secret: setup.files['microsoft365-client-secret.txt']!.trim(),
        scope: 'https://graph.microsoft.com/.default',
      }).toString(),
    });
    access = ((await r.json()) as Body).access_token;
  });
  afterAll(() => emu.stop());

  it('writes an owner activity for an owner added between two worlds, and a user change to users delta', async () => {
    const empty = await audits();
    expect(empty.status).toBe(200);
    expect(empty.body.value).toEqual([]);
    const latest = await graph('/v1.0/users/delta?$deltatoken=latest&$select=id,accountEnabled');
    expect(latest.body.value).toEqual([]);
    const since = new Date(Date.now() - 1000).toISOString();

    emu.setWorld(await world('b', [U1, U2], false));
    const after = await audits(
      `activityDateTime ge ${since} and activityDisplayName eq 'Add owner to service principal'`,
    );
    expect(after.status).toBe(200);
    expect(after.body.value).toHaveLength(1);
    expect(after.body.value[0]).toMatchObject({
      category: 'ApplicationManagement',
      loggedByService: 'Core Directory',
      activityDisplayName: 'Add owner to service principal',
      result: 'success',
    });
    expect(after.body.value[0].targetResources.map((t: Body) => t.id)).toEqual([SP1, U2]);
    // Nothing after now; nothing of another activity.
    expect(
      (await audits(`activityDateTime ge ${new Date(Date.now() + 60_000).toISOString()}`)).body.value,
    ).toEqual([]);
    expect((await audits("activityDisplayName eq 'Remove owner from service principal'")).body.value).toEqual(
      [],
    );

    const changes = await graph(latest.body['@odata.deltaLink']);
    expect(changes.body.value).toEqual([{ id: U1, accountEnabled: false }]);
  });

  it('refuses a $filter on a property whose description lists no operator, in Graph’s error shape', async () => {
    const r = await audits("category eq 'ApplicationManagement'", REFUSED);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('Request_UnsupportedQuery');
    expect(r.body.error.innerError['request-id']).toBeTruthy();
  });
});
