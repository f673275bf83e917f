import { X509Certificate } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  checkEntity,
  filterOperators,
  type GraphVersion,
  propertiesOf,
} from '../../../test/conformance/microsoft365-graph-types.js';
import { exemptFromRequestConformance } from '../../../test/support/conformance.js';
import { createHttpPolicy } from '../../connector/http.js';
import { type RunningEmulator, startEmulator } from '../server.js';
import { loadWorld, resolveRelativeDates, type World } from '../world.js';
import { WorldError } from '../world-error.js';
import { ENTITY_PROPERTIES, ENTITY_TYPES } from './entity-properties.js';
import { microsoft365Emulator } from './index.js';
import { signJwt } from './jwt.js';
import type { Microsoft365Section } from './schema.js';

const NOW = new Date('2026-11-01T00:00:00Z');
const DEMO = 'fixtures/worlds/test/m365-demo.yaml';
const GRAPH_APP = '00000003-0000-0000-c000-000000000000';

/** A world section as written in YAML (before defaults). */
type Section = z.input<typeof Microsoft365Section> & Record<string, unknown>;
/** Graph and Entra bodies, read loosely by tests. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON response bodies
type Body = any;

/**
 * Requests this file sends on purpose although Graph refuses them, to assert the emulator refuses
 * them the same way; they carry this header and only they are exempt from the request check.
 */
const REFUSED = { 'x-grantscope-test': 'expect-refusal' } as const;
exemptFromRequestConformance(
  'emulator tests send requests Graph refuses, marked x-grantscope-test: expect-refusal',
  (r) => r.headers['x-grantscope-test'] === 'expect-refusal',
);

function demoWorld(edit?: (section: Section) => void): World {
  const w = loadWorld(DEMO);
  const copy = structuredClone(w);
  edit?.(copy.platforms.microsoft365 as Section);
  return copy;
}

describe('microsoft365 emulator', () => {
  let emu: RunningEmulator;
  let fetch: typeof globalThis.fetch;
  let tenant: string;
  let clientId: string;

  const token = async (form: Record<string, string>) => {
    const r = await fetch(`${emu.origin}/${tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: r.status, body: (await r.json()) as Body };
  };
  const secretToken = async () =>
    (
      await token({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: emu.clientSetup().files['microsoft365-client-secret.txt']!.trim(),
        scope: 'https://graph.microsoft.com/.default',
      })
    ).body.access_token as string;
  const graph = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const t = init.token ?? (await secretToken());
    const r = await fetch(path.startsWith('http') ? path : `${emu.origin}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
    const text = await r.text();
    return {
      status: r.status,
      headers: r.headers,
      body: (text.startsWith('{') ? JSON.parse(text) : text) as Body,
    };
  };

  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO, now: NOW });
    const dir = await mkdtemp('/tmp/gs-m365-emu-');
    await writeFile(`${dir}/ca.pem`, emu.caCert);
    fetch = createHttpPolicy({ caFile: `${dir}/ca.pem` }).fetch;
    const cfg = emu.clientSetup().config.microsoft365 as Record<string, string>;
    tenant = cfg.tenantId!;
    clientId = cfg.clientId!;
  });
  afterAll(() => emu.stop());

  describe('Entra login', () => {
    it('serves OpenID metadata whose issuer is on the emulator origin', async () => {
      // https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri:
      // issuer `https://login.microsoftonline.com/{tenant}/v2.0`, token_endpoint `…/{tenant}/oauth2/v2.0/token`.
      const r = await fetch(`${emu.origin}/${tenant}/v2.0/.well-known/openid-configuration`);
      const body = (await r.json()) as Record<string, string>;
      expect(body.issuer).toBe(`${emu.origin}/${tenant}/v2.0`);
      expect(body.token_endpoint).toBe(`${emu.origin}/${tenant}/oauth2/v2.0/token`);
    });

    it('rejects a wrong secret with AAD’s invalid_client error shape', async () => {
      // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#error-response
      // (error, error_description, error_codes, timestamp, trace_id, correlation_id) and
      // reference-error-codes: AADSTS7000215 "Invalid client secret is provided."
      const r = await token({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: 'not-the-secret',
        scope: 'https://graph.microsoft.com/.default',
      });
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
      expect(r.body.error_codes).toEqual([7000215]);
      expect(r.body.error_description).toMatch(/^AADSTS7000215: /);
      expect(r.body).toHaveProperty('trace_id');
      expect(r.body).toHaveProperty('correlation_id');
    });

    it('accepts an RS256 assertion by x5t and rejects one signed by another key', async () => {
      // https://learn.microsoft.com/entra/identity-platform/certificate-credentials: header `x5t`
      // (base64url SHA-1 thumbprint), claims aud = token endpoint, iss = sub = client id, exp, nbf;
      // reference-error-codes: AADSTS700027 "Client assertion failed signature validation."
      const pem = emu.clientSetup().files['microsoft365-client-cert.pem']!;
      const x509 = new X509Certificate(pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----')));
      const key = pem.slice(0, pem.indexOf('-----BEGIN CERTIFICATE-----'));
      const x5t = Buffer.from(x509.fingerprint.replace(/:/g, ''), 'hex').toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        aud: `${emu.origin}/${tenant}/oauth2/v2.0/token`,
        iss: clientId,
        sub: clientId,
        exp: now + 600,
        nbf: now,
        jti: 'x',
      };
      const form = (assertion: string) => ({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
        scope: 'https://graph.microsoft.com/.default',
      });
      const ok = await token(form(signJwt({ x5t }, claims, key)));
      expect(ok.status).toBe(200);
      expect(ok.body.token_type).toBe('Bearer');
      const other = (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 2048 });
      const forged = signJwt(
        { x5t },
        claims,
        other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      );
      const bad = await token(form(forged));
      expect(bad.status).toBe(401);
      expect(bad.body.error).toBe('invalid_client');
      expect(bad.body.error_codes).toEqual([700027]);
      const wrongAud = await token(
        form(signJwt({ x5t }, { ...claims, aud: 'https://elsewhere/token' }, key)),
      );
      expect(wrongAud.status).toBe(401);
    });

    it('answers an unknown tenant with AADSTS90002', async () => {
      // https://learn.microsoft.com/entra/identity-platform/reference-error-codes: AADSTS90002
      // InvalidTenantName, "The tenant name wasn't found in the data store."
      const r = await fetch(
        `${emu.origin}/00000000-1111-4111-8111-000000000000/v2.0/.well-known/openid-configuration`,
      );
      expect(r.status).toBe(400);
      const body = (await r.json()) as Record<string, unknown>;
      expect(body.error_codes).toEqual([90002]);
      // The metadata says invalid_tenant, the token endpoint invalid_request (see login.ts).
      expect(body.error).toBe('invalid_tenant');
      expect(body.error_description).toMatch(
        /^AADSTS90002: Tenant '00000000-1111-4111-8111-000000000000' not found\. Check to make sure you have the correct tenant ID/,
      );
      const token = await fetch(`${emu.origin}/00000000-1111-4111-8111-000000000000/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=0b1c6a96-b1f5-4ab2-8f4a-a46764e29b77&client_secret=x&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default',
      });
      expect(token.status).toBe(400);
      expect(((await token.json()) as Record<string, unknown>).error).toBe('invalid_request');
    });
  });

  describe('Graph', () => {
    it('needs a token from the emulator on every call', async () => {
      // Every reference page: "Authorization | Bearer {token}. Required."; a missing or invalid
      // token is 401 InvalidAuthenticationToken (https://learn.microsoft.com/graph/errors).
      const none = await graph('/v1.0/servicePrincipals', { token: '', headers: REFUSED });
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('InvalidAuthenticationToken');
      const forged = signJwt(
        {},
        { aud: 'https://graph.microsoft.com', tid: tenant, appid: clientId, exp: 9e9 },
        (await import('node:crypto'))
          .generateKeyPairSync('rsa', { modulusLength: 2048 })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
      );
      expect((await graph('/v1.0/servicePrincipals', { token: forged, headers: REFUSED })).status).toBe(401);
    });

    it('pages with absolute nextLinks on its own origin that keep the other query options', async () => {
      // https://learn.microsoft.com/graph/paging: "The URL also contains all the other query
      // parameters present in the original request"; follow @odata.nextLink until it is absent.
      const first = await graph('/v1.0/servicePrincipals?$select=id,displayName&$top=10');
      expect(first.status).toBe(200);
      expect(first.body.value).toHaveLength(10);
      expect(Object.keys(first.body.value[0]).sort()).toEqual(['displayName', 'id']);
      const next = first.body['@odata.nextLink'] as string;
      expect(next.startsWith(`${emu.origin}/v1.0/servicePrincipals?`)).toBe(true);
      expect(next).toContain('$select=id%2CdisplayName');
      const all = [...first.body.value];
      let link: string | undefined = next;
      while (link) {
        const page = await graph(link);
        all.push(...page.body.value);
        link = page.body['@odata.nextLink'];
      }
      expect(all).toHaveLength(26);
      expect(new Set(all.map((s) => s.id)).size).toBe(26);
    });

    it('refuses $top above 999 on every directory collection it serves, with Graph’s error body', async () => {
      // serviceprincipal-list, application-list, user-list: "The default and maximum page sizes are
      // 100 and 999"; the relationships are directory objects of the same store.
      const sp = (await graph('/v1.0/servicePrincipals?$select=id&$top=1')).body.value[0].id;
      const app = (await graph('/v1.0/applications?$select=id&$top=1')).body.value[0].id;
      for (const path of [
        '/v1.0/servicePrincipals',
        '/beta/servicePrincipals',
        '/v1.0/applications',
        '/v1.0/users',
        '/v1.0/oauth2PermissionGrants',
        `/v1.0/servicePrincipals/${sp}/owners`,
        `/v1.0/servicePrincipals/${sp}/appRoleAssignedTo`,
        `/v1.0/servicePrincipals/${sp}/appRoleAssignments`,
        `/v1.0/applications/${app}/owners`,
      ]) {
        const ok = await graph(`${path}?$top=999`);
        expect(ok.status, path).toBe(200);
        for (const top of ['1000', '0', 'x']) {
          const r = await graph(`${path}?$top=${top}`, { headers: REFUSED });
          expect(r.status, `${path} $top=${top}`).toBe(400);
          expect(r.body.error).toMatchObject({
            code: 'Request_BadRequest',
            innerError: { date: expect.any(String), 'request-id': expect.any(String) },
          });
        }
      }
    });

    it('refuses $select of a property the type does not declare (names from microsoft-graph-types)', async () => {
      const bad = await graph('/v1.0/servicePrincipals?$select=id,noSuchProperty', { headers: REFUSED });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toBe(
        "Could not find a property named 'noSuchProperty' on type 'microsoft.graph.servicePrincipal'.",
      );
      // publisherName is declared by the beta type only.
      expect((await graph('/beta/servicePrincipals?$select=publisherName')).status).toBe(200);
      expect(
        (await graph('/v1.0/servicePrincipals?$select=publisherName', { headers: REFUSED })).status,
      ).toBe(400);
      // Declared but unserved by the emulator (info): accepted, as Graph accepts it.
      expect((await graph('/v1.0/servicePrincipals?$select=id,info')).status).toBe(200);
      // createdDateTime: returned by the service though undeclared (msgraph-sdk-java#2246).
      expect((await graph('/v1.0/servicePrincipals?$select=id,createdDateTime')).status).toBe(200);
      // Owners are users or service principals: either's properties may be selected.
      const zoom = (await graph("/v1.0/servicePrincipals?$filter=displayName eq 'Zoom'&$select=id")).body
        .value[0];
      expect(
        (await graph(`/v1.0/servicePrincipals/${zoom.id}/owners?$select=id,userPrincipalName,appId`)).status,
      ).toBe(200);
      expect(
        (await graph(`/v1.0/servicePrincipals/${zoom.id}/owners?$select=nope`, { headers: REFUSED })).status,
      ).toBe(400);
    });

    it('filters with the operators each property’s description lists; ne, not and endsWith only in advanced queries', async () => {
      // microsoft-graph-types: servicePrincipal.displayName "Supports $filter (eq, ne, not, ge, le,
      // in, startsWith, and eq on null values)"; homepage lists none. aad-advanced-queries: "The
      // not and ne negation operators are supported only with advanced query parameters".
      const eq = await graph(
        `/v1.0/servicePrincipals?$filter=appId eq '${GRAPH_APP}'&$select=id,appId,appRoles`,
      );
      expect(eq.body.value).toHaveLength(1);
      expect(eq.body.value[0].appRoles.length).toBeGreaterThan(50);
      const inn = await graph(
        `/v1.0/servicePrincipals?$filter=displayName in ('Zoom','Slack','Nope')&$select=displayName`,
      );
      expect(inn.body.value.map((s: { displayName: string }) => s.displayName).sort()).toEqual([
        'Slack',
        'Zoom',
      ]);
      const starts = await graph(
        `/v1.0/servicePrincipals?$filter=startswith(displayName,'Z')&$select=displayName`,
      );
      expect(starts.status).toBe(200);
      expect(starts.body.value.map((s: { displayName: string }) => s.displayName)).toEqual(['Zoom']);
      const unsupported = await graph(`/v1.0/servicePrincipals?$filter=homepage eq 'x'`, {
        headers: REFUSED,
      });
      expect(unsupported.status).toBe(400);
      expect(unsupported.body.error).toMatchObject({
        code: 'Request_UnsupportedQuery',
        message:
          "Unsupported or invalid query filter clause specified for property 'homepage' of resource 'ServicePrincipal'.",
      });
      const ne = await graph(`/v1.0/servicePrincipals?$filter=displayName ne 'Zoom'`, { headers: REFUSED });
      expect(ne.status).toBe(400);
      expect(ne.body.error.message).toMatch(
        /^Operator 'ne' is not supported because the required parameters might be missing/,
      );
      const advanced = await graph(
        `/v1.0/servicePrincipals?$filter=displayName ne 'Zoom'&$count=true&$select=id`,
        {
          headers: { ConsistencyLevel: 'eventual' },
        },
      );
      expect(advanced.status).toBe(200);
      expect(advanced.body['@odata.count']).toBe(25);
      const ends = await graph(`/v1.0/users?$filter=endswith(mail,'@acme.example')`, { headers: REFUSED });
      expect(ends.status).toBe(400);
    });

    it('needs ConsistencyLevel: eventual for $count, $search and $filter with $orderby; ignores $count=true without it', async () => {
      // aad-advanced-queries, "Error handling for advanced queries on directory objects".
      const count = await graph('/v1.0/users/$count', { headers: REFUSED });
      expect(count.status).toBe(400);
      expect(count.body.error).toMatchObject({
        code: 'Request_BadRequest',
        message: '$count is not currently supported.',
      });
      const counted = await graph('/v1.0/users/$count', { headers: { ConsistencyLevel: 'eventual' } });
      expect(counted).toMatchObject({ status: 200, body: '8' });
      const search = await graph('/v1.0/applications?$search="displayName:acme"', { headers: REFUSED });
      expect(search.status).toBe(400);
      expect(search.body.error.message).toBe(
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
      );
      const searched = await graph('/v1.0/applications?$search="displayName:records"&$select=displayName', {
        headers: { ConsistencyLevel: 'eventual' },
      });
      expect(searched.body.value).toEqual([{ displayName: 'acme-records-api' }]);
      const silent = await graph('/v1.0/users?$count=true&$select=id');
      expect(silent.status).toBe(200);
      expect(silent.body).not.toHaveProperty('@odata.count');
      const sorted = await graph(
        "/v1.0/applications?$filter=startswith(displayName,'acme')&$orderby=displayName",
        {
          headers: REFUSED,
        },
      );
      expect(sorted.status).toBe(400);
      const sortedOk = await graph(
        "/v1.0/applications?$filter=startswith(displayName,'acme')&$orderby=displayName desc&$count=true&$select=displayName",
        { headers: { ConsistencyLevel: 'eventual' } },
      );
      expect(sortedOk.body.value.map((a: { displayName: string }) => a.displayName)).toEqual([
        'acme-reporting',
        'acme-records-api',
        'acme-hr-sync',
        'acme-ci-deployer',
      ]);
    });

    it('expands one level, at most 20 objects, never with advanced queries; refuses unsupported options', async () => {
      // https://learn.microsoft.com/graph/known-issues ($expand: one level, at most 20 objects);
      // aad-advanced-queries: "$expand is not currently supported with advanced queries";
      // user-list: "$skip isn't supported".
      const zoom = await graph(
        "/v1.0/servicePrincipals?$filter=displayName eq 'Zoom'&$expand=owners&$select=id,owners",
      );
      expect(zoom.body.value[0].owners).toEqual([
        expect.objectContaining({ '@odata.type': '#microsoft.graph.user' }),
      ]);
      for (const path of [
        '/v1.0/servicePrincipals?$expand=owners&$count=true',
        '/v1.0/servicePrincipals?$expand=owners($select=id)',
        '/v1.0/servicePrincipals?$expand=noSuchThing',
        '/v1.0/users?$skip=5',
        '/beta/reports/servicePrincipalSignInActivities?$select=appId',
      ]) {
        const r = await graph(path, { headers: { ...REFUSED, ConsistencyLevel: 'eventual' } });
        expect(r.status, path).toBe(400);
      }
    });

    it('does not know the beta-only sign-in report under v1.0', async () => {
      // @microsoft/microsoft-graph-types' ReportRoot (v1.0) has no servicePrincipalSignInActivities;
      // the beta one has (reportroot-list-serviceprincipalsigninactivities?view=graph-rest-beta).
      expect(propertiesOf('v1.0', 'reportRoot')?.has('servicePrincipalSignInActivities')).toBe(false);
      expect(propertiesOf('beta', 'reportRoot')?.has('servicePrincipalSignInActivities')).toBe(true);
      const r = await graph('/v1.0/reports/servicePrincipalSignInActivities', { headers: REFUSED });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toBe(
        "Resource not found for the segment 'servicePrincipalSignInActivities'.",
      );
      expect((await graph('/beta/reports/servicePrincipalSignInActivities')).status).toBe(200);
    });

    it('returns a user’s default properties unless $select names others', async () => {
      // user-get: "By default, only a limited set of properties are returned (businessPhones,
      // displayName, givenName, id, jobTitle, mail, mobilePhone, officeLocation, preferredLanguage,
      // surname, userPrincipalName)"; accountEnabled is "Returned only on $select" (types).
      const u = (await graph('/v1.0/users?$top=1')).body.value[0];
      expect(Object.keys(u).sort()).toEqual(
        [
          'businessPhones',
          'displayName',
          'givenName',
          'id',
          'jobTitle',
          'mail',
          'mobilePhone',
          'officeLocation',
          'preferredLanguage',
          'surname',
          'userPrincipalName',
        ].sort(),
      );
      const one = await graph(`/v1.0/users/${u.id}?$select=id,accountEnabled`);
      expect(
        Object.keys(one.body)
          .filter((k) => !k.startsWith('@'))
          .sort(),
      ).toEqual(['accountEnabled', 'id']);
    });

    it('serves only what Microsoft’s types describe: names and value types of every object, v1.0 and beta', async () => {
      // Each served object is checked against @microsoft/microsoft-graph-types(-beta): every property
      // declared by its type (or its @odata.type), each value of the declared type. The one
      // exception is servicePrincipal.createdDateTime, which the service returns though the types
      // lack it (msgraph-sdk-java#2246, acknowledged by Microsoft).
      const spExtra = { createdDateTime: 'NullableOption<string>' };
      const problems: string[] = [];
      const check = (v: GraphVersion, type: string, objs: Body[], where: string, extra = {}) => {
        expect(objs.length, where).toBeGreaterThan(0);
        for (const [i, o] of objs.entries())
          problems.push(...checkEntity(v, type, o, `${where}[${i}]`, extra));
      };
      for (const v of ['v1.0', 'beta'] as const) {
        const sps = (await graph(`/${v}/servicePrincipals?$top=999`)).body.value as Body[];
        check(v, 'servicePrincipal', sps, `${v} servicePrincipals`, spExtra);
        check(v, 'application', (await graph(`/${v}/applications`)).body.value, `${v} applications`);
        const users = (
          await graph(`/${v}/users?$select=id,displayName,userPrincipalName,accountEnabled,mail`)
        ).body.value;
        check(v, 'user', users, `${v} users`);
        check(v, 'user', (await graph(`/${v}/users`)).body.value, `${v} users (default)`);
        check(
          v,
          'oAuth2PermissionGrant',
          (await graph(`/${v}/oauth2PermissionGrants`)).body.value,
          `${v} grants`,
        );
        const graphSp = sps.find((s) => s.appId === GRAPH_APP)!;
        const assigned = (await graph(`/${v}/servicePrincipals/${graphSp.id}/appRoleAssignedTo`)).body
          .value as Body[];
        check(v, 'appRoleAssignment', assigned, `${v} appRoleAssignedTo`);
        check(
          v,
          'appRoleAssignment',
          (await graph(`/${v}/servicePrincipals/${assigned[0].principalId}/appRoleAssignments`)).body.value,
          `${v} appRoleAssignments`,
        );
        const zoom = sps.find((s) => s.displayName === 'Zoom')!;
        const owners = (await graph(`/${v}/servicePrincipals/${zoom.id}/owners`)).body.value as Body[];
        check(v, 'directoryObject', owners, `${v} owners`, spExtra);
        problems.push(
          ...checkEntity(
            v,
            'servicePrincipal',
            (await graph(`/${v}/servicePrincipals/${zoom.id}`)).body,
            `${v} sp`,
            spExtra,
          ),
        );
      }
      check(
        'beta',
        'servicePrincipalSignInActivity',
        (await graph('/beta/reports/servicePrincipalSignInActivities')).body.value,
        'beta sign-ins',
      );
      expect(problems).toEqual([]);
      // And the checker itself catches what the types forbid.
      expect(checkEntity('v1.0', 'servicePrincipal', { publisherName: 'x' }, 'sp')).toHaveLength(1);
      expect(checkEntity('v1.0', 'servicePrincipal', { appRoleAssignmentRequired: null }, 'sp')).toHaveLength(
        1,
      );
      expect(checkEntity('v1.0', 'servicePrincipal', { tags: 'x' }, 'sp')).toHaveLength(1);
    });

    it('keeps its table of properties and $filter operators equal to Microsoft’s types', () => {
      // entity-properties.ts is a copy of @microsoft/microsoft-graph-types(-beta) (the emulator cannot
      // read devDependencies at run time); any difference means the packages moved.
      for (const v of ['v1.0', 'beta'] as const) {
        for (const t of ENTITY_TYPES[v]) {
          const expected = Object.fromEntries(
            [...propertiesOf(v, t)!.keys()].sort().map((p) => [p, filterOperators(v, t, p).join(' ')]),
          );
          expect(ENTITY_PROPERTIES[v][t], `${v} ${t}`).toEqual(expected);
        }
      }
    });

    it('answers owners with @odata.type and id only (the rest null) unless the token reads users', async () => {
      // serviceprincipal-list-owners, "Important": without permission to read a type, "only the
      // @odata.type property for the object type and the id is returned, while other properties are
      // indicated as null"; permissions-overview: users need "at least the User.Read.All permission".
      const ownersWith = async (permissions: string[]) => {
        emu.setWorld(demoWorld((s) => (s.scanner.permissions = permissions)));
        try {
          const zoom = (await graph("/v1.0/servicePrincipals?$filter=displayName eq 'Zoom'&$select=id")).body
            .value[0];
          return (
            await graph(
              `/v1.0/servicePrincipals/${zoom.id}/owners?$select=id,displayName,userPrincipalName,accountEnabled`,
            )
          ).body.value;
        } finally {
          emu.setWorld(DEMO);
        }
      };
      const limited = await ownersWith(['Application.Read.All']);
      expect(limited).toEqual([
        {
          '@odata.type': '#microsoft.graph.user',
          id: expect.any(String),
          displayName: null,
          userPrincipalName: null,
          accountEnabled: null,
        },
      ]);
      for (const p of [['User.ReadBasic.All'], ['User.Read.All'], ['Directory.Read.All']]) {
        const owners = await ownersWith(['Application.Read.All', ...p]);
        expect(owners[0].accountEnabled === null, p[0]).toBe(p[0] === 'User.ReadBasic.All');
      }
    });

    it('batches up to 20 requests with urls relative to the version root, answering inner faults per request', async () => {
      // https://learn.microsoft.com/graph/json-batching: "url: Required. The relative resource URL
      // ... while the absolute URL is https://graph.microsoft.com/v1.0/users, this url is /users";
      // "JSON batch requests are currently limited to 20 individual requests".
      const sps = (await graph('/v1.0/servicePrincipals?$select=id&$top=20')).body.value as Array<{
        id: string;
      }>;
      const requests = sps.map((s, i) => ({
        id: String(i + 1),
        method: 'GET',
        // Both spellings of a relative url appear in the doc's example request.
        url: i % 2 ? `/servicePrincipals/${s.id}/owners` : `servicePrincipals/${s.id}/owners`,
      }));
      emu.faults.add({
        service: 'graph',
        path: '/v1.0/servicePrincipals/{id}/owners',
        skip: 3,
        times: 2,
        action: { kind: 'rate-limit', retryAfter: 7 },
      });
      const r = await graph('/v1.0/$batch', { method: 'POST', body: JSON.stringify({ requests }) });
      emu.faults.clear();
      expect(r.status).toBe(200);
      const responses = r.body.responses as Array<{
        id: string;
        status: number;
        headers: Record<string, string>;
      }>;
      expect(responses.map((x) => x.id).sort((a, b) => Number(a) - Number(b))).toEqual(
        requests.map((x) => x.id),
      );
      const throttled = responses.filter((x) => x.status === 429);
      expect(throttled.map((x) => x.id).sort()).toEqual(['4', '5']);
      expect(throttled[0]!.headers['Retry-After']).toBe('7');
      expect(responses.filter((x) => x.status === 200)).toHaveLength(18);
      const tooMany = await graph('/v1.0/$batch', {
        method: 'POST',
        headers: REFUSED,
        body: JSON.stringify({ requests: [...requests, { id: '21', method: 'GET', url: '/users' }] }),
      });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.code).toBe('BadRequest');
    });

    // Faults that must look like Graph's own answers (graph.ts graphRouteFaults cites each shape).
    it('expires a token mid-scan: 401 "Lifetime validation failed" for it everywhere, a new token works', async () => {
      const t = await secretToken();
      emu.faults.add({ path: '/v1.0/servicePrincipals', times: 1, action: { kind: 'token-expired' } });
      const first = await graph('/v1.0/servicePrincipals?$select=id', { token: t });
      emu.faults.clear();
      expect(first.status).toBe(401);
      expect(first.body.error).toMatchObject({
        code: 'InvalidAuthenticationToken',
        message: 'Lifetime validation failed, the token is expired.',
      });
      expect(first.headers.get('www-authenticate')).toMatch(/^Bearer realm="", authorization_uri=/);
      expect((await graph('/v1.0/applications?$select=id', { token: t })).status).toBe(401);
      const batch = await graph('/v1.0/$batch', {
        token: t,
        method: 'POST',
        body: JSON.stringify({ requests: [{ id: '1', method: 'GET', url: '/applications?$select=id' }] }),
      });
      expect(batch.status).toBe(401);
      expect((await graph('/v1.0/servicePrincipals?$select=id')).status).toBe(200);
    });

    it('withdraws one permission (403 Authorization_RequestDenied), in a batch step too', async () => {
      emu.faults.add({ path: '/v1.0/oauth2PermissionGrants', action: { kind: 'permission-denied' } });
      emu.faults.add({ path: '/v1.0/servicePrincipals/{id}/owners', action: { kind: 'permission-denied' } });
      const direct = await graph('/v1.0/oauth2PermissionGrants');
      const sp = (await graph('/v1.0/servicePrincipals?$select=id&$top=1')).body.value[0].id as string;
      const batch = await graph('/v1.0/$batch', {
        method: 'POST',
        body: JSON.stringify({
          requests: [
            { id: '1', method: 'GET', url: `/servicePrincipals/${sp}/owners` },
            { id: '2', method: 'GET', url: `/servicePrincipals/${sp}?$select=id` },
          ],
        }),
      });
      emu.faults.clear();
      expect(direct.status).toBe(403);
      expect(direct.body.error).toMatchObject({
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges to complete the operation.',
      });
      const byId = Object.fromEntries(
        (batch.body.responses as Array<{ id: string; status: number; body: Body }>).map((x) => [x.id, x]),
      );
      expect(byId['1']!.status).toBe(403);
      expect(byId['1']!.body.error.code).toBe('Authorization_RequestDenied');
      expect(byId['2']!.status).toBe(200);
    });

    it('404s one child list in a batch while its service principal is still listed', async () => {
      const sp = (await graph('/v1.0/servicePrincipals?$select=id&$top=1')).body.value[0].id as string;
      emu.faults.add({
        path: `/v1.0/servicePrincipals/${sp}/appRoleAssignedTo`,
        times: 1,
        action: { kind: 'not-found' },
      });
      const step = { id: '1', method: 'GET', url: `/servicePrincipals/${sp}/appRoleAssignedTo` };
      const batch = () =>
        graph('/v1.0/$batch', { method: 'POST', body: JSON.stringify({ requests: [step] }) });
      const first = (await batch()).body.responses[0];
      const second = (await batch()).body.responses[0];
      emu.faults.clear();
      expect(first.status).toBe(404);
      expect(first.body.error.code).toBe('Request_ResourceNotFound');
      expect(first.body.error.message).toContain(sp);
      expect(second.status).toBe(200);
      expect((await graph(`/v1.0/servicePrincipals/${sp}?$select=id`)).status).toBe(200);
    });

    it('loops @odata.nextLink back to the page just read', async () => {
      emu.faults.add({ path: '/v1.0/servicePrincipals', action: { kind: 'paging-loop' } });
      const first = await graph('/v1.0/servicePrincipals?$select=id&$top=5');
      const again = await graph(first.body['@odata.nextLink']);
      emu.faults.clear();
      expect(first.body['@odata.nextLink']).toBe(
        `${emu.origin}/v1.0/servicePrincipals?$select=${encodeURIComponent('id')}&$top=5`,
      );
      expect(again.body.value).toEqual(first.body.value);
      expect(again.body['@odata.nextLink']).toBe(first.body['@odata.nextLink']);
    });

    it('answers a versioned or absolute inner url with 400 "Resource not found for the segment"', async () => {
      // Graph resolves inner urls against the batch's own version root (json-batching, above;
      // msgraph-sdk-javascript#1178 and #1451, msgraph-sdk-python#1015).
      const sp = (await graph('/v1.0/servicePrincipals?$select=id&$top=1')).body.value[0].id as string;
      const r = await graph('/v1.0/$batch', {
        method: 'POST',
        headers: REFUSED,
        body: JSON.stringify({
          requests: [
            { id: '1', method: 'GET', url: `/v1.0/servicePrincipals/${sp}/owners` },
            { id: '2', method: 'GET', url: `/beta/servicePrincipals/${sp}` },
            { id: '3', method: 'GET', url: `${emu.origin}/v1.0/servicePrincipals/${sp}` },
            { id: '4', method: 'GET', url: `/servicePrincipals/${sp}?$select=id` },
          ],
        }),
      });
      expect(r.status).toBe(200);
      const byId = Object.fromEntries(
        (r.body.responses as Array<{ id: string; status: number; body: Body }>).map((x) => [x.id, x]),
      );
      expect(byId['1']).toMatchObject({
        status: 400,
        body: { error: { code: 'BadRequest', message: "Resource not found for the segment 'v1.0'." } },
      });
      expect(byId['1']!.body.error.innerError).toMatchObject({
        date: expect.any(String),
        'request-id': expect.any(String),
        'client-request-id': expect.any(String),
      });
      expect(byId['2']!.body.error.message).toBe("Resource not found for the segment 'beta'.");
      expect(byId['3']!.body.error.message).toBe("Resource not found for the segment 'https:'.");
      expect(byId['4']!.status).toBe(200);
    });

    it('refuses a malformed batch whole with 400: missing or duplicate ids, no method, body without Content-Type, bad dependsOn', async () => {
      // json-batching: id "Must be unique in the batch, otherwise, the batch request fails with a
      // 400 error code" (not case-sensitive); method and url required; "When a body is included
      // with the request, the headers object must contain a value for Content-Type"; dependsOn
      // "references the id of a different individual request".
      const batch = (requests: unknown[]) =>
        graph('/v1.0/$batch', { method: 'POST', headers: REFUSED, body: JSON.stringify({ requests }) });
      const cases: unknown[][] = [
        [{ method: 'GET', url: '/users' }],
        [
          { id: 'a', method: 'GET', url: '/users' },
          { id: 'A', method: 'GET', url: '/users' },
        ],
        [{ id: '1', url: '/users' }],
        [{ id: '1', method: 'GET' }],
        [{ id: '1', method: 'POST', url: '/users', body: {} }],
        [{ id: '1', method: 'GET', url: '/users', dependsOn: ['9'] }],
        [
          { id: '1', method: 'GET', url: '/users', dependsOn: ['2'] },
          { id: '2', method: 'GET', url: '/users', dependsOn: ['1'] },
        ],
        [],
      ];
      for (const c of cases) {
        const r = await batch(c);
        expect(r.status, JSON.stringify(c)).toBe(400);
        expect(r.body.error.code).toBe('BadRequest');
      }
      expect((await graph('/v1.0/$batch', { method: 'POST', headers: REFUSED, body: '{' })).status).toBe(400);
    });

    it('runs dependsOn in order and fails a step whose dependency failed with 424', async () => {
      // json-batching, "Sequencing requests with the dependsOn property": "If an individual request
      // fails, any request that depends on that request fails with status code 424 (Failed Dependency)."
      const r = await graph('/v1.0/$batch', {
        method: 'POST',
        body: JSON.stringify({
          requests: [
            { id: '2', method: 'GET', url: '/users?$top=1', dependsOn: ['1'] },
            { id: '1', method: 'GET', url: '/servicePrincipals/00000000-0000-4000-8000-000000000000' },
          ],
        }),
      });
      const byId = Object.fromEntries(
        (r.body.responses as Array<{ id: string; status: number }>).map((x) => [x.id, x.status]),
      );
      expect(byId).toEqual({ '1': 404, '2': 424 });
    });

    it('answers 403 Authorization_RequestDenied without a permission the page lists', async () => {
      // oauth2permissiongrant-list, Application: Directory.Read.All, DelegatedPermissionGrant.ReadWrite.All,
      // Directory.ReadWrite.All (no DelegatedPermissionGrant.Read.All); the 403 body as in
      // json-batching's example response ("Authorization_RequestDenied", "Insufficient privileges
      // to complete the operation.").
      emu.setWorld(
        demoWorld((s) => {
          s.scanner.permissions = [
            'Application.Read.All',
            'DelegatedPermissionGrant.Read.All',
            'User.ReadBasic.All',
          ];
        }),
      );
      try {
        expect((await graph('/v1.0/servicePrincipals?$top=1')).status).toBe(200);
        expect((await graph('/v1.0/users?$top=1', { headers: REFUSED })).status).toBe(403);
        const denied = await graph('/v1.0/oauth2PermissionGrants', { headers: REFUSED });
        expect(denied.status).toBe(403);
        expect(denied.body.error.code).toBe('Authorization_RequestDenied');
        expect(denied.body.error.innerError['request-id']).toEqual(expect.any(String));
      } finally {
        emu.setWorld(DEMO);
      }
    });

    it('gives Application.ReadWrite.OwnedBy only the objects the caller owns (none here)', async () => {
      // permissions-overview: "Application.ReadWrite.OwnedBy - Allows the app to manage only the
      // applications that it creates or owns"; serviceprincipal-list and application-list list it.
      emu.setWorld(demoWorld((s) => (s.scanner.permissions = ['Application.ReadWrite.OwnedBy'])));
      try {
        expect((await graph('/v1.0/servicePrincipals')).body.value).toEqual([]);
        expect((await graph('/v1.0/applications')).body.value).toEqual([]);
      } finally {
        emu.setWorld(DEMO);
      }
    });

    it('answers the sign-in report with a 403 when the tenant has no P1/P2', async () => {
      // reportroot-list-serviceprincipalsigninactivities (beta) needs "a Microsoft Entra ID P1 or P2
      // license" (concept-usage-insights-report); the service's code for it is
      // Authentication_RequestFromNonPremiumTenantOrB2CTenant (undocumented message, so not asserted).
      emu.setWorld(
        demoWorld((s) => {
          s.licences = { entraIdP1: false };
        }),
      );
      try {
        const r = await graph('/beta/reports/servicePrincipalSignInActivities', { headers: REFUSED });
        expect(r.status).toBe(403);
        expect(r.body.error.code).toBe('Authentication_RequestFromNonPremiumTenantOrB2CTenant');
      } finally {
        emu.setWorld(DEMO);
      }
    });
  });
});

/**
 * The world file is grantscope's own input format (what `grantscope emulator --world` reads), not a
 * Microsoft API: these tests check its error messages for world authors. They assert nothing about
 * how Graph answers, so no vendor source applies.
 */
describe('microsoft365 world validation', () => {
  const ctx = {
    now: NOW,
    origin: () => 'https://127.0.0.1:1',
    keys: { rsa: () => ({}) as never, secret: () => 's' },
  } as never;
  const load = (edit: (s: Section) => void) => {
    const w = demoWorld(edit);
    return () =>
      microsoft365Emulator.load(
        resolveRelativeDates(w.platforms.microsoft365, NOW),
        ctx,
        'demo.microsoft365.yaml',
      );
  };

  it('names the file and the key of a malformed value', () => {
    const run = load((s) => {
      s.servicePrincipals![2]!.appId = 'not-a-guid';
    });
    expect(run).toThrow(WorldError);
    expect(run).toThrow(
      /demo\.microsoft365\.yaml[\s\S]*microsoft365\.servicePrincipals\[2\]\.appId: must be a GUID/,
    );
  });

  it('rejects references to objects the world does not have', () => {
    const run = load((s) => {
      s.servicePrincipals![0]!.owners = ['0e0e0e0e-0000-4000-8000-000000000000'];
      s.appRoleAssignments![0]!.appRole = 'Mail.ReadEverything';
    });
    expect(run).toThrow(
      /servicePrincipals\[0\]\.owners\[0\]: owner 0e0e0e0e-0000-4000-8000-000000000000 is neither/,
    );
    expect(run).toThrow(
      /appRoleAssignments\[0\]\.appRole: Microsoft Graph has no app role 'Mail\.ReadEverything'/,
    );
  });

  it('rejects unknown keys', () => {
    expect(load((s) => (s.tennant = {}))).toThrow(/microsoft365: unknown key 'tennant'/);
  });
});

describe('microsoft365 generator', () => {
  const section = (n: number) => ({
    tenant: {
      id: '9a9a9a9a-1111-4222-8333-444455556666',
      displayName: 'Big Co',
      defaultDomain: 'big.example',
    },
    scanner: { appId: '8b8b8b8b-1111-4222-8333-444455556666' },
    generate: { seed: 7, servicePrincipals: n, users: 2000 },
  });
  const ctx = { now: NOW, origin: () => 'https://x', keys: {} } as never;

  it('computes objects from (seed, index), finds them by id, and agrees with itself', () => {
    // The two relationships are one set of assignments seen from both ends: appRoleAssignedTo lists
    // "appRoleAssignment that users, groups, or client service principals have been granted for the
    // given resource service principal" (serviceprincipal-list-approleassignedto), appRoleAssignments
    // the "App role assignment for another app or service, granted to this service principal"
    // (microsoft-graph-types ServicePrincipal.appRoleAssignments).
    const a = microsoft365Emulator.load(section(5000), ctx, 'gen').dir;
    const b = microsoft365Emulator.load(section(5000), ctx, 'gen').dir;
    expect(a.servicePrincipals.slots).toBe(5000);
    const sp = a.servicePrincipals.at(4321)!;
    expect(b.servicePrincipals.at(4321)).toEqual(sp);
    expect(a.servicePrincipals.get(sp.id)).toEqual(sp);
    expect(a.servicePrincipals.byAppId(sp.appId)).toEqual(sp);
    expect(a.servicePrincipals.get('00000000-0000-4000-8000-000000000000')).toBeUndefined();
    // appRoleAssignedTo (per resource) and appRoleAssignments (per client) describe the same grants.
    const graphSp = a.servicePrincipals.byAppId(GRAPH_APP)!;
    const byResource: string[] = [];
    const assigned = a.appRoleAssignedTo(graphSp.id);
    for (let i = 0; i < assigned.slots; i++) {
      const x = assigned.at(i);
      if (x) byResource.push(x.id);
    }
    const byClient: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const s = a.servicePrincipals.at(i)!;
      for (const x of a.appRoleAssignments(s.id)) if (x.resourceId === graphSp.id) byClient.push(x.id);
    }
    expect(byResource.length).toBeGreaterThan(1000);
    expect(byResource.sort()).toEqual(byClient.sort());
    // Internal APIs too: their holders list matches what those holders say they hold.
    const api = a.servicePrincipals.at(5 + 97 * 3)!;
    expect(api.appRoles.length).toBeGreaterThan(0);
    const holders = a.appRoleAssignedTo(api.id);
    const viaApi = Array.from({ length: holders.slots }, (_, i) => holders.at(i)).filter(
      (x) => x !== undefined,
    );
    expect(viaApi.length).toBeGreaterThan(0);
    for (const x of viaApi) expect(a.appRoleAssignments(x.principalId).map((y) => y.id)).toContain(x.id);
    const owners = a.ownersOfServicePrincipal(sp.id)!;
    for (const o of owners) expect(a.users.get(o.type === 'user' ? o.user.id : '')).toBeDefined();
  });

  it('refuses generate next to explicit objects', () => {
    expect(() =>
      microsoft365Emulator.load(
        {
          ...section(10),
          users: [{ id: '1a1a1a1a-1111-4222-8333-444455556666', displayName: 'A', userPrincipalName: 'a@b' }],
        },
        ctx,
        'gen',
      ),
    ).toThrow(/generate: cannot be combined with explicit users/);
  });

  it('serves a 50,000-principal tenant through paging', async () => {
    // https://learn.microsoft.com/graph/paging: follow @odata.nextLink until absent; pages of at
    // most 999 (serviceprincipal-list: "The default and maximum page sizes are 100 and 999").
    const emu = await startEmulator({
      world: {
        name: 'gen',
        description: null,
        now: NOW,
        faults: [],
        files: [],
        platforms: { microsoft365: section(50_000) },
      },
    });
    try {
      const dir = await mkdtemp('/tmp/gs-m365-gen-');
      await writeFile(`${dir}/ca.pem`, emu.caCert);
      const f = createHttpPolicy({ caFile: `${dir}/ca.pem` }).fetch;
      const tok = (await (
        await f(`${emu.origin}/${section(1).tenant.id}/oauth2/v2.0/token`, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: section(1).scanner.appId,
            client_secret: emu.clientSetup().files['microsoft365-client-secret.txt']!.trim(),
            scope: 'https://graph.microsoft.com/.default',
          }),
        })
      ).json()) as { access_token: string };
      let link: string | undefined = `${emu.origin}/v1.0/servicePrincipals?$select=id&$top=999`;
      let n = 0;
      let pages = 0;
      while (link) {
        const r = await f(link, { headers: { authorization: `Bearer ${tok.access_token}` } });
        const body = (await r.json()) as { value: unknown[]; '@odata.nextLink'?: string };
        n += body.value.length;
        pages += 1;
        link = body['@odata.nextLink'];
      }
      expect(n).toBe(50_000);
      expect(pages).toBe(Math.ceil(50_000 / 999));
    } finally {
      await emu.stop();
    }
  });
});
