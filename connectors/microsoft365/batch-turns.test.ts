import { writeFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { createTestContext } from '../../test/support/connector-context.js';
import { BATCH_SIZE } from './client.js';
import connector, { Microsoft365Config } from './index.js';
import { DirectoryObjectId } from './schema.js';
import { connect } from './session.js';

/**
 * A large `$batch` fan-out (the owners of a tenant) keeps no more of its posts waiting in the request
 * limiter than the limiter has slots, so that another collector's next request (a page of a nextLink
 * chain) waits for one slot to free rather than for the whole fan-out. Against the emulator.
 */
const NOW = new Date('2026-11-01T00:00:00Z');
const DEMO = 'fixtures/worlds/test/m365-demo.yaml';

describe('Microsoft Graph $batch fan-out and other requests', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO, now: NOW });
  });
  afterAll(() => emu.stop());

  it('queues at most as many $batch posts as the limiter has slots; a list read meanwhile is served before the fan-out ends', async () => {
    const setup = emu.clientSetup();
    const base = await createTestContext({ connector, tenant: 'm365', caCert: emu.caCert, now: NOW });
    for (const [name, content] of Object.entries(setup.files))
      writeFileSync(`${base.configDir}/${name}`, content);
    const slots = 2;
    const inner = pLimit(slots);
    let mostWaiting = 0;
    const order: string[] = [];
    const limit = Object.assign(
      <T>(fn: () => Promise<T>) => {
        const queued = inner(fn);
        mostWaiting = Math.max(mostWaiting, inner.pendingCount);
        return queued;
      },
      { concurrency: slots },
    ) as unknown as typeof inner;
    const ctx = { ...base, limit };
    const s = await connect(Microsoft365Config.parse(setup.config.microsoft365), ctx);
    const ids: string[] = [];
    for await (const page of s.graph.list('/servicePrincipals?$select=id&$top=999', DirectoryObjectId, {
      api: 'GET /servicePrincipals',
      requiredPermission: 'Application.Read.All',
    }))
      ids.push(...page.map((p) => p.id));
    // 12 posts of 20 lookups of the same service principals under different keys.
    const items = Array.from({ length: 12 * BATCH_SIZE }, (_, n) => ({
      key: `k${n}`,
      url: `/servicePrincipals/${ids[n % ids.length]}?$select=id`,
      collection: false,
      schema: DirectoryObjectId,
    }));
    const info = { api: 'GET /servicePrincipals/{id}', requiredPermission: 'Application.Read.All' };
    const fanOut = s.graph.batch(items, info).then((r) => {
      order.push('fan-out');
      return r;
    });
    const listed = (async () => {
      for await (const _ of s.graph.list('/applications?$select=id&$top=999', DirectoryObjectId, info));
      order.push('list');
    })();
    const results = await fanOut;
    await listed;
    expect(results.size).toBe(items.length);
    expect([...results.values()].every((r) => r.status === 200)).toBe(true);
    expect(mostWaiting).toBeLessThanOrEqual(slots);
    expect(order).toEqual(['list', 'fan-out']);
  });
});
