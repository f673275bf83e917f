import { writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import connector from './index.js';

/**
 * An unreachable Google — nothing listening, a certificate nobody trusts, an endpoint that does not
 * speak HTTPS, a token endpoint that keeps failing — fails the tenant after a bounded number of requests,
 * with a message naming the host and the cause, never gaxios' bare "fetch failed".
 */
const DEMO = 'fixtures/worlds/test/google-workspace.yaml';
const MAX_RETRIES = 2;
/** One token per scope group: users, tokens, audit, cloud read, IAM. */
const TOKEN_GROUPS = 5;

async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const failed = (coverage: CoverageReport) => coverage.collectors.filter((c) => c.status === 'failed');

describe('Google Workspace unreachable: the host and the cause named, few requests', () => {
  let emu: RunningEmulator;
  let plain: Server;
  let plainPort: number;
  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO });
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
      tenant: 'C03acme7x',
      ...(options.trustEmulator === false ? {} : { caCert: emu.caCert }),
      now: emu.now,
      http: { retry: { maxRetries: MAX_RETRIES, baseDelayMs: 1, maxDelayMs: 5 } },
    });
    for (const [name, content] of Object.entries(setup.files))
      await writeFile(join(ctx.configDir, name), content);
    const config = connector.configSchema.parse({
      ...(setup.config['google-workspace'] as object),
      ...overrides,
    });
    const result = await collectScan(connector, config, ctx);
    return { ...result, ctx };
  }

  it('a closed port for the token endpoint: "connection refused", every collector failed', async () => {
    const port = await closedPort();
    const tokenUri = `https://127.0.0.1:${port}/token`;
    const { coverage, ctx } = await scan({ tokenUri });
    expect(
      failed(coverage)
        .map((c) => c.collector)
        .sort(),
    ).toEqual(coverage.collectors.map((c) => c.collector).sort());
    const first = coverage.collectors.find((c) => c.collector === 'users')!;
    expect(first).toMatchObject({ httpStatus: null, api: 'POST /token' });
    expect(first.reason).toContain(`cannot reach https://127.0.0.1:${port}: connection refused`);
    expect(first.reason).not.toMatch(/fetch failed|500/);
    // At most one token request (and its retries) per scope group; no API call.
    expect(ctx.requests.length).toBeLessThanOrEqual(TOKEN_GROUPS * (1 + MAX_RETRIES));
    expect(emu.stats().total).toBe(0);
  });

  it('a certificate nobody trusts: no retry, the message says to set tls.caFile', async () => {
    const { coverage, ctx } = await scan({}, { trustEmulator: false });
    const first = coverage.collectors.find((c) => c.collector === 'users')!;
    expect(first.reason).toContain(
      `cannot reach ${emu.origin}: TLS certificate not trusted (set tls.caFile to the CA that signed it`,
    );
    // Retrying cannot help: one attempt, and once the host is known untrusted, nothing more is sent.
    expect(ctx.requests.length).toBe(1);
    expect(failed(coverage)).toHaveLength(coverage.collectors.length);
  });

  it('an https:// API root that speaks plain HTTP: the handshake failure named', async () => {
    const apiRoot = `https://127.0.0.1:${plainPort}/`;
    const { coverage } = await scan({ apiRoot });
    const users = coverage.collectors.find((c) => c.collector === 'users')!;
    expect(users).toMatchObject({ status: 'failed', httpStatus: null });
    expect(users.reason).toContain(
      `cannot reach https://127.0.0.1:${plainPort}: TLS handshake failed: the endpoint does not speak HTTPS`,
    );
  });

  it('an API host that drops every tokens.list connection: the per-user fan-out stops at the first user', async () => {
    emu.faults.add({ path: '^/admin/directory/v1/users/[^/]+/tokens$', action: { kind: 'reset' } });
    const { coverage } = await scan({});
    const grants = coverage.collectors.find((c) => c.collector === 'oauth-grants')!;
    expect(grants).toMatchObject({ status: 'failed', httpStatus: null });
    expect(grants.reason).toBe(
      `Admin SDK Directory API GET /admin/directory/v1/users/{userKey}/tokens failed: cannot reach ${emu.origin}: connection closed by the peer before it answered`,
    );
    // 14 users, but only the first (the probe) is tried, with its retries.
    expect(emu.faults.list()[0]!.applied).toBe(1 + MAX_RETRIES);
    expect(coverage.collectors.find((c) => c.collector === 'users')!.status).toBe('complete');
  });

  it('a token endpoint that keeps answering 500: bounded retries per token', async () => {
    emu.faults.add({
      path: '/token',
      action: {
        kind: 'status',
        status: 500,
        body: { error: 'internal_failure', error_description: 'Backend Error' },
      },
    });
    const { coverage } = await scan({});
    expect(failed(coverage)).toHaveLength(coverage.collectors.length);
    const users = coverage.collectors.find((c) => c.collector === 'users')!;
    expect(users).toMatchObject({ httpStatus: 500, api: 'POST /token' });
    const token = emu.stats().routes.find((r) => r.pattern === '/token')!;
    expect(token.count).toBeLessThanOrEqual(TOKEN_GROUPS * (1 + MAX_RETRIES));
    expect(emu.stats().routes.filter((r) => r.pattern !== '/token')).toEqual([]);
  });
});
