/**
 * The naive baseline, run (issue 12, Build 4): how the usual inventory scripts read a tenant.
 * Sequential, one request at a time; every collection read with plain paging, then per object its child
 * lists. Same emulator, same world, same authentication flows as grantscope (GitHub App JWT →
 * installation token; Entra client-certificate credential through @azure/identity; Google service-
 * account JWT bearer grant with the admin as subject).
 *
 * `node dist/bench/naive-scan.js <github|microsoft365|google-workspace> <grantscope.yaml>` prints
 * `{"requests": N, "perObjectRequests": M, "objects": K, "seconds": S}` (the emulator's stats give the
 * independent count).
 */
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import { ClientCertificateCredential } from '@azure/identity';
import { Agent, fetch } from 'undici';
import { parse as parseYaml } from 'yaml';

interface Counter {
  requests: number;
  perObject: number;
  objects: number;
}

type Json = Record<string, unknown>;

const b64url = (x: string | Buffer) => Buffer.from(x).toString('base64url');

function signJwt(header: Json, claims: Json, privateKeyPem: string): string {
  const body = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = createSign('RSA-SHA256').update(body).sign(privateKeyPem);
  return `${body}.${b64url(sig)}`;
}

function http(ca: string, counter: Counter) {
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, ca] } });
  return async (
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<{ body: unknown; headers: Headers }> => {
    counter.requests++;
    const res = await fetch(url, { ...init, dispatcher });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text.slice(0, 300)}`);
    return { body: text ? JSON.parse(text) : null, headers: res.headers as unknown as Headers };
  };
}

const nextLink = (headers: Headers) => /<([^>]+)>;\s*rel="next"/.exec(headers.get('link') ?? '')?.[1];

async function github(section: Json, dir: string, ca: string, c: Counter): Promise<void> {
  const get = http(ca, c);
  const base = String(section.baseUrl);
  const app = section.app as { id: number; installationId: number; privateKeyFile: string };
  const key = readFileSync(resolve(dir, app.privateKeyFile), 'utf8');
  const now = Math.floor(Date.now() / 1000);
  const jwt = signJwt(
    { alg: 'RS256', typ: 'JWT' },
    { iat: now - 60, exp: now + 540, iss: String(app.id) },
    key,
  );
  const accept = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
  const { body: tok } = await get(`${base}/app/installations/${app.installationId}/access_tokens`, {
    method: 'POST',
    headers: { ...accept, authorization: `Bearer ${jwt}` },
  });
  const headers = { ...accept, authorization: `token ${(tok as { token: string }).token}` };
  const list = async (first: string, perObject: boolean): Promise<Json[]> => {
    const out: Json[] = [];
    for (let url: string | undefined = first; url; ) {
      if (perObject) c.perObject++;
      const { body, headers: h } = await get(url, { headers });
      out.push(...(body as Json[]));
      url = nextLink(h);
    }
    return out;
  };
  const repos = await list(`${base}/orgs/${section.org}/repos?per_page=100`, false);
  for (const r of repos) {
    c.objects++;
    const owner = (r.owner as { login: string }).login;
    await list(`${base}/repos/${owner}/${r.name}/keys?per_page=100`, true);
  }
}

async function microsoft365(section: Json, dir: string, ca: string, c: Counter): Promise<void> {
  const get = http(ca, c);
  const host = String(section.authorityHost);
  const credential = new ClientCertificateCredential(
    String(section.tenantId),
    String(section.clientId),
    { certificate: readFileSync(resolve(dir, String(section.certificateFile)), 'utf8') },
    {
      authorityHost: host,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: [...rootCertificates, ca] },
      additionalPolicies: [
        {
          position: 'perRetry',
          policy: {
            name: 'naiveCount',
            sendRequest: (req, next) => {
              c.requests++;
              return next(req);
            },
          },
        },
      ],
    },
  );
  const token = await credential.getToken('https://graph.microsoft.com/.default');
  const headers = { authorization: `Bearer ${token.token}` };
  const graph = `${String(section.graphBaseUrl).replace(/\/$/, '')}/v1.0`;
  const list = async (first: string, perObject: boolean): Promise<Json[]> => {
    const out: Json[] = [];
    for (let url: string | undefined = first; url; ) {
      if (perObject) c.perObject++;
      const { body } = await get(url, { headers });
      const page = body as { value: Json[]; '@odata.nextLink'?: string };
      out.push(...page.value);
      url = page['@odata.nextLink'];
    }
    return out;
  };
  const sps = await list(`${graph}/servicePrincipals`, false);
  await list(`${graph}/applications`, false);
  await list(`${graph}/oauth2PermissionGrants`, false);
  for (const sp of sps) {
    c.objects++;
    await list(`${graph}/servicePrincipals/${sp.id}/owners`, true);
    await list(`${graph}/servicePrincipals/${sp.id}/appRoleAssignments`, true);
  }
}

async function googleWorkspace(section: Json, dir: string, ca: string, c: Counter): Promise<void> {
  const get = http(ca, c);
  const key = JSON.parse(readFileSync(resolve(dir, String(section.keyFile)), 'utf8')) as {
    client_email: string;
    private_key: string;
    private_key_id: string;
  };
  const now = Math.floor(Date.now() / 1000);
  const assertion = signJwt(
    { alg: 'RS256', typ: 'JWT', kid: key.private_key_id },
    {
      iss: key.client_email,
      sub: section.subject,
      scope:
        'https://www.googleapis.com/auth/admin.directory.user.readonly https://www.googleapis.com/auth/admin.directory.user.security',
      aud: 'https://oauth2.googleapis.com/token',
      iat: now,
      exp: now + 3600,
    },
    key.private_key,
  );
  const { body: tok } = await get(String(section.tokenUri), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
    }).toString(),
  });
  const headers = { authorization: `Bearer ${(tok as { access_token: string }).access_token}` };
  const api = `${String(section.apiRoot).replace(/\/$/, '')}/admin/directory/v1`;
  const users: Json[] = [];
  let pageToken: string | undefined;
  do {
    const q = new URLSearchParams({ customer: 'my_customer', maxResults: '100' });
    if (pageToken) q.set('pageToken', pageToken);
    const { body } = await get(`${api}/users?${q}`, { headers });
    const page = body as { users?: Json[]; nextPageToken?: string };
    users.push(...(page.users ?? []));
    pageToken = page.nextPageToken;
  } while (pageToken);
  for (const u of users) {
    c.objects++;
    c.perObject++;
    await get(`${api}/users/${encodeURIComponent(String(u.primaryEmail))}/tokens`, { headers });
  }
}

const SCANNERS = { github, microsoft365, 'google-workspace': googleWorkspace } as const;

async function main(platform: string, configFile: string): Promise<void> {
  const scanner = SCANNERS[platform as keyof typeof SCANNERS];
  if (!scanner) throw new Error(`unknown platform ${platform}`);
  const dir = dirname(resolve(configFile));
  const config = parseYaml(readFileSync(configFile, 'utf8')) as Json & { tls?: { caFile?: string } };
  const caFile = config.tls?.caFile ?? 'emulator-ca.pem';
  const ca = readFileSync(isAbsolute(caFile) ? caFile : resolve(dir, caFile), 'utf8');
  const counter: Counter = { requests: 0, perObject: 0, objects: 0 };
  const started = performance.now();
  await scanner(config[platform] as Json, dir, ca, counter);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `${JSON.stringify({ requests: counter.requests, perObjectRequests: counter.perObject, objects: counter.objects, seconds })}\n`,
  );
}

main(process.argv[2] ?? '', process.argv[3] ?? '').catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
