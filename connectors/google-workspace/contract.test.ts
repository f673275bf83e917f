import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyFields, parseFields } from '../../src/emulator/google-workspace/partial-response.js';
import { checkValue, loadSchemas } from '../../src/emulator/google-workspace/schema-check.js';
import type { Credential, Grant, Identity, ModelRecord } from '../../src/model/index.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import * as ex from './contract-examples.js';
import connector from './index.js';

/**
 * Contract test: the connector fed Google's documented response shapes (contract-examples.ts, built
 * from the discovery schemas, provenance there) through its real SDK clients, zod schemas and record
 * builders. No emulator: a fetch stand-in answers each call with its example, cut to the call's
 * `fields` selection as Google would, so a field the connector uses but does not select is missing.
 */
const ROOT = 'https://contract.test/';
const NOW = new Date('2026-11-01T09:00:00Z');

function respond(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** The example for a call, or null for a call the connector should not make. */
function exampleFor(method: string, url: URL): ex.ContractExample | null {
  const p = url.pathname;
  const q = url.searchParams;
  if (method === 'GET' && p === '/admin/directory/v1/users') return ex.USERS_LIST;
  if (method === 'GET' && p === `/admin/directory/v1/users/${ex.USER_ID}/tokens`) return ex.TOKENS_LIST;
  if (method === 'GET' && p === `/admin/directory/v1/users/${ex.ADMIN_ID}/tokens`)
    return ex.TOKENS_LIST_EMPTY;
  if (method === 'GET' && p === '/admin/reports/v1/activity/users/all/applications/token') {
    if (q.get('eventName') === 'authorize') return ex.TOKEN_AUTHORIZE;
    // The whole activity log (no filter) holds the one documented event, as does the app's own lookup.
    if (
      q.get('eventName') === 'activity' &&
      [null, `client_id==${ex.APP_CLIENT_ID}`].includes(q.get('filters'))
    )
      return ex.TOKEN_ACTIVITY;
    return ex.NO_ACTIVITIES;
  }
  if (method === 'GET' && p === '/admin/reports/v1/activity/users/all/applications/admin') {
    return q.get('eventName') === 'AUTHORIZE_API_CLIENT_ACCESS'
      ? ex.ADMIN_AUTHORIZE_API_CLIENT
      : ex.NO_ACTIVITIES;
  }
  if (method === 'GET' && p === '/v3/projects:search') return ex.PROJECTS_SEARCH;
  if (method === 'POST' && p === `/v3/projects/${ex.PROJECT_ID}:getIamPolicy`) return ex.PROJECT_POLICY;
  if (method === 'GET' && p === `/v1/projects/${ex.PROJECT_ID}/serviceAccounts`)
    return ex.SERVICE_ACCOUNTS_LIST;
  if (
    method === 'GET' &&
    decodeURIComponent(p) === `/v1/projects/${ex.PROJECT_ID}/serviceAccounts/${ex.SA_EMAIL}/keys`
  )
    return ex.KEYS_LIST;
  return null;
}

async function scanExamples(): Promise<{ records: ModelRecord[]; unexpected: string[] }> {
  const ctx = await createTestContext({ connector, tenant: 'C03az79cb', now: NOW });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(
    join(ctx.configDir, 'sa.json'),
    JSON.stringify({
      type: 'service_account',
      client_email: `grantscope@scanner-project.iam.gserviceaccount.com`,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_id: '100000000000000000001',
      token_uri: `${ROOT}token`,
    }),
  );
  const unexpected: string[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    if (url.pathname === '/token')
      return respond({ access_token: 'ya29.contract', expires_in: 3599, token_type: 'Bearer' });
    const example = exampleFor(method, url);
    if (!example) {
      unexpected.push(`${method} ${url.pathname}${url.search}`);
      return respond({ error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } }, 404);
    }
    const fields = url.searchParams.get('fields');
    return respond(fields ? applyFields(example.body, parseFields(fields)) : example.body);
  };
  const config = connector.configSchema.parse({
    customerId: 'C03az79cb',
    domain: 'example.com',
    subject: 'liz@example.com',
    keyFile: 'sa.json',
    apiRoot: ROOT,
  });
  const { records } = await collectScan(connector, config, { ...ctx, http: { ...ctx.http, fetch } });
  return { records, unexpected };
}

const byNativeId = (records: ModelRecord[], kind: string, nativeId: string) =>
  records.find((r): r is Identity => r.type === 'identity' && r.kind === kind && r.nativeId === nativeId);

describe('Google Workspace contract: documented response shapes through the connector', () => {
  it('every example is what its discovery schema allows', () => {
    for (const [name, e] of Object.entries(ex.ALL_EXAMPLES)) {
      const schemas = loadSchemas(e.schema.module);
      expect({ name, errors: checkValue(e.body, e.schema.type, schemas) }).toEqual({ name, errors: [] });
    }
  });

  it('builds the records the examples describe', async () => {
    const { records, unexpected } = await scanExamples();
    expect(unexpected).toEqual([]);

    // tokens.list + Reports token log → one oauth-client identity per client id, one grant per scope.
    const app = byNativeId(records, 'oauth-client', ex.APP_CLIENT_ID);
    expect(app).toMatchObject({ displayName: 'Example CRM Sync', platform: 'google-workspace' });
    const grantsOf = (nativeId: string) =>
      records.filter((r): r is Grant => r.type === 'grant' && r.identity.nativeId === nativeId);
    const appGrants = grantsOf(ex.APP_CLIENT_ID);
    expect(appGrants.map((g) => g.permission.id).sort()).toEqual(
      [
        'https://www.googleapis.com/auth/drive',
        'https://www.googleapis.com/auth/userinfo.email',
        'openid',
      ].sort(),
    );
    // Granted by Jan (USER_ID), who is suspended in users.list.
    expect(appGrants.every((g) => g.principal?.id === ex.USER_ID && g.principal.active === false)).toBe(true);
    // Grant time from the authorize event, last use from the newest activity event.
    expect(appGrants.every((g) => g.grantedAt === '2026-09-14T15:03:27.412Z')).toBe(true);
    expect(app!.lastUsed?.at).toBe('2026-10-29T06:41:02.118Z');
    // Its only grantor is suspended: the owner is known and inactive.
    expect(app!.owners).toEqual([{ id: ex.USER_ID, name: 'jan@example.com', type: 'user', active: false }]);
    // The drive scope is full access (https://www.googleapis.com/auth/drive: "See, edit, create, and
    // delete all of your Google Drive files").
    expect(appGrants.find((g) => g.permission.id.endsWith('/drive'))!.permission.access).toBe('admin');

    // Admin AUTHORIZE_API_CLIENT_ACCESS → a domain-wide delegation of the client id, joined to the
    // service account whose oauth2ClientId it is.
    const dwd = byNativeId(records, 'domain-wide-delegation', ex.DWD_CLIENT_ID);
    expect(dwd).toBeDefined();
    const dwdGrants = grantsOf(ex.DWD_CLIENT_ID);
    expect(dwdGrants.map((g) => g.permission.id).sort()).toEqual([
      'https://www.googleapis.com/auth/admin.directory.user.readonly',
      'https://www.googleapis.com/auth/gmail.readonly',
    ]);
    expect(dwd).toMatchObject({
      displayName: 'Directory sync bot',
      createdAt: '2026-08-02T11:20:45.663Z',
      attributes: { serviceAccount: ex.SA_EMAIL, projectId: ex.PROJECT_ID, authorizedBy: 'liz@example.com' },
    });
    expect(dwdGrants.every((g) => g.target.breadth === 'tenant' && g.grantedBy?.id === ex.ADMIN_ID)).toBe(
      true,
    );

    // serviceAccounts.list → a service-account identity, owned by the project's roles/owner members.
    const sa = byNativeId(records, 'service-account', ex.SA_EMAIL);
    expect(sa).toMatchObject({
      displayName: 'Directory sync bot',
      enabled: true,
      attributes: {
        projectId: ex.PROJECT_ID,
        projectNumber: ex.PROJECT_NUMBER,
        oauth2ClientId: ex.DWD_CLIENT_ID,
        domainWideDelegation: true,
      },
    });
    // roles/owner members: a user of the domain (active), and a `deleted:user:` member (inactive).
    expect(sa!.owners.map((o) => [o.name ?? o.id, o.active]).sort()).toEqual(
      [
        ['gone@example.com', false],
        ['liz@example.com', true],
      ].sort(),
    );

    // keys.list → one credential for the user-managed key; 9999-12-31 means no expiry.
    const keys = records.filter((r): r is Credential => r.type === 'credential');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      nativeId: ex.KEY_NAME,
      credentialType: 'service-account-key',
      identity: { kind: 'service-account', nativeId: ex.SA_EMAIL },
      createdAt: '2025-01-15T10:00:00Z',
      expiresAt: null,
      enabled: true,
      attributes: { keyOrigin: 'GOOGLE_PROVIDED', keyAlgorithm: 'KEY_ALG_RSA_2048', exposed: false },
    });
  });
});
