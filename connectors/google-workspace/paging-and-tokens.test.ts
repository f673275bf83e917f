import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import connector from './index.js';

/**
 * A `nextPageToken` that leads back to a page already read fails the collector instead of looping; an
 * access token Google refuses mid-scan (401: expired or revoked before its time) is renewed once and the
 * scan goes on, and a token refused again after renewal is the answer.
 */
const DEMO = 'fixtures/worlds/test/google-workspace.yaml';
const unauthenticated = {
  error: {
    code: 401,
    message:
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError' }],
    status: 'UNAUTHENTICATED',
  },
};

describe('Google paging loops and tokens refused mid-scan', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO });
  });
  afterEach(() => {
    emu.faults.clear();
    emu.resetStats();
  });
  afterAll(() => emu.stop());

  async function scan() {
    const setup = emu.clientSetup();
    const ctx = await createTestContext({
      connector,
      tenant: 'C03acme7x',
      caCert: emu.caCert,
      now: emu.now,
      http: { retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 } },
    });
    for (const [name, content] of Object.entries(setup.files))
      await writeFile(join(ctx.configDir, name), content);
    const result = await collectScan(
      connector,
      connector.configSchema.parse(setup.config['google-workspace']),
      ctx,
    );
    return {
      ...result,
      byCollector: Object.fromEntries(result.coverage.collectors.map((c) => [c.collector, c])),
    };
  }
  const count = (pattern: string, method = 'GET') =>
    emu.stats().routes.find((r) => r.pattern === pattern && r.method === method)?.count ?? 0;

  it('fails the collector when nextPageToken repeats, after two requests', async () => {
    emu.faults.add({
      path: '^/v3/projects:search$',
      action: { kind: 'status', status: 200, body: { projects: [], nextPageToken: 'the-same-page' } },
    });
    const r = await scan();
    expect(r.byCollector['gcp-projects']).toMatchObject({ status: 'failed', httpStatus: 200 });
    expect(r.byCollector['gcp-projects']!.reason).toMatch(
      /paging did not advance \(page token repeated after 2 pages\)/,
    );
    expect(count('/v3/projects:search')).toBe(2);
    expect(r.byCollector.users!.status).toBe('complete');
  });

  it('renews an access token Google refuses mid-scan, once, and completes', async () => {
    // The first users.list is the customer check when the scan opens (customer-check.ts); the second, the
    // users collector's page, is refused.
    emu.faults.add({
      path: '^/admin/directory/v1/users$',
      skip: 1,
      times: 1,
      action: { kind: 'status', status: 401, body: unauthenticated },
    });
    const r = await scan();
    expect(r.coverage.status).toBe('complete');
    expect(count('/admin/directory/v1/users')).toBe(3);
    // One token per scope group (5), and one renewal.
    expect(count('/token', 'POST')).toBe(6);
  });

  it('takes a second refusal after renewal for the answer: the collector fails with 401', async () => {
    emu.faults.add({
      path: '^/admin/directory/v1/users$',
      skip: 1,
      action: { kind: 'status', status: 401, body: unauthenticated },
    });
    const r = await scan();
    expect(r.byCollector.users).toMatchObject({ status: 'failed', httpStatus: 401 });
    // The customer check, then the collector's page and its one retry with a renewed token.
    expect(count('/admin/directory/v1/users')).toBe(3);
    expect(r.byCollector['service-accounts']!.status).toBe('complete');
  });
});
