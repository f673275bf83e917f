import { describe, expect, it } from 'vitest';
import { createTestContext } from '../../test/support/connector-context.js';
import type { RenewableCredential } from './auth.js';
import { GraphApi } from './client.js';
import { endpointsOf, Microsoft365Config } from './config.js';
import connector from './index.js';

/** A Graph client paced as `resourceUnitsPer10s` says (unset: learnt from the tenant's size). */
async function graphApi(resourceUnitsPer10s?: number) {
  const ctx = await createTestContext({ connector, tenant: 'm365' });
  const config = Microsoft365Config.parse({
    tenantId: '5e1f0c2a-7b3d-4e9f-8a61-2c4d6e8f0a1b',
    clientId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
    clientSecretEnv: 'GS_TEST_UNUSED_SECRET',
    ...(resourceUnitsPer10s !== undefined && { resourceUnitsPer10s }),
  });
  // No request is sent: the credential is never asked for a token.
  const credential = {} as RenewableCredential;
  return new GraphApi(ctx, endpointsOf(config), credential, {
    resourceUnitsPer10s: config.resourceUnitsPer10s,
    timeScale: config.quotaTimeScale,
  });
}

describe("the Graph throttling bucket paced to, by the tenant's size", () => {
  it('unset: the smallest until the user count is known, then the bucket of that size', async () => {
    const graph = await graphApi();
    expect(graph.pacer.rate).toBe(3500);
    graph.learnTenantUsers(120);
    expect(graph.pacer.rate).toBe(5000);
    graph.learnTenantUsers(20_000);
    expect(graph.pacer.rate).toBe(8000);
  });

  it('set in the config: kept, whatever the tenant size', async () => {
    const graph = await graphApi(3500);
    graph.learnTenantUsers(20_000);
    expect(graph.pacer.rate).toBe(3500);
  });
});
