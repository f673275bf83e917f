import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatedGithub, emulatedGithub } from '../../test/support/emulated-github.js';

/**
 * An installation token GitHub refuses mid-scan (401 "Bad credentials": revoked, or expired early) is
 * renewed once and the scan goes on; a renewed token that is refused too is the answer, and the tenant
 * stops there (bad credentials do not get better for the next collector).
 */
const WORLD = new URL('../../fixtures/worlds/test/github-demo.yaml', import.meta.url).pathname;
const badCredentials = {
  message: 'Bad credentials',
  documentation_url: 'https://docs.github.com/rest',
  status: '401',
};

describe('GitHub installation token refused mid-scan', () => {
  let gh: EmulatedGithub;
  beforeAll(async () => {
    gh = await emulatedGithub(WORLD);
  });
  afterEach(() => {
    gh.emu.faults.clear();
    gh.emu.resetStats();
  });
  afterAll(() => gh.stop());

  const statuses = (pattern: string) => gh.emu.stats().routes.find((r) => r.pattern === pattern)?.statuses;

  it('renews the token once and completes', async () => {
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/orgs/{org}/hooks',
      times: 1,
      action: { kind: 'status', status: 401, body: badCredentials },
    });
    const { coverage } = await gh.scan();
    expect(coverage.status).toBe('complete');
    expect(statuses('/api/v3/orgs/{org}/hooks')).toEqual({ 200: 1, 401: 1 });
    // The token minted before the collectors ran, and one renewal.
    expect(statuses('/api/v3/app/installations/{installation_id}/access_tokens')).toEqual({ 201: 2 });
  });

  it('takes a refusal of the renewed token for the answer: one renewal, the tenant stops', async () => {
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/orgs/{org}/hooks',
      action: { kind: 'status', status: 401, body: badCredentials },
    });
    const { coverage } = await gh.scan();
    const hooks = coverage.collectors.find((c) => c.collector === 'org-webhooks')!;
    expect(hooks).toMatchObject({ status: 'failed', httpStatus: 401, api: 'GET /orgs/{org}/hooks' });
    expect(statuses('/api/v3/app/installations/{installation_id}/access_tokens')).toEqual({ 201: 2 });
    // The repository list went before (second in turn); the fan-outs after org-webhooks did not.
    expect(coverage.collectors.find((c) => c.collector === 'repositories')!.status).toBe('complete');
    for (const name of ['deploy-keys', 'outside-collaborators', 'repo-webhooks']) {
      expect(coverage.collectors.find((c) => c.collector === name)!.reason).toMatch(
        /^not reached: authentication failed in org-webhooks/,
      );
    }
  });
});
