import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import connector, { Microsoft365Config } from './index.js';

/**
 * An unreachable Entra ID or Microsoft Graph — nothing listening, a certificate nobody trusts, an
 * endpoint that does not speak HTTPS, a token endpoint that keeps failing — fails the tenant once, after
 * a bounded number of requests, with one message naming the host and the cause, where MSAL alone says
 * "endpoints_resolution_error" and undici "fetch failed".
 */
const NOW = new Date('2026-11-01T00:00:00Z');
const DEMO = 'fixtures/worlds/test/m365-demo.yaml';
const MAX_RETRIES = 2;

async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const reasons = (coverage: CoverageReport) => [...new Set(coverage.collectors.map((c) => c.reason))];

describe('Microsoft 365 unreachable: one message naming the host and the cause, few requests', () => {
  let emu: RunningEmulator;
  let plain: Server;
  let plainPort: number;
  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO, now: NOW });
    plain = createHttpServer((_req, res) => res.end('{}'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    plainPort = (plain.address() as { port: number }).port;
  });
  afterEach(() => {
    emu.faults.clear();
    emu.resetStats();
  });
  afterAll(async () => {
    await new Promise<void>((r) => plain.close(() => r()));
    await emu.stop();
  });

  async function scan(overrides: Record<string, unknown>, options: { trustEmulator?: boolean } = {}) {
    const setup = emu.clientSetup();
    const ctx = await createTestContext({
      connector,
      tenant: 'm365',
      ...(options.trustEmulator === false ? {} : { caCert: emu.caCert }),
      now: NOW,
      http: { retry: { maxRetries: MAX_RETRIES, baseDelayMs: 1, maxDelayMs: 5 } },
    });
    for (const [name, content] of Object.entries(setup.files))
      writeFileSync(`${ctx.configDir}/${name}`, content);
    const config = Microsoft365Config.parse({ ...(setup.config.microsoft365 as object), ...overrides });
    return collectScan(connector, config, ctx);
  }

  it('a closed port: "connection refused" for the login host, every collector failed once', async () => {
    const port = await closedPort();
    const origin = `https://127.0.0.1:${port}`;
    const { coverage, records } = await scan({ authorityHost: origin, graphBaseUrl: origin });
    expect(records).toEqual([]);
    expect(coverage.collectors.every((c) => c.status === 'failed' && c.httpStatus === null)).toBe(true);
    expect(reasons(coverage)).toHaveLength(1);
    expect(reasons(coverage)[0]).toMatch(
      new RegExp(
        `^entra-id POST /[^ ]+/oauth2/v2\\.0/token failed: cannot reach ${origin}: connection refused`,
      ),
    );
    expect(reasons(coverage)[0]).not.toMatch(/endpoints_resolution_error|fetch failed|500/);
  });

  it('a certificate nobody trusts: the message says to set tls.caFile', async () => {
    const { coverage } = await scan({}, { trustEmulator: false });
    expect(reasons(coverage)).toHaveLength(1);
    expect(reasons(coverage)[0]).toContain(
      `cannot reach ${emu.origin}: TLS certificate not trusted (set tls.caFile to the CA that signed it`,
    );
    expect(emu.stats().total).toBe(0);
  });

  it('an https:// URL to an endpoint that speaks plain HTTP: the handshake failure named', async () => {
    const origin = `https://127.0.0.1:${plainPort}`;
    const { coverage } = await scan({ authorityHost: origin });
    expect(reasons(coverage)).toHaveLength(1);
    expect(reasons(coverage)[0]).toContain(
      `cannot reach ${origin}: TLS handshake failed: the endpoint does not speak HTTPS`,
    );
  });

  it('an http:// URL is refused by the config (authorityHost and graphBaseUrl must be https)', () => {
    for (const key of ['authorityHost', 'graphBaseUrl']) {
      const r = Microsoft365Config.safeParse({
        tenantId: '84841066-274d-4ec0-a5c1-276be684bdd3',
        clientId: '5b1d0a3c-1111-4222-8333-444455556666',
        clientSecretEnv: 'X',
        [key]: `http://127.0.0.1:${plainPort}`,
      });
      expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual([key]);
    }
  });

  it('a token endpoint that keeps answering 500: bounded retries, the tenant fails once', async () => {
    emu.faults.add({
      service: 'login',
      path: '/{tenant}/oauth2/v2.0/token',
      action: {
        kind: 'status',
        status: 500,
        body: { error: 'server_error', error_description: 'AADSTS90033: A transient error has occurred.' },
      },
    });
    const { coverage } = await scan({});
    expect(coverage.collectors.every((c) => c.status === 'failed')).toBe(true);
    expect(reasons(coverage)).toHaveLength(1);
    expect(reasons(coverage)[0]).toMatch(
      /^entra-id POST \/[^ ]+\/oauth2\/v2\.0\/token returned 500: server_error/,
    );
    const token = emu.stats().routes.find((r) => r.pattern === '/{tenant}/oauth2/v2.0/token')!;
    expect(token.count).toBeLessThanOrEqual(1 + MAX_RETRIES);
    expect(emu.stats().routes.filter((r) => r.service === 'graph')).toEqual([]);
  });

  it('a token endpoint that never answers: each attempt times out, bounded retries, no hang', async () => {
    emu.faults.add({ service: 'login', path: '/{tenant}/oauth2/v2.0/token', action: { kind: 'timeout' } });
    const setup = emu.clientSetup();
    const ctx = await createTestContext({
      connector,
      tenant: 'm365',
      caCert: emu.caCert,
      now: NOW,
      http: { timeoutMs: 300, retry: { maxRetries: MAX_RETRIES, baseDelayMs: 1, maxDelayMs: 5 } },
    });
    for (const [name, content] of Object.entries(setup.files))
      writeFileSync(`${ctx.configDir}/${name}`, content);
    const { coverage } = await collectScan(
      connector,
      Microsoft365Config.parse(setup.config.microsoft365),
      ctx,
    );
    expect(coverage.collectors.every((c) => c.status === 'failed')).toBe(true);
    expect(reasons(coverage)).toHaveLength(1);
    expect(reasons(coverage)[0]).toMatch(
      new RegExp(
        `^entra-id POST /[^ ]+/oauth2/v2\\.0/token failed: no answer from ${emu.origin} to the token request \\(timed out after 0\\.3 s`,
      ),
    );
    expect(emu.faults.list()[0]!.applied).toBeLessThanOrEqual(1 + MAX_RETRIES);
  }, 30_000);

  it('Graph dropping every connection after a good token: the Graph host and cause named, bounded requests', async () => {
    emu.faults.add({ service: 'graph', path: '^/(v1\\.0|beta)/', action: { kind: 'reset' } });
    const { coverage } = await scan({});
    const sps = coverage.collectors.find((c) => c.collector === 'service-principals')!;
    expect(sps).toMatchObject({ status: 'failed', httpStatus: null, api: 'GET /servicePrincipals' });
    expect(sps.reason).toBe(
      `microsoft-graph GET /servicePrincipals failed: cannot reach ${emu.origin}: connection closed by the peer before it answered`,
    );
    // The three lists read at once (service principals, applications, sign-ins), each tried
    // 1 + retries times; nothing after them.
    const graph = emu.stats().routes.filter((r) => r.service === 'graph');
    expect(graph.reduce((n, r) => n + r.count, 0)).toBe(3 * (1 + MAX_RETRIES));
    for (const c of ['app-role-assignments', 'oauth2-permission-grants', 'owners']) {
      expect(coverage.collectors.find((x) => x.collector === c)!.reason).toMatch(
        /^not run: it needs the service-principals collector, which failed \(microsoft-graph GET \/servicePrincipals failed: cannot reach/,
      );
    }
  });

  it('a tenant id Entra does not know: "tenant not found" with its AADSTS90002 answer, once for the tenant', async () => {
    const wrong = '0badc0de-1da3-4124-974d-72e2bc80841b';
    const { coverage, records } = await scan({ tenantId: wrong });
    expect(records).toEqual([]);
    expect(coverage.collectors.every((c) => c.status === 'failed' && c.httpStatus === 400)).toBe(true);
    expect(reasons(coverage)).toHaveLength(1);
    // MSAL alone says endpoints_resolution_error; the metadata asked once more says why.
    expect(reasons(coverage)[0]).toBe(
      `tenant not found: ${new URL(emu.origin).host} answered 400 to GET /${wrong}/v2.0/.well-known/openid-configuration: invalid_tenant: AADSTS90002: Tenant '${wrong}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant. — check \`microsoft365.tenantId\` in the config (and \`microsoft365.authorityHost\` if the tenant is in a national cloud)`,
    );
    expect(coverage.tenantFailure).toEqual({
      notFound: true,
      summary: 'tenant not found',
      reason: reasons(coverage)[0],
      collector: null,
    });
    expect(emu.stats().routes.filter((r) => r.service === 'graph')).toEqual([]);
  });
});
