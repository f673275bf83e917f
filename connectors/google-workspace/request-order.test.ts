import { mkdtempSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import connector from './index.js';

/**
 * The order a scan sends its requests in, under the connector's shared concurrency limit: tokens.list
 * for every user is the long fan-out, and the IAM reads (projects, service accounts, then their keys)
 * must not wait behind all of it. Otherwise the key reads start only once the last user's tokens.list
 * is queued, and they, not the fan-out, end the collection.
 */
describe('Google request order under the shared limit', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-request-order-'));
    const world = join(dir, 'world.json');
    writeFileSync(
      world,
      JSON.stringify({
        name: 'request order',
        now: '2026-11-01T00:00:00Z',
        'google-workspace': {
          customer: { id: 'C0order', domain: 'order.example' },
          // 20 projects of 8 service accounts: 160 key lists, against 300 users' tokens.list.
          generate: { seed: 7, users: 300 },
        },
      }),
    );
    emu = await startEmulator({ world });
  }, 30_000);
  afterAll(() => emu?.stop());

  it('reads the service-account keys while tokens.list is still running, not after it', async () => {
    const setup = emu.clientSetup();
    const ctx = await createTestContext({
      connector,
      tenant: 'C0order',
      caCert: emu.caCert,
      now: emu.now,
      concurrency: 2,
    });
    for (const [name, content] of Object.entries(setup.files))
      await writeFile(join(ctx.configDir, name), content);
    const result = await collectScan(
      connector,
      connector.configSchema.parse(setup.config['google-workspace']),
      ctx,
    );
    expect(result.coverage.status).toBe('complete');
    const paths = ctx.requests.map((r) => new URL(r.url).pathname);
    const isTokens = (p: string) => /^\/admin\/directory\/v1\/users\/[^/]+\/tokens$/.test(p);
    const isKeys = (p: string) => /^\/v1\/projects\/[^/]+\/serviceAccounts\/[^/]+\/keys$/.test(p);
    expect(paths.filter(isTokens)).toHaveLength(300);
    expect(paths.filter(isKeys)).toHaveLength(160);
    const lastKeys = paths.findLastIndex(isKeys);
    const tokensAfter = paths.slice(lastKeys + 1).filter(isTokens).length;
    // Queued all at once, every tokens.list would go before the first key list (none after the last).
    expect(tokensAfter).toBeGreaterThan(150);
  }, 60_000);
});
