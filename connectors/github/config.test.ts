import { describe, expect, it } from 'vitest';
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
    expect(issues({ org: 'acme', app, baseUrl: 'ftp://x' })).toEqual(['baseUrl: must be an http(s) URL']);
    expect(issues({ org: 'acme', app, graphqlBatchSize: 500 })[0]).toMatch(/^graphqlBatchSize: /);
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
      'app-installations',
      'pat-grants',
      'pat-requests',
      'sso-credentials',
      'org-webhooks',
      'repositories',
      'deploy-keys',
      'outside-collaborators',
      'repo-webhooks',
    ]);
    for (const c of github.collectors) expect(c.requires).toMatch(/: (read|write)/);
    expect(github.tenantOf(GithubConfig.parse({ org: 'acme', app }))).toBe('acme');
  });
});
