import { readFileSync } from 'node:fs';
import { BatchResponseContent } from '@microsoft/microsoft-graph-client';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { CollectorRun } from '../../../src/connector/collector.js';
import type { ConnectorContext } from '../../../src/connector/context.js';
import type { CredentialInput } from '../../../src/model/credential.js';
import type { GrantInput } from '../../../src/model/grant.js';
import { createTestContext } from '../../../test/support/connector-context.js';
import type { BatchItem, BatchResult, GraphApi } from '../client.js';
import { appRoleAssignments } from '../collectors/app-role-assignments.js';
import { applicationCredentials } from '../collectors/application-credentials.js';
import { oauth2PermissionGrants } from '../collectors/oauth2-permission-grants.js';
import { owners } from '../collectors/owners.js';
import {
  type AppDirectory,
  servicePrincipalIdentity,
  servicePrincipals,
} from '../collectors/service-principals.js';
import { signInActivity } from '../collectors/sign-in-activity.js';
import { endpointsOf, Microsoft365Config } from '../config.js';
import connector from '../index.js';
import { firstPartyTenants } from '../records.js';
import { DirectoryObject, GraphErrorBody, page, type ServicePrincipal } from '../schema.js';
import type { Session } from '../session.js';

/**
 * Contract tests: the example responses of Microsoft's Graph reference pages
 * (graph-reference-examples.json, each with its page and section) go through the connector's zod
 * schemas, collectors' fetch and record builders, as they would from a real tenant. The Graph client
 * is replaced by one that answers each call with the example for its path; parsing is the
 * connector's own.
 */
interface Example {
  source: string;
  section: string;
  note?: string;
  body: Record<string, unknown>;
}
const examples = JSON.parse(
  readFileSync(new URL('./graph-reference-examples.json', import.meta.url), 'utf8'),
) as Record<string, Example>;
const body = (name: string) => structuredClone(examples[name]!.body);

const TENANT = '84841066-274d-4ec0-a5c1-276be684bdd3';

/** Answers `list`/`batch` from the examples, parsing with the schemas the collectors pass. */
function exampleGraph(answer: (path: string) => unknown): GraphApi {
  return {
    async *list<T>(path: string, schema: z.ZodType<T>) {
      yield page(schema).parse(answer(path)).value as T[];
    },
    async batch<T>(items: BatchItem<T>[]) {
      const out = new Map<string, BatchResult<T>>();
      for (const item of items) {
        const b = answer(item.url);
        if (b === undefined) out.set(item.key, { status: 404 });
        else
          out.set(item.key, {
            status: 200,
            value: item.collection ? (page(item.schema).parse(b).value as T[]) : [item.schema.parse(b)],
          });
      }
      return out;
    },
    /** A parent the examples do not answer for is gone. */
    async gone(parents: ReadonlyArray<{ key: string; url: string }>) {
      return new Set(parents.filter((p) => answer(p.url) === undefined).map((p) => p.key));
    },
    async count() {
      return 0;
    },
  } as unknown as GraphApi;
}

async function scanContext(answer: (path: string) => unknown): Promise<Session & { ctx: ConnectorContext }> {
  const config = Microsoft365Config.parse({
    tenantId: TENANT,
    clientId: '5b1d0a3c-1111-4222-8333-444455556666',
    clientSecretEnv: 'UNUSED',
  });
  const ctx = await createTestContext({ connector, tenant: TENANT });
  return {
    config,
    endpoints: endpointsOf(config),
    ctx,
    graph: exampleGraph(answer),
    tenant: { id: TENANT, name: 'Contoso' },
    microsoft: firstPartyTenants([]),
    ownedByOnly: null,
  };
}

/** The service-principals collector's data, with an empty application list. */
const directory = (servicePrincipals: ServicePrincipal[]): AppDirectory => ({
  servicePrincipals,
  applications: Promise.resolve({ applications: [] }),
  earlyOwners: null,
});

/** What the runner gives a collector, with the fetched data of the collectors it reads. */
function runOf(
  name: string,
  s: { ctx: ConnectorContext },
  inputs: Record<string, unknown> = {},
): CollectorRun {
  const data = (ref: string | { name: string }) => inputs[typeof ref === 'string' ? ref : ref.name];
  return {
    name,
    ctx: s.ctx,
    input: <T>(ref: string | { name: string }) => data(ref) as T,
    optional: <T>(ref: string | { name: string }) => (data(ref) ?? null) as T | null,
    status: (collector) => s.ctx.coverage.status(collector),
  };
}

describe('microsoft365 contract: Graph reference examples through the schemas and record builders', () => {
  it('names its sources', () => {
    for (const [name, e] of Object.entries(examples)) {
      if (name.startsWith('_')) continue;
      expect(e.source, name).toMatch(/^https:\/\/learn\.microsoft\.com\/graph\//);
      expect(e.section, name).not.toBe('');
    }
  });

  let sps: ServicePrincipal[];
  beforeAll(async () => {
    const s = await scanContext(() => body('servicePrincipals'));
    sps = (await servicePrincipals.fetch(s, runOf(servicePrincipals.name, s))).servicePrincipals;
  });

  it('servicePrincipal list → a third-party service-principal identity', async () => {
    const s = await scanContext(() => undefined);
    expect(sps).toHaveLength(1);
    const from = { tenant: s.tenant, microsoft: s.microsoft, portalUrl: s.endpoints.portalUrl };
    const identity = servicePrincipalIdentity(sps[0]!, from, { owners: [], lastUsed: null });
    expect(identity).toMatchObject({
      kind: 'service-principal',
      nativeId: '59e617e5-e447-4adc-8b88-00af644d7c92',
      displayName: 'foo',
      origin: 'third-party',
      enabled: true,
      // The example has no verifiedPublisher nor createdDateTime: unverified, creation unknown.
      publisher: { name: null, id: '1bc1c026-2f7b-48a5-98da-afa2fd8bc7bc', verified: false },
      createdAt: null,
      attributes: { appId: '65415bb1-9267-4313-bbf5-ae259732ee12', tags: [], exposedAppRoles: 0 },
    });
  });

  it('appRoleAssignedTo → no application grant for a user’s default-access assignment', async () => {
    const resource = {
      ...sps[0]!,
      id: '8e881353-1735-45af-af21-ee1344582a4d',
      appRoles: [
        { id: 'x', value: 'Role', displayName: null, allowedMemberTypes: ['Application'], isEnabled: true },
      ],
    };
    const s = await scanContext((p) =>
      p.includes('/appRoleAssignedTo') ? body('appRoleAssignedTo') : undefined,
    );
    const run = runOf(appRoleAssignments.name, s, { 'service-principals': directory([resource]) });
    const grants = [...appRoleAssignments.transform!(await appRoleAssignments.fetch(s, run), s, run)];
    // principalType User: an assignment to a person, not an application permission.
    expect(grants).toEqual([]);
  });

  it('oauth2PermissionGrants → one tenant-wide delegated grant per scope, unrated when unresolved', async () => {
    const s = await scanContext((p) =>
      p.startsWith('/oauth2PermissionGrants') ? body('oauth2PermissionGrants') : undefined,
    );
    // The client is a known service principal; no resource is (no app roles, no scopes to resolve by).
    const client = { ...sps[0]!, id: '263a5b01-03e5-408e-8557-bab681df104c', appRoles: [] };
    const run = runOf(oauth2PermissionGrants.name, s, { 'service-principals': directory([client]) });
    const grants = [
      ...oauth2PermissionGrants.transform!(await oauth2PermissionGrants.fetch(s, run), s, run),
    ] as GrantInput[];
    const scopes = (body('oauth2PermissionGrants').value as Array<{ scope: string }>).flatMap((g) =>
      g.scope.split(' '),
    );
    expect(grants).toHaveLength(scopes.length);
    expect(grants.map((g) => g.permission.name)).toEqual(scopes);
    for (const g of grants) {
      expect(g).toMatchObject({
        identity: { kind: 'service-principal', nativeId: '263a5b01-03e5-408e-8557-bab681df104c' },
        permission: { nativeLevel: 'delegated' },
        target: { breadth: 'tenant', type: 'users', id: TENANT },
        grantedVia: 'admin-consent',
        principal: null,
        // The resource service principals are not in the examples: never rated by name alone.
        risk: { tier: 'unknown' },
        attributes: { permissionResolved: false },
      });
    }
  });

  it('owners → an owner of unknown kind and activity, so ownership is unknown, not "none"', async () => {
    const s = await scanContext((p) => (p.includes('/owners') ? body('owners') : undefined));
    const run = runOf(owners.name, s, { 'service-principals': directory(sps) });
    const byServicePrincipal = await owners.fetch(s, run);
    const refs = byServicePrincipal.get('59e617e5-e447-4adc-8b88-00af644d7c92')!;
    expect(refs).toEqual([{ id: 'id-value', name: null, type: 'unknown', active: null }]);
    const from = { tenant: s.tenant, microsoft: s.microsoft, portalUrl: s.endpoints.portalUrl };
    expect(servicePrincipalIdentity(sps[0]!, from, { owners: refs, lastUsed: null }).ownersKnown).toBe(false);
  });

  it('a directoryObject collection with limited members parses, each member’s kind kept', () => {
    const members = page(DirectoryObject).parse(body('ownersLimitedInformation')).value;
    expect(members.map((m) => [m['@odata.type'], m.displayName, m.accountEnabled])).toEqual([
      ['#microsoft.graph.user', 'Adele Vance', null],
      ['#microsoft.graph.group', 'All Company', null],
      ['#microsoft.graph.device', null, null],
    ]);
  });

  it('applications with a password and a certificate → credential records without secret material', async () => {
    const apps = body('applications');
    const app = (apps.value as Array<Record<string, unknown>>)[0]!;
    // An application needs an id (the example omits it) to carry credentials in a real list.
    Object.assign(app, {
      id: 'c8d45694-1362-400b-ba25-df0161ffd014',
      passwordCredentials: [body('passwordCredential')],
      keyCredentials: [body('keyCredential')],
    });
    const s = await scanContext((p) => (p.startsWith('/applications') ? apps : body('servicePrincipals')));
    // The list is read with the service principals (see AppDirectory).
    const read = await servicePrincipals.fetch(s, runOf(servicePrincipals.name, s));
    const sp = { ...sps[0]!, appId: '00000000-0000-0000-0000-000000000000' };
    const run = runOf(applicationCredentials.name, s, {
      'service-principals': { servicePrincipals: [sp], applications: read.applications },
    });
    const parsed = await applicationCredentials.fetch(s, run);
    const creds = [...applicationCredentials.transform!(parsed, s, run)] as CredentialInput[];
    expect(creds.map((c) => [c.credentialType, c.nativeId, c.displayName, c.createdAt, c.expiresAt])).toEqual(
      [
        [
          'client-secret',
          'f0b0b335-1d71-4883-8f98-567911bfdca6',
          'Password friendly name',
          '2019-09-09T19:50:29.308Z',
          '2021-09-09T19:50:29.308Z',
        ],
        [
          'certificate',
          '93bc223f-7235-4b9c-beea-d66847531c49',
          'CN=customDisplayName',
          '2021-05-05T18:38:51.810Z',
          '2024-01-25T00:00:00Z',
        ],
      ],
    );
    expect(creds[1]!.attributes).toMatchObject({
      keyType: 'AsymmetricX509Cert',
      usage: 'Verify',
      thumbprint: '2iD8ppbE+D6Kmu1ZvjM2jtQh88E=',
    });
    const everything = JSON.stringify(creds);
    for (const secret of [
      '[6gyXA5S20@MN+WRXAJ]I-TO7g1:h2P8',
      '"[6g"',
      'MIICuDCCAaCgAwIBAgII',
      'secretText',
      '"key"',
      '"hint"',
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('servicePrincipalSignInActivities (beta) → the latest readable sign-in per appId', async () => {
    const s = await scanContext(() => body('servicePrincipalSignInActivities'));
    const signIns = await signInActivity.fetch(s, runOf(signInActivity.name, s));
    // "2021-04-01T00:00:00-8:00" (as published) is no ISO 8601 offset; the readable latest is
    // lastSignInActivity's 2021-04-01T00:00:00Z.
    expect(Object.fromEntries(signIns!)).toEqual({
      '83f45296-fb8f-4aaa-a399-ac51084e02b7': '2021-04-01T00:00:00Z',
      'f4d9654f-0305-4072-878c-8bf266dfe146': '2021-04-01T00:00:00Z',
    });
  });

  it('a $batch response: answers by id, errors in Graph’s error body, pages in the page schema', async () => {
    const responses = new BatchResponseContent(body('batch') as never);
    const ok = responses.getResponseById('1')!;
    expect(ok.status).toBe(200);
    const first = page(DirectoryObject).parse(await ok.json());
    expect(first['@odata.nextLink']).toMatch(/^https:\/\/graph\.microsoft\.com\/beta\/me\/memberOf\?/);
    const denied = responses.getResponseById('3')!;
    expect(denied.status).toBe(403);
    expect(GraphErrorBody.parse(await denied.json()).error).toMatchObject({
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
    });
    // An empty code parses too (response 2).
    expect(GraphErrorBody.parse(await responses.getResponseById('2')!.json()).error?.code).toBe('');
  });
});
