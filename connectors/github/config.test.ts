import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';
import { GithubConfig, webBaseOf } from './config.js';
import github from './index.js';

const app = { id: 123, privateKeyFile: 'key.pem' };
const issues = (input: unknown) => {
  const r = GithubConfig.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('github config section', () => {
  it('fills defaults and trims the base URL', () => {
    const c = GithubConfig.parse({ org: 'acme', app, baseUrl: 'https://ghe.example.com/api/v3/' });
    expect(c).toMatchObject({
      baseUrl: 'https://ghe.example.com/api/v3',
      appOwners: {},
      rateLimit: { reserve: 100, maxWaitSeconds: 120 },
      graphqlBatchSize: 100,
    });
    expect(GithubConfig.parse({ org: 'acme', tokenEnv: 'GITHUB_TOKEN' }).baseUrl).toBe(
      'https://api.github.com',
    );
  });

  it('names the key that is wrong', () => {
    expect(issues({ org: 'acme' })).toEqual([
      'app: set exactly one of app (GitHub App, recommended) or tokenEnv',
    ]);
    expect(issues({ org: 'acme', app: { id: 1 } })).toEqual([
      'app: set exactly one of privateKeyFile or privateKeyEnv',
    ]);
    expect(issues({ org: 'acme', app, privateKey: '-----BEGIN' })).toEqual([
      ': Unrecognized key: "privateKey"',
    ]);
    expect(issues({ org: 'acme', tokenEnv: 'not a name' })).toEqual([
      'tokenEnv: must be an environment variable name',
    ]);
    const httpsOnly =
      'baseUrl: must be an https:// URL (GitHub tokens and app JWTs are only sent over HTTPS)';
    expect(issues({ org: 'acme', app, baseUrl: 'ftp://x' })).toEqual([httpsOnly]);
    expect(issues({ org: 'acme', app, graphqlBatchSize: 500 })[0]).toMatch(/^graphqlBatchSize: /);
  });

  it('refuses a cleartext http:// base URL, loopback included: tokens and JWTs would travel in clear', () => {
    const httpsOnly =
      'baseUrl: must be an https:// URL (GitHub tokens and app JWTs are only sent over HTTPS)';
    for (const baseUrl of [
      'http://ghe.example.com/api/v3',
      'http://127.0.0.1:8443/api/v3',
      'HTTP://x.example',
    ]) {
      expect(issues({ org: 'acme', app, baseUrl })).toEqual([httpsOnly]);
    }
  });

  it('refuses http:// in grantscope.yaml with a config error (exit 2) naming the key and its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-gh-config-'));
    const file = join(dir, 'grantscope.yaml');
    writeFileSync(
      file,
      'github:\n  org: acme\n  baseUrl: http://ghe.example.com/api/v3\n  tokenEnv: GITHUB_TOKEN\n',
    );
    const err = (() => {
      try {
        loadConfig(file, [github]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as ConfigError).issues).toEqual([
      expect.objectContaining({
        path: 'github.baseUrl',
        line: 3,
        message: expect.stringMatching(/https:\/\//),
      }),
    ]);
  });

  it('never holds a secret: keys and tokens are referenced by file or env var name', () => {
    expect(issues({ org: 'acme', app: { ...app, privateKey: 'x' } })[0]).toMatch(/Unrecognized key/);
    expect(issues({ org: 'acme', token: 'ghp_x' })[0]).toMatch(/Unrecognized key/);
  });

  it('links settings pages on github.com, GHE.com and GHES hosts', () => {
    expect(webBaseOf({ baseUrl: 'https://api.github.com' })).toBe('https://github.com');
    expect(webBaseOf({ baseUrl: 'https://api.acme.ghe.com' })).toBe('https://acme.ghe.com');
    expect(webBaseOf({ baseUrl: 'https://ghe.example.com/api/v3' })).toBe('https://ghe.example.com');
    expect(webBaseOf({ baseUrl: 'https://ghe.example.com/api/v3', webUrl: 'https://web.example.com/' })).toBe(
      'https://web.example.com',
    );
  });

  it('declares its collectors with the permission each needs', () => {
    expect(github.collectors.map((c) => c.name)).toEqual([
      'members',
      'repositories',
      'app-installations',
      'pat-grants',
      'pat-requests',
      'sso-credentials',
      'org-webhooks',
      'deploy-keys',
      'outside-collaborators',
      'repo-webhooks',
    ]);
    for (const c of github.collectors) {
      for (const p of c.permissions) expect(p, c.name).toMatch(/: (read|write)/);
    }
    expect(github.tenantOf(GithubConfig.parse({ org: 'acme', app }))).toBe('acme');
  });
});
