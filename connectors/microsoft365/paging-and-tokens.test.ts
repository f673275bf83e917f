import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import connector, { Microsoft365Config } from './index.js';

/**
 * A `@odata.nextLink` that leads back to a page already read fails the collector instead of looping; an
 * access token Graph refuses mid-scan (401 InvalidAuthenticationToken: expired or revoked early) is
 * renewed once and the scan goes on, and a token refused again after renewal is the answer.
 */
const NOW = new Date('2026-11-01T00:00:00Z');
const DEMO = 'fixtures/worlds/test/m365-demo.yaml';
const expired = {
  error: {
    code: 'InvalidAuthenticationToken',
    message: 'Lifetime validation failed, the token is expired.',
  },
};

describe('Microsoft Graph paging loops and tokens refused mid-scan', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO, now: NOW });
  });
  afterEach(() => {
    emu.faults.clear();
    emu.resetStats();
  });
  afterAll(() => emu.stop());

  async function scan() {
    const setup = emu.clientSetup();
    const ctx = await createTestContext({ connector, tenant: 'm365', caCert: emu.caCert, now: NOW });
    for (const [name, content] of Object.entries(setup.files))
      writeFileSync(`${ctx.configDir}/${name}`, content);
    const result = await collectScan(connector, Microsoft365Config.parse(setup.config.microsoft365), ctx);
    return {
      ...result,
      byCollector: Object.fromEntries(result.coverage.collectors.map((c) => [c.collector, c])),
    };
  }
  const count = (pattern: string) => emu.stats().routes.find((r) => r.pattern === pattern)?.count ?? 0;

  it('fails the collector when @odata.nextLink leads back to a page already read', async () => {
    const loop = `${emu.origin}/v1.0/applications?$skiptoken=same-page`;
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/applications',
      action: { kind: 'status', status: 200, body: { value: [], '@odata.nextLink': loop } },
    });
    const r = await scan();
    expect(r.byCollector['application-credentials']).toMatchObject({
      status: 'failed',
      httpStatus: 200,
      api: 'GET /applications',
      requests: 2,
    });
    expect(r.byCollector['application-credentials']!.reason).toBe(
      'microsoft-graph GET /applications returned 200: paging did not advance: @odata.nextLink leads back to a page already read, after 2 page(s); stopped instead of looping',
    );
    expect(count('/v1.0/applications')).toBe(2);
    expect(r.byCollector['service-principals']!.status).toBe('complete');
  });

  it('fails the collector when @odata.nextLink points back to the first page', async () => {
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/oauth2PermissionGrants',
      action: {
        kind: 'status',
        status: 200,
        body: {
          value: [],
          '@odata.nextLink': `${emu.origin}/v1.0/oauth2PermissionGrants?$select=id,clientId,consentType,principalId,resourceId,scope&$top=999`,
        },
      },
    });
    const r = await scan();
    expect(r.byCollector['oauth2-permission-grants']).toMatchObject({ status: 'failed', requests: 1 });
    expect(r.byCollector['oauth2-permission-grants']!.reason).toMatch(/paging did not advance/);
  });

  it('renews an access token Graph refuses mid-scan, once, and completes', async () => {
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/servicePrincipals',
      times: 1,
      action: { kind: 'status', status: 401, body: expired },
    });
    const r = await scan();
    expect(r.coverage.status).toBe('complete');
    expect(count('/{tenant}/oauth2/v2.0/token')).toBe(2);
    expect(count('/v1.0/servicePrincipals')).toBe(2);
  });

  it('takes a second refusal after renewal for the answer: the collector fails with 401, one renewal per burst', async () => {
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/servicePrincipals',
      action: { kind: 'status', status: 401, body: expired },
    });
    const r = await scan();
    expect(r.byCollector['service-principals']).toMatchObject({ status: 'failed', httpStatus: 401 });
    expect(r.byCollector['service-principals']!.reason).toContain('InvalidAuthenticationToken');
    expect(count('/v1.0/servicePrincipals')).toBe(2);
    // The first token, and one renewal for the refused service-principal list.
    expect(count('/{tenant}/oauth2/v2.0/token')).toBe(2);
  });
});
