import { createSign } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpPolicy } from '../../connector/http.js';
import { type RunningEmulator, startEmulator } from '../server.js';
import { loadWorld } from '../world.js';
import { GITHUB_APP_KEY_FILE } from './index.js';

/**
 * The emulator's GitHub responses, validated against GitHub's published OpenAPI description
 * (npm @octokit/openapi, GHEC flavour: it is the one with credential authorizations). Only the
 * operations served are compiled; OpenAPI 3.0 `nullable` is turned into JSON Schema first.
 */
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const WORLD = new URL('../../../fixtures/worlds/test/github-demo.yaml', import.meta.url).pathname;

type Schema = Record<string, unknown>;

/** OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a null alternative; refs point at the `gh` document. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node as Schema)) {
    if (k === '$ref' && typeof v === 'string') out.$ref = v.startsWith('#/') ? `gh${v}` : v;
    else if (k === 'example' || k === 'examples' || k.startsWith('x-')) continue;
    else out[k] = toJsonSchema(v);
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
      return out;
    }
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

describe('GitHub emulator responses follow GitHub’s OpenAPI description', () => {
  let emu: RunningEmulator;
  let fetch: typeof globalThis.fetch;
  let auth: string;
  let jwt: string;
  let ajv: Ajv;
  let paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;

  beforeAll(async () => {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/openapi/generated/ghec.json');
    const doc = JSON.parse(await readFile(file, 'utf8'));
    paths = doc.paths;
    ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(ajv);
    ajv.addSchema({ $id: 'gh', components: toJsonSchema(doc.components) as Schema });

    // A world that also exercises the generator's shapes.
    const world = structuredClone(loadWorld(WORLD));
    (world.platforms.github as Record<string, unknown>).generate = {
      seed: 3,
      repos: 40,
      deploy_key_ratio: 0.5,
      hook_ratio: 0.5,
      users: 20,
      installations: 4,
      pat_grants: 4,
      org_hooks: 2,
    };
    emu = await startEmulator({ world });
    const dir = await mkdtemp(join(tmpdir(), 'gs-openapi-'));
    await writeFile(join(dir, 'ca.pem'), emu.caCert);
    fetch = createHttpPolicy({ caFile: join(dir, 'ca.pem') }).fetch;
    const key = emu.clientSetup().files[GITHUB_APP_KEY_FILE]!;
    const now = Math.floor(Date.now() / 1000);
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({ iat: now - 30, exp: now + 500, iss: 900001 })}`;
    jwt = `${head}.${createSign('RSA-SHA256').update(head).sign(key).toString('base64url')}`;
    const minted = await fetch(`${emu.origin}/api/v3/app/installations/70001/access_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}` },
    });
    expect(minted.status).toBe(201);
    const body = await minted.json();
    validator('/app/installations/{installation_id}/access_tokens', 'post', '201')(body);
    auth = `token ${body.token}`;
  }, 60_000);
  afterAll(() => emu?.stop());

  const compiled = new Map<string, ValidateFunction>();
  function validator(path: string, method: string, status: string): ValidateFunction {
    const key = `${method} ${path} ${status}`;
    let v = compiled.get(key);
    if (!v) {
      const schema = paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema;
      if (!schema) throw new Error(`no ${status} schema for ${key}`);
      v = ajv.compile(toJsonSchema(schema) as Schema);
      compiled.set(key, v);
    }
    return v;
  }

  const cases: Array<[string, string, string?]> = [
    ['/orgs/{org}/installations', '/orgs/acme-corp/installations?per_page=100'],
    ['/apps/{app_slug}', '/apps/renovate'],
    ['/apps/{app_slug}', '/apps/ci-runner-00001'],
    ['/orgs/{org}/personal-access-tokens', '/orgs/acme-corp/personal-access-tokens?per_page=100'],
    [
      '/orgs/{org}/personal-access-tokens/{pat_id}/repositories',
      '/orgs/acme-corp/personal-access-tokens/81001/repositories',
    ],
    ['/orgs/{org}/personal-access-token-requests', '/orgs/acme-corp/personal-access-token-requests'],
    ['/orgs/{org}/credential-authorizations', '/orgs/acme-corp/credential-authorizations'],
    ['/orgs/{org}/repos', '/orgs/acme-corp/repos?per_page=100'],
    ['/repos/{owner}/{repo}/keys', '/repos/acme-corp/api/keys'],
    ['/repos/{owner}/{repo}/keys', '/repos/acme-corp/docs/keys'],
    ['/repos/{owner}/{repo}/hooks', '/repos/acme-corp/web/hooks'],
    ['/orgs/{org}/hooks', '/orgs/acme-corp/hooks'],
    ['/orgs/{org}/members', '/orgs/acme-corp/members?per_page=100'],
    ['/orgs/{org}/members', '/orgs/acme-corp/members?role=admin'],
    ['/orgs/{org}/outside_collaborators', '/orgs/acme-corp/outside_collaborators'],
  ];

  it.each(cases)('GET %s (%s)', async (path, url) => {
    const r = await fetch(`${emu.origin}/api/v3${url}`, { headers: { authorization: auth } });
    expect(r.status).toBe(200);
    const body = await r.json();
    const validate = validator(path, 'get', '200');
    const ok = validate(body);
    expect(ok ? [] : validate.errors?.slice(0, 5)).toEqual([]);
    expect(Array.isArray(body) ? body.length : Object.keys(body).length).toBeGreaterThan(0);
  });

  it('generated repositories, keys and hooks follow the schema too', async () => {
    const r = await fetch(`${emu.origin}/api/v3/orgs/acme-corp/repos?per_page=100`, {
      headers: { authorization: auth },
    });
    const repos = (await r.json()) as Array<{ name: string }>;
    const generated = repos.filter((x) => x.name.startsWith('repo-'));
    expect(generated).toHaveLength(40);
    let keys = 0;
    let hooks = 0;
    for (const repo of generated.slice(0, 12)) {
      const k = await (
        await fetch(`${emu.origin}/api/v3/repos/acme-corp/${repo.name}/keys`, {
          headers: { authorization: auth },
        })
      ).json();
      const h = await (
        await fetch(`${emu.origin}/api/v3/repos/acme-corp/${repo.name}/hooks`, {
          headers: { authorization: auth },
        })
      ).json();
      const vk = validator('/repos/{owner}/{repo}/keys', 'get', '200');
      const vh = validator('/repos/{owner}/{repo}/hooks', 'get', '200');
      expect(vk(k) ? [] : vk.errors).toEqual([]);
      expect(vh(h) ? [] : vh.errors).toEqual([]);
      keys += k.length;
      hooks += h.length;
    }
    expect(keys).toBeGreaterThan(0);
    expect(hooks).toBeGreaterThan(0);
  });

  it('GET /orgs/{org}/installation (app JWT)', async () => {
    const r = await fetch(`${emu.origin}/api/v3/orgs/acme-corp/installation`, {
      headers: { authorization: `Bearer ${jwt}` },
    });
    const validate = validator('/orgs/{org}/installation', 'get', '200');
    expect(validate(await r.json()) ? [] : validate.errors).toEqual([]);
  });

  it('error bodies are basic-error', async () => {
    const validate = ajv.compile({ $ref: 'gh#/components/schemas/basic-error' });
    for (const [url, status] of [
      ['/repos/acme-corp/nope/keys', 404],
      ['/orgs/acme-corp/repos', 401],
    ] as const) {
      const r = await fetch(`${emu.origin}/api/v3${url}`, {
        headers: status === 401 ? {} : { authorization: auth },
      });
      expect(r.status).toBe(status);
      expect(validate(await r.json()) ? [] : validate.errors).toEqual([]);
    }
  });

  it('the validator is not a rubber stamp: it rejects a missing required field and a wrong null', () => {
    const validate = validator('/repos/{owner}/{repo}/keys', 'get', '200');
    const good = {
      id: 1,
      key: 'ssh-ed25519 AAAA',
      url: 'https://x',
      title: 't',
      verified: true,
      created_at: '2020-01-01T00:00:00Z',
      read_only: true,
      added_by: null,
      last_used: null,
    };
    expect(validate([good])).toBe(true);
    const { title: _t, ...missing } = good;
    expect(validate([missing])).toBe(false);
    expect(validate([{ ...good, read_only: null }])).toBe(false);
  });
});
