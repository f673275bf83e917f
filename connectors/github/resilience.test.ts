import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import { GITHUB_CLASSIC_TOKEN_FILE } from '../../src/emulator/github/index.js';
import type { GithubSectionInput } from '../../src/emulator/github/world.js';
import { loadWorld, type World } from '../../src/emulator/world.js';
import { CredentialSourceError } from '../../src/errors.js';
import type { Identity } from '../../src/model/index.js';
import { type EmulatedGithub, emulatedGithub } from '../../test/support/emulated-github.js';

const WORLD = new URL('../../fixtures/worlds/test/github-demo.yaml', import.meta.url).pathname;

const collector = (coverage: CoverageReport, name: string) =>
  coverage.collectors.find((c) => c.collector === name)!;
const statuses = (coverage: CoverageReport) =>
  Object.fromEntries(coverage.collectors.map((c) => [c.collector, c.status]));

/** The demo world with its `github:` section changed by `edit`. */
function variant(edit: (github: GithubSectionInput) => void): World {
  const w = loadWorld(WORLD);
  const copy = structuredClone(w);
  edit(copy.platforms.github as GithubSectionInput);
  return copy;
}

describe('GitHub connector under faults, limits and bad credentials', () => {
  let gh: EmulatedGithub;
  beforeAll(async () => {
    gh = await emulatedGithub(WORLD);
  });
  afterEach(() => {
    gh.emu.faults.clear();
    gh.emu.setWorld(WORLD);
    gh.emu.resetStats();
  });
  afterAll(() => gh.stop());

  it('recovers from a secondary rate limit, waiting as long as Retry-After says', async () => {
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/orgs/{org}/installations',
      times: 1,
      action: { kind: 'secondary-rate-limit', retryAfter: 7 },
    });
    const { coverage, ctx } = await gh.scan();
    expect(coverage.status).toBe('complete');
    expect(ctx.sleeps).toContain(7000);
    const route = gh.emu.stats().routes.find((r) => r.pattern === '/api/v3/orgs/{org}/installations')!;
    expect(route.statuses).toEqual({ 200: 1, 403: 1 });
    expect(collector(coverage, 'app-installations').requests).toBe(1 + 1 + 6);
  });

  it('retries a 429 after its Retry-After and 5xx with back-off, and completes', async () => {
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/orgs/{org}/hooks',
      times: 2,
      action: { kind: 'rate-limit', retryAfter: 3 },
    });
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/orgs/{org}/members',
      times: 2,
      action: { kind: 'status', status: 502 },
    });
    gh.emu.faults.add({
      service: 'github',
      path: '/api/graphql',
      times: 1,
      action: { kind: 'status', status: 503 },
    });
    const { coverage, ctx, records } = await gh.scan();
    expect(coverage.status).toBe('complete');
    expect(ctx.sleeps.filter((ms) => ms === 3000)).toHaveLength(2);
    const stats = gh.emu.stats().routes;
    expect(stats.find((r) => r.pattern === '/api/v3/orgs/{org}/hooks')!.statuses).toEqual({ 200: 1, 429: 2 });
    expect(stats.find((r) => r.pattern === '/api/v3/orgs/{org}/members')!.statuses).toEqual({
      200: 2,
      502: 2,
    });
    expect(records.some((r) => r.type === 'identity' && r.nativeId === 'acme-corp#201')).toBe(true);
  });

  it('fails only the collector whose permission is missing, naming the API, status and permission', async () => {
    gh.emu.setWorld(variant((g) => delete g.app.permissions.organization_personal_access_tokens));
    const { coverage, records } = await gh.scan();
    expect(coverage.status).toBe('incomplete');
    const pats = collector(coverage, 'pat-grants');
    expect(pats).toMatchObject({
      status: 'failed',
      httpStatus: 403,
      api: 'GET /orgs/{org}/personal-access-tokens',
    });
    expect(pats.reason).toContain('organization_personal_access_tokens: read');
    const others = Object.entries(statuses(coverage)).filter(([name]) => name !== 'pat-grants');
    expect(others.every(([, status]) => status === 'complete')).toBe(true);
    expect(records.some((r) => r.type === 'identity' && r.kind === 'fine-grained-pat')).toBe(false);
    expect(records.filter((r) => r.type === 'identity' && r.kind === 'github-app-installation')).toHaveLength(
      6,
    );
  });

  it('reports a GraphQL permission gap on deploy keys as a 403 with the permission needed', async () => {
    gh.emu.setWorld(variant((g) => delete g.app.permissions.administration));
    const { coverage } = await gh.scan();
    expect(collector(coverage, 'deploy-keys')).toMatchObject({ status: 'failed', httpStatus: 403 });
    expect(collector(coverage, 'deploy-keys').reason).toContain('administration: read');
    expect(collector(coverage, 'repo-webhooks').status).toBe('complete');
  });

  it('turns a malformed response into a failed collector naming the API, not a crash', async () => {
    gh.emu.faults.add({ service: 'github', path: '/api/v3/orgs/{org}/hooks', action: { kind: 'malformed' } });
    const { coverage } = await gh.scan();
    const hooks = collector(coverage, 'org-webhooks');
    expect(hooks).toMatchObject({ status: 'failed', api: 'GET /orgs/{org}/hooks' });
    expect(hooks.reason).toBe(
      'GitHub REST GET /orgs/{org}/hooks returned 200: the response body is not valid JSON',
    );
    expect(collector(coverage, 'repo-webhooks').status).toBe('complete');
  });

  it('rejects a well-formed response of the wrong shape at the boundary, naming the field', async () => {
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/orgs/{org}/personal-access-tokens',
      action: { kind: 'status', status: 200, body: [{ id: 'not-a-number', owner: null }] },
    });
    const { coverage } = await gh.scan();
    const pats = collector(coverage, 'pat-grants');
    expect(pats).toMatchObject({
      status: 'failed',
      httpStatus: 200,
      api: 'GET /orgs/{org}/personal-access-tokens',
    });
    expect(pats.reason).toMatch(/unexpected response shape at 0\.id/);
    expect(collector(coverage, 'pat-requests').status).toBe('complete');
  });

  it('stops before the rate budget is gone and names the collectors not reached', async () => {
    gh.emu.setWorld(variant((g) => (g.rate_limit = { core: { limit: 5000, remaining: 20 } })));
    const { coverage } = await gh.scan({ config: { rateLimit: { reserve: 10, maxWaitSeconds: 60 } } });
    expect(coverage.status).toBe('incomplete');
    // members (2), repositories (1) and app-installations (7) fit in 20 - 10; the PAT list is the last
    // request that does.
    expect(statuses(coverage)).toMatchObject({
      members: 'complete',
      repositories: 'complete',
      'app-installations': 'complete',
      'pat-grants': 'failed',
    });
    for (const name of [
      'pat-grants',
      'pat-requests',
      'sso-credentials',
      'org-webhooks',
      'deploy-keys',
      'repo-webhooks',
    ]) {
      expect(collector(coverage, name).reason).toMatch(
        /stopped before the GitHub core rate limit ran out: 10 of 5000 requests left/,
      );
    }
    // It never ran into the limit itself.
    expect(gh.emu.stats().routes.every((r) => !r.statuses[403])).toBe(true);
    expect(gh.emu.stats().total).toBe(1 + 2 + 1 + 7 + 1);
  });

  it('refuses a fan-out that does not fit the remaining budget before starting it', async () => {
    gh.emu.setWorld(
      variant((g) => {
        g.generate = { seed: 7, repos: 150, deploy_key_ratio: 0 };
        // No outside collaborators: keeps this test to one GraphQL fan-out.
        g.users = g.users?.filter((u) => u.role !== 'outside');
        g.rate_limit = { core: { limit: 5000, remaining: 140 } };
      }),
    );
    const { coverage } = await gh.scan({ config: { rateLimit: { reserve: 10, maxWaitSeconds: 60 } } });
    expect(collector(coverage, 'deploy-keys').status).toBe('complete');
    const hooks = collector(coverage, 'repo-webhooks');
    expect(hooks.status).toBe('failed');
    expect(hooks.reason).toMatch(/about 155 needed/);
    expect(hooks.requests).toBe(0);
  });

  it('starts a fan-out larger than the window when its reset is within maxWaitSeconds, and waits for it', async () => {
    gh.emu.setWorld(
      variant((g) => {
        g.generate = { seed: 7, repos: 150, deploy_key_ratio: 0 };
        g.users = g.users?.filter((u) => u.role !== 'outside');
        // Far enough for the check to come before the reset on a busy machine (the check is what is
        // tested: with the reset already past it passes anyway), near enough for a short test.
        g.rate_limit = { core: { limit: 5000, remaining: 140, reset_seconds: 4 } };
      }),
    );
    // Real sleeps: the emulator's window resets on the real clock.
    const { coverage, ctx } = await gh.scan({
      context: { sleepScale: 1 },
      config: { rateLimit: { reserve: 10, maxWaitSeconds: 10 } },
    });
    const hooks = collector(coverage, 'repo-webhooks');
    expect(hooks.status).toBe('complete');
    expect(hooks.requests).toBe(collector(coverage, 'repositories').items);
    expect(hooks.requests).toBeGreaterThan(130);
    expect(ctx.sleeps.some((ms) => ms > 0 && ms <= 6000)).toBe(true);
    // It paced itself to the reset: GitHub never refused a request.
    expect(gh.emu.stats().routes.every((r) => !r.statuses[403])).toBe(true);
  });

  it('waits for the x-ratelimit-reset of an exhausted budget and carries on', async () => {
    gh.emu.setWorld(
      variant((g) => (g.rate_limit = { core: { limit: 5000, remaining: 0, reset_seconds: 1 } })),
    );
    // Real sleeps: the emulator's window resets on the real clock.
    const { coverage, ctx } = await gh.scan({
      context: { sleepScale: 1 },
      config: { rateLimit: { reserve: 0, maxWaitSeconds: 10 } },
    });
    expect(coverage.status).toBe('complete');
    expect(ctx.sleeps.some((ms) => ms >= 1000 && ms <= 3000)).toBe(true);
    const members = gh.emu.stats().routes.find((r) => r.pattern === '/api/v3/orgs/{org}/members')!;
    expect(members.statuses[403]).toBe(1);
  });

  it('fails every collector fast when the app key is wrong (401 on the token request), without retry storms', async () => {
    const wrong = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    await writeFile(join(gh.dir, 'wrong-key.pem'), wrong);
    const { coverage, ctx } = await gh.scan({
      config: { app: { ...(gh.config.app as object), privateKeyFile: 'wrong-key.pem' } as never },
    });
    // Fast means: no retry, no back-off wait, and nothing tried after the 401.
    expect(ctx.sleeps).toEqual([]);
    expect(coverage.requests).toBe(1);
    expect(collector(coverage, 'members')).toMatchObject({
      status: 'failed',
      httpStatus: 401,
      api: 'POST /app/installations/{installation_id}/access_tokens',
    });
    // One message for the tenant: every collector fails with the token request's error.
    for (const c of coverage.collectors) {
      expect(c, c.collector).toMatchObject({
        status: 'failed',
        httpStatus: 401,
        api: 'POST /app/installations/{installation_id}/access_tokens',
        reason: collector(coverage, 'members').reason,
      });
    }
    expect(gh.emu.stats().total).toBe(1);
  });

  it('stops when the scan is interrupted: the request in flight is cancelled, the rest are not reached', async () => {
    // The emulator never answers the repository list: only the interrupt can end this scan.
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/orgs/{org}/repos',
      action: { kind: 'timeout' },
    });
    const interrupt = new AbortController();
    const scanning = gh.scan({ signal: interrupt.signal });
    // Interrupt once the request is in flight (the emulator has taken it).
    await vi.waitFor(() => expect(gh.emu.faults.list()[0]!.applied).toBe(1), {
      timeout: 10_000,
      interval: 5,
    });
    interrupt.abort(new Error('interrupted by the user'));
    const { coverage, ctx } = await scanning;
    expect(collector(coverage, 'repositories')).toMatchObject({
      status: 'failed',
      requests: 1,
      httpStatus: null,
    });
    expect(collector(coverage, 'repositories').reason).toMatch(/interrupted by the user/);
    // Neither retried nor waited for.
    expect(gh.emu.faults.list()[0]!.applied).toBe(1);
    expect(ctx.sleeps).toEqual([]);
    // The repository list is second (the fan-outs wait for it): the collectors after it in turn were
    // not reached.
    for (const name of [
      'app-installations',
      'pat-grants',
      'pat-requests',
      'sso-credentials',
      'org-webhooks',
      'deploy-keys',
      'outside-collaborators',
      'repo-webhooks',
    ]) {
      expect(collector(coverage, name).reason, name).toBe('not reached: the scan was interrupted');
    }
    expect(collector(coverage, 'members').status).toBe('complete');
  });

  it('finds the installation from the app JWT when installationId is not configured', async () => {
    const { app } = gh.config as { app: Record<string, unknown> };
    const { installationId: _omit, ...withoutInstallation } = app;
    const { coverage } = await gh.scan({ config: { app: withoutInstallation as never } });
    expect(coverage.status).toBe('complete');
    expect(
      gh.emu.stats().routes.find((r) => r.pattern === '/api/v3/orgs/{org}/installation')?.statuses,
    ).toEqual({ 200: 1 });
  });

  it('names the config key when the private key file is missing', async () => {
    await expect(
      gh.scan({ config: { app: { ...(gh.config.app as object), privateKeyFile: 'missing.pem' } as never } }),
    ).rejects.toThrow(CredentialSourceError);
    await expect(
      gh.scan({ config: { app: { ...(gh.config.app as object), privateKeyFile: 'missing.pem' } as never } }),
    ).rejects.toThrow(/github\.app\.privateKeyFile .*missing\.pem.*not found/);
  });

  it('scans with a classic token from an env var, marking the App-only PAT collectors unavailable', async () => {
    gh.emu.setWorld(variant((g) => (g.classic_token = { scopes: ['repo', 'read:org', 'admin:org_hook'] })));
    const { readFile } = await import('node:fs/promises');
    const setup = gh.emu.clientSetup();
    process.env.GS_TEST_GITHUB_TOKEN = setup.files[GITHUB_CLASSIC_TOKEN_FILE]!;
    try {
      await readFile(join(gh.dir, 'github-app.private-key.pem'));
      const { coverage, records } = await gh.scan({
        config: { app: undefined, tokenEnv: 'GS_TEST_GITHUB_TOKEN' },
      });
      expect(statuses(coverage)).toMatchObject({
        'pat-grants': 'unavailable',
        'pat-requests': 'unavailable',
        'deploy-keys': 'complete',
        'org-webhooks': 'complete',
      });
      expect(coverage.status).toBe('complete');
      expect(
        records.filter((r): r is Identity => r.type === 'identity' && r.kind === 'deploy-key'),
      ).toHaveLength(3);
    } finally {
      delete process.env.GS_TEST_GITHUB_TOKEN;
    }
  });
});
