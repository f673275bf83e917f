import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exemptFromRequestConformance } from '../../../test/support/conformance.js';
import { createHttpPolicy } from '../../connector/http.js';
import { type RunningEmulator, startEmulator } from '../server.js';
import { loadWorld, resolveRelativeDates } from '../world.js';
import { WorldError } from '../world-error.js';
import { DAY_MS } from './data.js';
import { DISCOVERY, METHOD_FACTS, STANDARD_PARAMS } from './discovery-facts.js';
import { loadGeneratedClient } from './generated-client.js';
import { googleWorkspaceEmulator } from './index.js';
import { applyFields, parseFields } from './partial-response.js';
import { checkValue, loadSchemas } from './schema-check.js';

/**
 * The Google emulator against Google's own descriptions. Every expectation names its source: the
 * discovery documents (as the generated @googleapis clients carry them, plus the facts in
 * discovery-facts.ts), Google's reference and guide pages, google/api/error_reason.proto, or a real
 * response quoted in a public issue. Requests this file sends on purpose to be refused carry the
 * `x-expect-refusal` header; only those, and only when refused, are exempt from the request check.
 */
exemptFromRequestConformance(
  'deliberately invalid requests, to assert the emulator refuses them as Google does',
  (r) => r.headers['x-expect-refusal'] === 'yes' && r.status >= 400,
);

const DEMO = 'fixtures/worlds/test/google-workspace.yaml';
const SCOPE = 'https://www.googleapis.com/auth/';
const ADMIN = 'it-admin@acme.example';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
// SA_DOC below: https://developers.google.com/identity/protocols/oauth2/service-account
// ("Preparing to make an authorized API call", "Addressing JWT access token errors").

const directory = loadSchemas('@googleapis/admin/build/directory_v1.d.ts');
const reports = loadSchemas('@googleapis/admin/build/reports_v1.d.ts');
const iam = loadSchemas('@googleapis/iam/build/v1.d.ts');
const crm = loadSchemas('@googleapis/cloudresourcemanager/build/v3.d.ts');

interface SaKey {
  client_email: string;
  private_key: string;
}

function assertion(key: { email: string; pem: string }, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({
    iss: key.email,
    aud: GOOGLE_TOKEN_URL,
    iat: now,
    exp: now + 3600,
    ...claims,
  })}`;
  return `${body}.${sign('RSA-SHA256', Buffer.from(body), key.pem).toString('base64url')}`;
}

/**
 * The JSON error envelope every API here uses (https://google.aip.dev/193 "HTTP/1.1+JSON representation":
 * `{"error": {"code", "message", "status", "details"}}`; Admin SDK adds the legacy `errors` array of
 * `{message, domain, reason, location?, locationType?}`). `code` is the HTTP status; `status` the
 * google.rpc.Code name for it; every detail names its type.
 */
function expectGoogleErrorEnvelope(status: number, body: Record<string, unknown>, legacy: boolean): void {
  expect(Object.keys(body)).toEqual(['error']);
  const error = body.error as Record<string, unknown>;
  for (const k of Object.keys(error)) expect(['code', 'message', 'errors', 'status', 'details']).toContain(k);
  expect(error.code).toBe(status);
  expect(typeof error.message).toBe('string');
  const rpc: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
  };
  expect(error.status).toBe(rpc[status]);
  if (legacy) {
    for (const e of error.errors as Array<Record<string, unknown>>) {
      for (const k of Object.keys(e))
        expect(['message', 'domain', 'reason', 'location', 'locationType']).toContain(k);
    }
  } else {
    expect(error.errors).toBeUndefined();
  }
  for (const d of (error.details as Array<Record<string, unknown>> | undefined) ?? []) {
    expect(d['@type']).toMatch(/^type\.googleapis\.com\/google\.rpc\./);
  }
}

describe('Google Workspace emulator', () => {
  let emu: RunningEmulator;
  let fetch: typeof globalThis.fetch;
  let key: SaKey;
  const pem = () => ({ email: key.client_email, pem: key.private_key });

  const tokenRequest = (jwt: string, grantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer') =>
    fetch(`${emu.origin}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(grantType.endsWith('jwt-bearer') && jwt.split('.').length === 3
          ? {}
          : { 'x-expect-refusal': 'yes' }),
      },
      body: new URLSearchParams({ grant_type: grantType, assertion: jwt }).toString(),
    });
  const token = async (scopes: string[], sub?: string) => {
    const r = await tokenRequest(assertion(pem(), { scope: scopes.join(' '), ...(sub ? { sub } : {}) }));
    expect(r.status).toBe(200);
    return ((await r.json()) as { access_token: string }).access_token;
  };
  const call = async (
    path: string,
    accessToken: string | undefined,
    { method = 'GET', body, refused = false }: { method?: string; body?: unknown; refused?: boolean } = {},
  ) => {
    const r = await fetch(`${emu.origin}${path}`, {
      method,
      headers: {
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(refused ? { 'x-expect-refusal': 'yes' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO });
    key = JSON.parse(emu.clientSetup().files['google-workspace-sa.json']!) as SaKey;
    const dir = await mkdtemp('/tmp/gs-gw-emu-');
    await writeFile(`${dir}/ca.pem`, emu.caCert);
    fetch = createHttpPolicy({ caFile: `${dir}/ca.pem` }).fetch;
  });
  afterAll(() => emu.stop());

  describe('token endpoint (JWT-bearer grant)', () => {
    it('issues a Bearer access token for a well-formed grant, with and without sub', async () => {
      // SA_DOC "Handling the response": { access_token, token_type: "Bearer", expires_in } — a token
      // valid for at most the hour the assertion may span.
      for (const claims of [
        { scope: `${SCOPE}admin.directory.user.readonly`, sub: ADMIN },
        { scope: `${SCOPE}cloud-platform` },
      ]) {
        const r = await tokenRequest(assertion(pem(), claims));
        expect(r.status).toBe(200);
        const body = (await r.json()) as Record<string, unknown>;
        expect(body.token_type).toBe('Bearer');
        expect(body.expires_in).toBeGreaterThan(0);
        expect(body.expires_in).toBeLessThanOrEqual(3600);
        expect(typeof body.access_token).toBe('string');
      }
    });

    it('refuses each malformed grant with the error and description Google documents', async () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      const now = Math.floor(Date.now() / 1000);
      const shortLived =
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';
      const send = (claims: Record<string, unknown>, k = pem()) =>
        fetch(`${emu.origin}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-expect-refusal': 'yes' },
          body: new URLSearchParams({
            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
            assertion: assertion(k, claims),
          }).toString(),
        });
      const cases: Array<[string, Promise<Response>, number, string, string | null]> = [
        // SA_DOC error table: invalid_grant "Invalid JWT Signature."
        [
          'signed with another key',
          send({ scope: 'x' }, { email: key.client_email, pem: other }),
          400,
          'invalid_grant',
          'Invalid JWT Signature.',
        ],
        // SA_DOC: exp at most one hour after iat; the error table's short-lived-token description.
        ['expired', send({ scope: 'x', iat: 1000, exp: 4600 }), 400, 'invalid_grant', shortLived],
        ['lifetime over an hour', send({ scope: 'x', exp: now + 7200 }), 400, 'invalid_grant', shortLived],
        // SA_DOC: aud "is always https://oauth2.googleapis.com/token" (no wording documented for this one).
        [
          'wrong audience',
          send({ scope: 'x', aud: 'https://example.com/token' }),
          400,
          'invalid_grant',
          null,
        ],
        // SA_DOC error table: invalid_scope "Empty or missing scope not allowed."
        ['no scope', send({}), 400, 'invalid_scope', 'Empty or missing scope not allowed.'],
        // GAM-team/GAM src/gam/gapi/errors.py OAUTH2_TOKEN_ERRORS: "invalid_grant: Invalid email or User ID".
        [
          'unknown subject',
          send({ scope: `${SCOPE}admin.directory.user.readonly`, sub: 'nobody@acme.example' }),
          400,
          'invalid_grant',
          'Invalid email or User ID',
        ],
        // Same list: "invalid_grant: Not a valid email" (sub must be an email, SA_DOC "sub").
        [
          'subject not an email',
          send({ scope: `${SCOPE}admin.directory.user.readonly`, sub: 'it-admin' }),
          400,
          'invalid_grant',
          'Not a valid email.',
        ],
        // Same list: the delegation refusal when a scope is not authorised for the client id.
        [
          'scope not delegated',
          send({ scope: `${SCOPE}gmail.readonly`, sub: ADMIN }),
          401,
          'unauthorized_client',
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
        ],
      ];
      for (const [what, pending, status, error, description] of cases) {
        const res = await pending;
        const body = (await res.json()) as { error: string; error_description: string };
        expect({
          what,
          status: res.status,
          error: body.error,
          description: description === null ? null : body.error_description,
        }).toEqual({ what, status, error, description });
      }
      // RFC 6749 §5.2 (which Google's endpoint follows): an unknown grant type is unsupported_grant_type.
      const grant = await tokenRequest('x', 'client_credentials');
      expect(grant.status).toBe(400);
      expect(((await grant.json()) as { error: string }).error).toBe('unsupported_grant_type');
    });
  });

  describe('access checks on API calls', () => {
    it('401 without a token, 403 for a missing scope, 403 for a subject without admin rights', async () => {
      // google/api/error_reason.proto: CREDENTIALS_MISSING for a request without credentials.
      const none = await call('/admin/directory/v1/users?customer=my_customer', undefined, { refused: true });
      expect(none.status).toBe(401);
      expectGoogleErrorEnvelope(401, none.body, true);
      expect(none.body).toMatchObject({ error: { details: [{ reason: 'CREDENTIALS_MISSING' }] } });

      // users.list accepts admin.directory.user(.readonly) or cloud-platform (discovery `scopes`);
      // error_reason.proto: ACCESS_TOKEN_SCOPE_INSUFFICIENT.
      const audit = await token([`${SCOPE}admin.reports.audit.readonly`], ADMIN);
      const wrongScope = await call('/admin/directory/v1/users?customer=my_customer', audit, {
        refused: true,
      });
      expect(wrongScope.status).toBe(403);
      expectGoogleErrorEnvelope(403, wrongScope.body, true);
      expect(wrongScope.body).toMatchObject({
        error: {
          message: 'Request had insufficient authentication scopes.',
          details: [
            { reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', metadata: { service: 'admin.googleapis.com' } },
          ],
        },
      });
      // tokens.list lists admin.directory.user.security only (discovery `scopes`).
      const ro = await token([`${SCOPE}admin.directory.user.readonly`], ADMIN);
      expect(
        (await call('/admin/directory/v1/users/ben.okafor%40acme.example/tokens', ro, { refused: true }))
          .status,
      ).toBe(403);
      const sec = await token([`${SCOPE}admin.directory.user.security`], ADMIN);
      expect((await call('/admin/directory/v1/users/ben.okafor%40acme.example/tokens', sec)).status).toBe(
        200,
      );

      // A delegated subject without admin privileges: 403 forbidden "Not Authorized to access this
      // resource/api" (googleapis/google-api-nodejs-client#1884 quotes the body).
      const notAdmin = await token([`${SCOPE}admin.directory.user.readonly`], 'ben.okafor@acme.example');
      const r = await call('/admin/directory/v1/users?customer=my_customer', notAdmin, { refused: true });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({
        error: { message: 'Not Authorized to access this resource/api', errors: [{ reason: 'forbidden' }] },
      });

      // IAM v1 serviceAccounts.list takes iam or cloud-platform, no read-only scope (reference page
      // "Authorization scopes"); cloudresourcemanager:v3 projects.search also takes
      // cloud-platform.read-only (discovery `scopes`). One Platform errors carry no legacy `errors`.
      const readOnly = await token([`${SCOPE}cloud-platform.read-only`]);
      const iamDenied = await call('/v1/projects/acme-it-ops/serviceAccounts', readOnly, { refused: true });
      expect(iamDenied.status).toBe(403);
      expectGoogleErrorEnvelope(403, iamDenied.body, false);
      expect((await call('/v3/projects:search', readOnly)).status).toBe(200);
      const iamScope = await token([`${SCOPE}iam`]);
      expect((await call('/v1/projects/acme-it-ops/serviceAccounts', iamScope)).status).toBe(200);
    });
  });

  describe('parameters outside what the discovery documents allow', () => {
    it('refuses them with the status and error body Google sends', async () => {
      const dir = await token([`${SCOPE}admin.directory.user.readonly`], ADMIN);
      const sec = await token([`${SCOPE}admin.directory.user.security`], ADMIN);
      const audit = await token([`${SCOPE}admin.reports.audit.readonly`], ADMIN);
      const cloud = await token([`${SCOPE}cloud-platform`]);
      const future = new Date(emu.now.getTime() + DAY_MS).toISOString();
      const sa = 'etl-runner%40acme-data-platform.iam.gserviceaccount.com';
      const range = (v: number, max: number, param: string) => ({
        error: {
          message: `Invalid value '${v}'. Values must be within the range: [1, ${max}]`,
          errors: [{ reason: 'invalidParameter', location: param, locationType: 'parameter' }],
        },
      });
      const unknown = (name: string) => {
        const message = `Invalid JSON payload received. Unknown name "${name}": Cannot bind query parameter. Field '${name}' could not be found in request message.`;
        return {
          error: {
            message,
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.BadRequest',
                fieldViolations: [{ description: message }],
              },
            ],
          },
        };
      };
      const cases: Array<{
        what: string;
        path: string;
        as: string;
        method?: string;
        body?: unknown;
        status: number;
        legacy: boolean;
        expect: Record<string, unknown>;
      }> = [
        // directory.users.list parameters.maxResults minimum 1, maximum 500; ESF's message and reason as
        // a Directory list call returns them (taers232c/GAMADV-X#84: "400: invalidParameter - Invalid
        // value '500'. Values must be within the range: [1, 200]").
        {
          what: 'maxResults 501',
          path: '/admin/directory/v1/users?customer=my_customer&maxResults=501',
          as: dir,
          status: 400,
          legacy: true,
          expect: range(501, 500, 'maxResults'),
        },
        {
          what: 'maxResults 0',
          path: '/admin/directory/v1/users?customer=my_customer&maxResults=0',
          as: dir,
          status: 400,
          legacy: true,
          expect: range(0, 500, 'maxResults'),
        },
        // parameters.orderBy.enum: email, familyName, givenName.
        {
          what: 'orderBy off its enum',
          path: '/admin/directory/v1/users?customer=my_customer&orderBy=age',
          as: dir,
          status: 400,
          legacy: true,
          expect: { error: { errors: [{ reason: 'invalidParameter', location: 'orderBy' }] } },
        },
        // "Either the customer or the domain parameter must be provided"; Google answers 400 Bad Request /
        // badRequest (googleapis/google-api-python-client#579; googleworkspace/go-samples#10).
        {
          what: 'neither customer nor domain',
          path: '/admin/directory/v1/users',
          as: dir,
          status: 400,
          legacy: true,
          expect: { error: { message: 'Bad Request', errors: [{ reason: 'badRequest' }] } },
        },
        // Another customer's id: 400 badRequest (developers.google.com/workspace/admin/reseller/v1/support/directory_api_common_errors).
        {
          what: 'a customer id not the caller’s',
          path: '/admin/directory/v1/users?customer=C0someoneelse',
          as: dir,
          status: 400,
          legacy: true,
          expect: { error: { message: 'Bad Request', errors: [{ reason: 'badRequest' }] } },
        },
        // A domain outside the customer: 403 forbidden (66degrees/agm#9 quotes it for users.list?domain=…).
        {
          what: 'a domain the customer does not own',
          path: '/admin/directory/v1/users?domain=elsewhere.example',
          as: dir,
          status: 403,
          legacy: true,
          expect: {
            error: {
              message: 'Not Authorized to access this resource/api',
              errors: [{ reason: 'forbidden' }],
            },
          },
        },
        // Partial response: "Invalid field selection a/b" with 400
        // (developers.google.com/workspace/admin/directory/v1/guides/performance#partial-response).
        {
          what: 'fields naming a field Users lacks',
          path: '/admin/directory/v1/users?customer=my_customer&fields=users(primaryMail)',
          as: dir,
          status: 400,
          legacy: true,
          expect: {
            error: {
              message: 'Invalid field selection users/primaryMail',
              errors: [{ reason: 'invalidParameter', location: 'fields' }],
            },
          },
        },
        // An unknown userKey: 404 notFound "Resource Not Found: userKey" (GAM-team/GAM errors.py maps it).
        {
          what: 'tokens of an unknown user',
          path: '/admin/directory/v1/users/nobody%40acme.example/tokens',
          as: sec,
          status: 404,
          legacy: true,
          expect: { error: { message: 'Resource Not Found: userKey', errors: [{ reason: 'notFound' }] } },
        },
        {
          what: 'an unknown user read by key',
          path: '/admin/directory/v1/users/nobody%40acme.example',
          as: dir,
          status: 404,
          legacy: true,
          expect: { error: { message: 'Resource Not Found: userKey', errors: [{ reason: 'notFound' }] } },
        },
        // reports.activities.list parameters.applicationName enum/pattern.
        {
          what: 'an application Reports does not have',
          path: '/admin/reports/v1/activity/users/all/applications/nonsense',
          as: audit,
          status: 400,
          legacy: true,
          expect: { error: { errors: [{ reason: 'invalidParameter', location: 'applicationName' }] } },
        },
        // parameters.maxResults minimum 1, maximum 1000.
        {
          what: 'maxResults 1001',
          path: '/admin/reports/v1/activity/users/all/applications/token?maxResults=1001',
          as: audit,
          status: 400,
          legacy: true,
          expect: range(1001, 1000, 'maxResults'),
        },
        // parameters.startTime.pattern (RFC 3339).
        {
          what: 'startTime not RFC 3339',
          path: '/admin/reports/v1/activity/users/all/applications/token?startTime=yesterday',
          as: audit,
          status: 400,
          legacy: true,
          expect: { error: { errors: [{ reason: 'invalidParameter', location: 'startTime' }] } },
        },
        // parameters.customerId.pattern "C.+|my_customer".
        {
          what: 'customerId off its pattern',
          path: '/admin/reports/v1/activity/users/all/applications/token?customerId=acme',
          as: audit,
          status: 400,
          legacy: true,
          expect: { error: { errors: [{ reason: 'invalidParameter', location: 'customerId' }] } },
        },
        // parameters.filters.pattern: name, relational operator, value.
        {
          what: 'filters without an operator',
          path: '/admin/reports/v1/activity/users/all/applications/token?filters=client_id',
          as: audit,
          status: 400,
          legacy: true,
          expect: { error: { errors: [{ reason: 'invalidParameter', location: 'filters' }] } },
        },
        // "The startTime must be before the endTime (if specified) and the current time when the request is
        // made, or the API returns an error"; the message as googleapis/google-api-python-client#148 quotes it.
        {
          what: 'startTime after endTime',
          path: '/admin/reports/v1/activity/users/all/applications/token?startTime=2026-10-02T00:00:00Z&endTime=2026-10-01T00:00:00Z',
          as: audit,
          status: 400,
          legacy: true,
          expect: { error: { message: 'Invalid request: Start time is after end time.' } },
        },
        {
          what: 'startTime in the future',
          path: `/admin/reports/v1/activity/users/all/applications/token?startTime=${future}`,
          as: audit,
          status: 400,
          legacy: true,
          expect: { error: { message: 'Invalid request: Start time is after end time.' } },
        },
        // One Platform (gRPC transcoding): a query name the request message lacks.
        {
          what: 'an unknown IAM query parameter',
          path: '/v1/projects/acme-it-ops/serviceAccounts?maxResults=5',
          as: cloud,
          status: 400,
          legacy: false,
          expect: unknown('maxResults'),
        },
        {
          what: 'an unknown Resource Manager query parameter',
          path: '/v3/projects:search?filter=state:ACTIVE',
          as: cloud,
          status: 400,
          legacy: false,
          expect: unknown('filter'),
        },
        // AIP-158: a negative page size is INVALID_ARGUMENT.
        {
          what: 'a negative pageSize',
          path: '/v1/projects/acme-it-ops/serviceAccounts?pageSize=-1',
          as: cloud,
          status: 400,
          legacy: false,
          expect: { error: { status: 'INVALID_ARGUMENT' } },
        },
        // pageSize is int32 (discovery `format`); transcoding refuses what does not convert.
        {
          what: 'pageSize not a number',
          path: '/v3/projects:search?pageSize=ten',
          as: cloud,
          status: 400,
          legacy: false,
          expect: { error: { message: `Invalid value at 'page_size' (TYPE_INT32), "ten"` } },
        },
        // keys.list parameters.keyTypes: enum; "The presence of [KEY_TYPE_UNSPECIFIED] … will immediately
        // result in an error"; "Duplicate key types are not allowed."
        {
          what: 'keyTypes off its enum',
          path: `/v1/projects/acme-data-platform/serviceAccounts/${sa}/keys?keyTypes=ALL`,
          as: cloud,
          status: 400,
          legacy: false,
          expect: { error: { status: 'INVALID_ARGUMENT' } },
        },
        {
          what: 'keyTypes KEY_TYPE_UNSPECIFIED',
          path: `/v1/projects/acme-data-platform/serviceAccounts/${sa}/keys?keyTypes=KEY_TYPE_UNSPECIFIED`,
          as: cloud,
          status: 400,
          legacy: false,
          expect: { error: { status: 'INVALID_ARGUMENT' } },
        },
        {
          what: 'keyTypes twice',
          path: `/v1/projects/acme-data-platform/serviceAccounts/${sa}/keys?keyTypes=USER_MANAGED&keyTypes=USER_MANAGED`,
          as: cloud,
          status: 400,
          legacy: false,
          expect: { error: { status: 'INVALID_ARGUMENT' } },
        },
        // parameters.name.description: with `-` for the project, a missing account is a 403, not a 404.
        {
          what: 'a missing account under projects/-',
          path: '/v1/projects/-/serviceAccounts/fake%40example.com/keys',
          as: cloud,
          status: 403,
          legacy: false,
          expect: { error: { details: [{ reason: 'IAM_PERMISSION_DENIED' }] } },
        },
        // getIamPolicy: "Permission is denied if the policy or the resource do not exist."
        {
          what: 'the policy of a project that does not exist',
          path: '/v3/projects/no-such-project:getIamPolicy',
          method: 'POST',
          body: {},
          as: cloud,
          status: 403,
          legacy: false,
          expect: { error: { details: [{ reason: 'IAM_PERMISSION_DENIED' }] } },
        },
        // GetPolicyOptions.requestedPolicyVersion: "Valid values are 0, 1, and 3. Requests specifying an
        // invalid value will be rejected."
        {
          what: 'requestedPolicyVersion 2',
          path: '/v3/projects/acme-it-ops:getIamPolicy',
          method: 'POST',
          body: { options: { requestedPolicyVersion: 2 } },
          as: cloud,
          status: 400,
          legacy: false,
          expect: { error: { status: 'INVALID_ARGUMENT' } },
        },
        // A JSON field the request message lacks (One Platform's JSON parsing error).
        {
          what: 'a body field GetIamPolicyRequest lacks',
          path: '/v3/projects/acme-it-ops:getIamPolicy',
          method: 'POST',
          body: { policyVersion: 3 },
          as: cloud,
          status: 400,
          legacy: false,
          expect: {
            error: {
              message: 'Invalid JSON payload received. Unknown name "policyVersion": Cannot find field.',
            },
          },
        },
      ];
      for (const c of cases) {
        const r = await call(c.path, c.as, { method: c.method, body: c.body, refused: true });
        expect({ what: c.what, status: r.status }).toEqual({ what: c.what, status: c.status });
        expectGoogleErrorEnvelope(c.status, r.body, c.legacy);
        expect(r.body, c.what).toMatchObject(c.expect);
      }
      // The same methods serve the limits themselves: maxResults=500 and 1000, requestedPolicyVersion 3.
      expect((await call('/admin/directory/v1/users?customer=my_customer&maxResults=500', dir)).status).toBe(
        200,
      );
      expect(
        (await call('/admin/reports/v1/activity/users/all/applications/token?maxResults=1000', audit)).status,
      ).toBe(200);
      const policy = await call('/v3/projects/acme-it-ops:getIamPolicy', cloud, {
        method: 'POST',
        body: { options: { requestedPolicyVersion: 3 } },
      });
      expect(policy.status).toBe(200);
    });
  });

  describe('responses match the discovery schemas', () => {
    it('serves every route the connector calls in shapes the generated clients’ schemas accept', async () => {
      const dir = await token([`${SCOPE}admin.directory.user.readonly`], ADMIN);
      const sec = await token([`${SCOPE}admin.directory.user.security`], ADMIN);
      const audit = await token([`${SCOPE}admin.reports.audit.readonly`], ADMIN);
      const cloud = await token([`${SCOPE}cloud-platform`]);
      const checks: Array<[string, Record<string, unknown>, string, ReturnType<typeof loadSchemas>]> = [];
      const add = async (
        what: string,
        path: string,
        as: string,
        type: string,
        schemas: typeof directory,
        method = 'GET',
      ) => {
        const r = await call(path, as, method === 'POST' ? { method, body: {} } : {});
        expect({ what, status: r.status }).toEqual({ what, status: 200 });
        checks.push([what, r.body, type, schemas]);
        return r.body;
      };
      await add(
        'users.list',
        '/admin/directory/v1/users?customer=my_customer&maxResults=500',
        dir,
        'Schema$Users',
        directory,
      );
      await add(
        'users.get',
        '/admin/directory/v1/users/dara.novak%40acme.example',
        dir,
        'Schema$User',
        directory,
      );
      await add(
        'tokens.list',
        '/admin/directory/v1/users/dara.novak%40acme.example/tokens',
        sec,
        'Schema$Tokens',
        directory,
      );
      await add(
        'activities.list token',
        '/admin/reports/v1/activity/users/all/applications/token',
        audit,
        'Schema$Activities',
        reports,
      );
      await add(
        'activities.list admin',
        '/admin/reports/v1/activity/users/all/applications/admin',
        audit,
        'Schema$Activities',
        reports,
      );
      await add('projects.search', '/v3/projects:search', cloud, 'Schema$SearchProjectsResponse', crm);
      await add(
        'projects.getIamPolicy',
        '/v3/projects/acme-it-ops:getIamPolicy',
        cloud,
        'Schema$Policy',
        crm,
        'POST',
      );
      await add(
        'serviceAccounts.list',
        '/v1/projects/acme-data-platform/serviceAccounts',
        cloud,
        'Schema$ListServiceAccountsResponse',
        iam,
      );
      await add(
        'keys.list',
        '/v1/projects/acme-data-platform/serviceAccounts/etl-runner%40acme-data-platform.iam.gserviceaccount.com/keys',
        cloud,
        'Schema$ListServiceAccountKeysResponse',
        iam,
      );
      for (const [what, body, type, schemas] of checks) {
        expect({ what, errors: checkValue(body, type, schemas) }).toEqual({ what, errors: [] });
        // Each body holds data, so the schema check ran over something.
        expect(Object.keys(body).length, what).toBeGreaterThan(0);
      }
      // proto3 JSON mapping (protobuf.dev/programming-guides/proto3/#json): fields with default values
      // (false, empty lists) are omitted, and Google sends no nulls.
      expect(JSON.stringify(checks.map((c) => c[1]))).not.toContain('null');
      const accounts = checks.find((c) => c[0] === 'serviceAccounts.list')![1].accounts as Array<
        Record<string, unknown>
      >;
      expect(accounts.some((a) => a.disabled === false)).toBe(false);
    });

    it('serves errors in the google.rpc.Status shape the One Platform discovery documents define', async () => {
      const cloud = await token([`${SCOPE}cloud-platform`]);
      const r = await call('/v1/projects/acme-it-ops/serviceAccounts?bogus=1', cloud, { refused: true });
      const { status: _name, ...status } = r.body.error as Record<string, unknown>;
      // schemas.Status of iam:v1 / cloudresourcemanager:v3: { code, message, details[] }.
      expect(checkValue(status, 'Schema$Status', iam)).toEqual([]);
      expect(checkValue(status, 'Schema$Status', crm)).toEqual([]);
    });

    it('the schema check catches a wrong field name and a wrong type', () => {
      expect(checkValue({ users: [{ primaryMail: 'x' }] }, 'Schema$Users', directory)).toEqual([
        '$.users[0].primaryMail: not in Schema$User',
      ]);
      expect(
        checkValue({ keys: [{ disabled: 'no' }] }, 'Schema$ListServiceAccountKeysResponse', iam),
      ).toEqual(['$.keys[0].disabled: expected boolean, got string']);
    });

    it('knows every parameter the generated clients give each method the connector calls', () => {
      // The facts table and the generated clients come from the same discovery documents: a parameter
      // renamed, added or dropped upstream fails here.
      for (const fact of METHOD_FACTS) {
        const client = loadGeneratedClient(DISCOVERY[fact.api].client);
        const method = client.find(fact.resource, fact.method);
        expect(method, fact.id).toBeDefined();
        expect([...method!.params].sort(), fact.id).toEqual(Object.keys(fact.params).sort());
        expect([...method!.pathParams].sort(), fact.id).toEqual(
          Object.entries(fact.params)
            .filter(([, p]) => p.location === 'path')
            .map(([n]) => n)
            .sort(),
        );
        expect([...client.standardParams].sort()).toEqual(Object.keys(STANDARD_PARAMS).sort());
      }
    });
  });

  // Faults that must look like Google's own answers (route-faults.ts cites each shape).
  describe('faults in Google shapes', () => {
    const raw = (path: string, accessToken: string) =>
      fetch(`${emu.origin}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
    const USERS = '/admin/directory/v1/users?customer=my_customer&maxResults=5';

    it('expires a token mid-scan: 401 ACCESS_TOKEN_EXPIRED for it everywhere, a new token works', async () => {
      const scopes = [`${SCOPE}admin.directory.user.readonly`, `${SCOPE}admin.directory.user.security`];
      const [t, sibling] = await Promise.all([token(scopes, ADMIN), token(scopes, ADMIN)]);
      // Tokens are unique, as Google's are: expiring one leaves one minted in the same second alone.
      expect(t).not.toBe(sibling);
      emu.faults.add({ path: '/admin/directory/v1/users', times: 1, action: { kind: 'token-expired' } });
      const first = await raw(USERS, t);
      const body = (await first.json()) as Record<string, unknown>;
      expect(first.status).toBe(401);
      expect(first.headers.get('www-authenticate')).toBe(
        'Bearer realm="https://accounts.google.com/", error="invalid_token"',
      );
      expectGoogleErrorEnvelope(401, body, true);
      expect(body).toMatchObject({
        error: {
          message: expect.stringMatching(/^Request had invalid authentication credentials\./),
          errors: [{ reason: 'authError', message: 'Invalid Credentials', location: 'Authorization' }],
          details: [{ reason: 'ACCESS_TOKEN_EXPIRED', metadata: { service: 'admin.googleapis.com' } }],
        },
      });
      expect((await call('/admin/directory/v1/users/ben.okafor%40acme.example/tokens', t)).status).toBe(401);
      expect((await call(USERS, sibling)).status).toBe(200);
      // One Platform APIs send the same error without the legacy `errors` array.
      const cloud = await token([`${SCOPE}iam`]);
      emu.faults.add({
        path: '/v1/projects/{project}/serviceAccounts',
        times: 1,
        action: { kind: 'token-expired' },
      });
      const iamExpired = await call('/v1/projects/acme-it-ops/serviceAccounts', cloud);
      expect(iamExpired.status).toBe(401);
      expectGoogleErrorEnvelope(401, iamExpired.body, false);
      expect(iamExpired.body).toMatchObject({ error: { details: [{ reason: 'ACCESS_TOKEN_EXPIRED' }] } });
    });

    it('withdraws one permission: IAM_PERMISSION_DENIED on one account’s keys, forbidden on Admin SDK calls', async () => {
      const keys =
        '/v1/projects/acme-it-ops/serviceAccounts/backup-sa%40acme-it-ops.iam.gserviceaccount.com/keys';
      emu.faults.add({ path: keys, action: { kind: 'permission-denied' } });
      emu.faults.add({ path: '/admin/reports/v1/', action: { kind: 'permission-denied' } });
      const cloud = await token([`${SCOPE}iam`]);
      const denied = await call(keys, cloud);
      const other = await call(
        '/v1/projects/acme-it-ops/serviceAccounts/directory-sync%40acme-it-ops.iam.gserviceaccount.com/keys',
        cloud,
      );
      const audit = await token([`${SCOPE}admin.reports.audit.readonly`], ADMIN);
      const reportsDenied = await call('/admin/reports/v1/activity/users/all/applications/admin', audit);
      emu.faults.clear();
      expect(denied.status).toBe(403);
      expectGoogleErrorEnvelope(403, denied.body, false);
      expect(denied.body).toMatchObject({
        error: {
          message:
            "Permission 'iam.serviceAccountKeys.list' denied on resource 'projects/acme-it-ops/serviceAccounts/backup-sa@acme-it-ops.iam.gserviceaccount.com' (or it may not exist).",
          details: [{ reason: 'IAM_PERMISSION_DENIED', metadata: { service: 'iam.googleapis.com' } }],
        },
      });
      expect(other.status).toBe(200);
      expect(reportsDenied.status).toBe(403);
      expect(reportsDenied.body).toMatchObject({
        error: { message: 'Not Authorized to access this resource/api', errors: [{ reason: 'forbidden' }] },
      });
    });

    it('404s one user’s token list once while the user is still listed', async () => {
      const t = await token(
        [`${SCOPE}admin.directory.user.readonly`, `${SCOPE}admin.directory.user.security`],
        ADMIN,
      );
      const tokens = '/admin/directory/v1/users/chen.wei%40acme.example/tokens';
      emu.faults.add({ path: tokens, times: 1, action: { kind: 'not-found' } });
      const gone = await call(tokens, t);
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({
        error: { message: 'Resource Not Found: userKey', errors: [{ reason: 'notFound' }] },
      });
      const users = await call('/admin/directory/v1/users?customer=my_customer&maxResults=500', t);
      expect((users.body.users as Array<{ primaryEmail: string }>).map((u) => u.primaryEmail)).toContain(
        'chen.wei@acme.example',
      );
      const back = await call(tokens, t);
      expect(back.status).toBe(200);
      expect((back.body.items as unknown[]).length).toBeGreaterThan(0);
    });

    it('loops nextPageToken back to the page just read, from the first page on', async () => {
      const t = await token([`${SCOPE}admin.directory.user.readonly`], ADMIN);
      const emails = (b: Record<string, unknown>) =>
        (b.users as Array<{ primaryEmail: string }>).map((u) => u.primaryEmail);
      const page2Token = (await call(USERS, t)).body.nextPageToken as string;
      const page2Url = `${USERS}&pageToken=${encodeURIComponent(page2Token)}`;
      const page2 = await call(page2Url, t);
      emu.faults.add({ path: '/admin/directory/v1/users', action: { kind: 'paging-loop' } });
      const first = await call(USERS, t);
      const looped = await call(
        `${USERS}&pageToken=${encodeURIComponent(first.body.nextPageToken as string)}`,
        t,
      );
      const secondAgain = await call(page2Url, t);
      emu.faults.clear();
      expect(emails(looped.body)).toEqual(emails(first.body));
      expect(looped.body.nextPageToken).toBe(first.body.nextPageToken);
      expect(emails(secondAgain.body)).toEqual(emails(page2.body));
      expect(secondAgain.body.nextPageToken).toBe(page2Token);
    });
  });

  describe('paging and partial responses', () => {
    it('pages users.list through nextPageToken until it is absent, each user once', async () => {
      // Users.nextPageToken: "Token used to access next page of this result"; maxResults per page.
      const dir = await token([`${SCOPE}admin.directory.user.readonly`], ADMIN);
      const all = await call('/admin/directory/v1/users?customer=my_customer&maxResults=500', dir);
      const everyone = (all.body.users as Array<{ primaryEmail: string }>).map((u) => u.primaryEmail);
      const seen: string[] = [];
      let next: string | undefined;
      do {
        const r = await call(
          `/admin/directory/v1/users?customer=C03acme7x&maxResults=5&fields=nextPageToken,users(primaryEmail)${next ? `&pageToken=${encodeURIComponent(next)}` : ''}`,
          dir,
        );
        const users = r.body.users as Array<Record<string, unknown>>;
        expect(users.length).toBeLessThanOrEqual(5);
        // fields=users(primaryEmail): only the selected field (performance guide, partial response).
        for (const u of users) expect(Object.keys(u)).toEqual(['primaryEmail']);
        seen.push(...users.map((u) => u.primaryEmail as string));
        next = r.body.nextPageToken as string | undefined;
      } while (next);
      expect(seen.sort()).toEqual([...everyone].sort());
    });

    it('pages activities.list by maxResults and keeps to the last 180 days', async () => {
      // parameters.maxResults: "if the request sets maxResults=1 and the report has two activities, the
      // report has two pages"; endTime: the report covers "the most recent 180 days".
      const audit = await token([`${SCOPE}admin.reports.audit.readonly`], ADMIN);
      const base = '/admin/reports/v1/activity/users/all/applications/token?eventName=authorize';
      const whole = (await call(base, audit)).body.items as Array<{
        id: { uniqueQualifier: string; time: string };
      }>;
      expect(whole.length).toBeGreaterThan(2);
      const paged: string[] = [];
      let next: string | undefined;
      do {
        const r = await call(
          `${base}&maxResults=2${next ? `&pageToken=${encodeURIComponent(next)}` : ''}`,
          audit,
        );
        const items = r.body.items as Array<{ id: { uniqueQualifier: string } }>;
        expect(items.length).toBeLessThanOrEqual(2);
        paged.push(...items.map((i) => i.id.uniqueQualifier));
        next = r.body.nextPageToken as string | undefined;
      } while (next);
      expect(paged).toEqual(whole.map((i) => i.id.uniqueQualifier));
      const horizon = emu.now.getTime() - 180 * DAY_MS;
      expect(whole.every((i) => Date.parse(i.id.time) >= horizon)).toBe(true);
      // eventName: "When you request an eventName, the API's response returns all activities which
      // contain that eventName" (Activity.events.name description).
      const named = (await call(base, audit)).body.items as Array<{ events: Array<{ name: string }> }>;
      expect(named.every((a) => a.events.some((e) => e.name === 'authorize'))).toBe(true);
    });

    it('parses field selections with the documented grammar', () => {
      // "Use a comma-separated list to select multiple fields", "a/b to select a field b that is nested
      // within field a", "a sub-selector … placing expressions in parentheses" (performance guide).
      const tree = parseFields('nextPageToken,users(id,name/fullName),items/id(time)');
      expect(
        applyFields(
          {
            nextPageToken: 't',
            kind: 'k',
            users: [{ id: '1', name: { fullName: 'A', givenName: 'a' }, x: 1 }],
          },
          tree,
        ),
      ).toEqual({ nextPageToken: 't', users: [{ id: '1', name: { fullName: 'A' } }] });
      expect(() => parseFields('users(id')).toThrow(/missing '\)'/);
    });
  });

  describe('world validation', () => {
    // grantscope's own contract for world files (no Google behaviour involved): errors name the file
    // and the key of each bad entry.
    it('names the file and the key of a bad entry', () => {
      const section = loadWorld(DEMO).platforms['google-workspace'] as Record<string, unknown[]>;
      const broken = structuredClone(section);
      (broken.grants![0] as Record<string, unknown>).user = 'ghost@acme.example';
      (broken.users![1] as Record<string, unknown>).createdAt = 'yesterday';
      const load = () =>
        googleWorkspaceEmulator.load(
          resolveRelativeDates(broken, emu.now),
          { now: emu.now } as never,
          'demo.yaml',
        );
      expect(load).toThrow(WorldError);
      expect(load).toThrow(
        /demo\.yaml[\s\S]*google-workspace\.users\[1\]\.createdAt[\s\S]*google-workspace\.grants\[0\]\.user: no user ghost@acme\.example/,
      );
    });
  });
});
