import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import { GITHUB_CLASSIC_TOKEN_FILE } from '../../src/emulator/github/index.js';
import { type EmulatedGithub, emulatedGithub } from '../../test/support/emulated-github.js';

/**
 * An unreachable GitHub — nothing listening, a certificate nobody trusts, an endpoint that does not speak
 * HTTPS, a token endpoint that keeps failing — stops the tenant once, after a bounded number of requests,
 * with one message that names the host and the cause. A refused connection is never called an HTTP 500.
 */
const WORLD = new URL('../../fixtures/worlds/test/github-demo.yaml', import.meta.url).pathname;
const MAX_RETRIES = 4;

/** A port on 127.0.0.1 with nothing listening. */
async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const reasons = (coverage: CoverageReport) => [...new Set(coverage.collectors.map((c) => c.reason))];

describe('GitHub unreachable: one message naming the host and the cause, few requests', () => {
  let gh: EmulatedGithub;
  let plain: Server;
  let plainPort: number;
  beforeAll(async () => {
    gh = await emulatedGithub(WORLD);
    plain = createHttpServer((_req, res) => res.end('{}'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    plainPort = (plain.address() as { port: number }).port;
  });
  afterEach(() => {
    gh.emu.faults.clear();
    gh.emu.resetStats();
  });
  afterAll(async () => {
    await new Promise<void>((r) => plain.close(() => r()));
    await gh.stop();
  });

  const scanAt = (baseUrl: string, context: Record<string, unknown> = {}) =>
    gh.scan({
      config: { baseUrl },
      context: { http: { retry: { baseDelayMs: 1, maxDelayMs: 5 } }, ...context },
    });

  it('a closed port: connection refused, retried a bounded number of times, every collector failed once', async () => {
    const port = await closedPort();
    const { coverage, ctx } = await scanAt(`https://127.0.0.1:${port}/api/v3`);
    expect(coverage.status).toBe('incomplete');
    expect(reasons(coverage)).toEqual([
      `GitHub REST POST /app/installations/{installation_id}/access_tokens failed: cannot reach https://127.0.0.1:${port}: connection refused (nothing listens on that port)`,
    ]);
    expect(coverage.collectors.every((c) => c.status === 'failed' && c.httpStatus === null)).toBe(true);
    // The token request and its retries; nothing after it.
    expect(coverage.requests).toBe(1 + MAX_RETRIES);
    expect(ctx.sleeps).toHaveLength(MAX_RETRIES);
  });

  it('a certificate nobody trusts: no retry, and the message says to set tls.caFile', async () => {
    // The emulator, without its CA.
    const { coverage } = await scanAt(gh.config.baseUrl!, { caCert: undefined });
    expect(reasons(coverage)).toHaveLength(1);
    expect(reasons(coverage)[0]).toContain(
      `cannot reach ${gh.emu.origin}: TLS certificate not trusted (set tls.caFile to the CA that signed it`,
    );
    expect(coverage.requests).toBe(1);
    expect(gh.emu.stats().total).toBe(0);
  });

  it('an https:// URL to an endpoint that speaks plain HTTP: no retry, the handshake failure named', async () => {
    const { coverage } = await scanAt(`https://127.0.0.1:${plainPort}/api/v3`);
    expect(reasons(coverage)).toEqual([
      `GitHub REST POST /app/installations/{installation_id}/access_tokens failed: cannot reach https://127.0.0.1:${plainPort}: TLS handshake failed: the endpoint does not speak HTTPS (an http:// service?)`,
    ]);
    expect(coverage.requests).toBe(1);
  });

  it('an http:// URL is refused before anything is sent (github.baseUrl must be https)', async () => {
    await expect(scanAt(`http://127.0.0.1:${plainPort}/api/v3`)).rejects.toThrow(/baseUrl|https:\/\//);
  });

  it('a token endpoint that keeps answering 500: retried a bounded number of times, the tenant stops once', async () => {
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/app/installations/{installation_id}/access_tokens',
      action: { kind: 'status', status: 500, body: { message: 'Server Error' } },
    });
    const { coverage } = await scanAt(gh.config.baseUrl!);
    expect(coverage.collectors.every((c) => c.status === 'failed')).toBe(true);
    expect(reasons(coverage)).toEqual([
      'GitHub REST POST /app/installations/{installation_id}/access_tokens returned 500: Server Error',
    ]);
    expect(gh.emu.stats().total).toBe(1 + MAX_RETRIES);
    expect(coverage.requests).toBe(1 + MAX_RETRIES);
  });

  it('with a token (no token request), the first collector meets the refusal and the rest are not reached', async () => {
    const port = await closedPort();
    process.env.GS_TEST_GITHUB_UNREACHABLE = gh.emu.clientSetup().files[GITHUB_CLASSIC_TOKEN_FILE]!;
    try {
      const { coverage } = await gh.scan({
        config: {
          app: undefined,
          tokenEnv: 'GS_TEST_GITHUB_UNREACHABLE',
          baseUrl: `https://127.0.0.1:${port}/api/v3`,
        },
        context: { http: { retry: { baseDelayMs: 1, maxDelayMs: 5 } } },
      });
      const members = coverage.collectors.find((c) => c.collector === 'members')!;
      expect(members).toMatchObject({ status: 'failed', httpStatus: null, api: 'GET /orgs/{org}/members' });
      expect(members.reason).toContain(`cannot reach https://127.0.0.1:${port}: connection refused`);
      for (const c of coverage.collectors.filter(
        (x) => x.collector !== 'members' && x.status !== 'unavailable',
      )) {
        expect(c.reason, c.collector).toBe(
          `not reached: cannot reach https://127.0.0.1:${port}: connection refused (nothing listens on that port)`,
        );
      }
      expect(coverage.requests).toBe(1 + MAX_RETRIES);
    } finally {
      delete process.env.GS_TEST_GITHUB_UNREACHABLE;
    }
  });
});

describe('GitHub organisation not found', () => {
  let gh: EmulatedGithub;
  beforeAll(async () => {
    gh = await emulatedGithub(WORLD);
  });
  afterAll(() => gh.stop());

  it('a wrong org name: one "organisation not found" for the tenant, not a 404 per collector', async () => {
    const { coverage } = await gh.scan({ config: { org: 'acme-crop' } });
    expect(coverage.status).toBe('incomplete');
    // The collector that met the 404 says so; every other one is stopped with the tenant-level reason.
    const [first, ...rest] = coverage.collectors;
    expect(first!.collector).toBe('members');
    expect(first!.httpStatus).toBe(404);
    expect(rest.length).toBeGreaterThan(5);
    for (const c of rest)
      expect(c.reason).toMatch(
        /^not reached: organisation not found: GitHub answered 404 to GET \/orgs\/\{org\}\/members — check `github\.org`/,
      );
    // Kept for the tenant, typed: the members collector met it.
    expect(coverage.tenantFailure).toMatchObject({
      notFound: true,
      summary: 'organisation not found',
      collector: 'members',
    });
  });
});
