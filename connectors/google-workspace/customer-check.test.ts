import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import connector from './index.js';

/**
 * A customer id that is not the admin's stops the tenant before any collector runs: the audit log, the
 * delegations and the GCP projects never send it, so they would otherwise store the admin's own customer
 * under the wrong tenant id. Other failures of the check are left to the users collector.
 */
const WORLD = 'fixtures/worlds/test/google-workspace.yaml';

describe('Google customer check', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: WORLD });
  });
  afterEach(() => {
    emu.faults.clear();
    emu.resetStats();
  });
  afterAll(() => emu.stop());

  async function scan(customerId: string) {
    const setup = emu.clientSetup();
    const ctx = await createTestContext({
      connector,
      tenant: customerId,
      caCert: emu.caCert,
      now: emu.now,
      http: { retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5 } },
    });
    for (const [name, content] of Object.entries(setup.files))
      await writeFile(join(ctx.configDir, name), content);
    const config = connector.configSchema.parse({
      ...(setup.config['google-workspace'] as object),
      customerId,
    });
    return collectScan(connector, config, ctx);
  }
  const count = (pattern: string) =>
    emu
      .stats()
      .routes.filter((r) => r.pattern === pattern)
      .reduce((n, r) => n + r.count, 0);

  it('a wrong customerId: every collector failed with "customer not found", nothing emitted or read', async () => {
    const { coverage, records } = await scan('C99wrong1');
    expect(records).toEqual([]);
    expect(coverage.collectors.every((c) => c.status === 'failed')).toBe(true);
    expect(new Set(coverage.collectors.map((c) => c.reason))).toEqual(
      new Set([
        'customer not found: Google answered 400 badRequest to GET /admin/directory/v1/users?customer=C99wrong1 — check `google-workspace.customerId` in the config (Admin console → Account → Account settings → Customer ID, signed in as it-admin@acme.example)',
      ]),
    );
    expect(coverage.tenantFailure).toMatchObject({
      notFound: true,
      summary: 'customer not found',
      collector: null,
    });
    // One check; no audit log, delegation or GCP read under the wrong id.
    expect(count('/admin/directory/v1/users')).toBe(1);
    expect(count('/admin/reports/v1/activity/users/{userKey}/applications/{applicationName}')).toBe(0);
    expect(count('/v3/projects:search')).toBe(0);
  });

  it('the right customer: the check passes and the scan completes', async () => {
    const { coverage } = await scan('C03acme7x');
    expect(coverage.tenantFailure).toBeUndefined();
    expect(coverage.status).toBe('complete');
  });

  it('a check refused for another reason (403) is not "not found": the users collector reports it', async () => {
    emu.faults.add({
      path: '^/admin/directory/v1/users$',
      action: {
        kind: 'status',
        status: 403,
        body: {
          error: {
            code: 403,
            message: 'Not Authorized to access this resource/api',
            errors: [
              {
                message: 'Not Authorized to access this resource/api',
                domain: 'global',
                reason: 'forbidden',
              },
            ],
          },
        },
      },
    });
    const { coverage } = await scan('C03acme7x');
    expect(coverage.tenantFailure).toBeUndefined();
    const users = coverage.collectors.find((c) => c.collector === 'users')!;
    expect(users).toMatchObject({ status: 'failed', httpStatus: 403 });
    expect(coverage.collectors.find((c) => c.collector === 'service-accounts')!.status).toBe('complete');
  });
});
