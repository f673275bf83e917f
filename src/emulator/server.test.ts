import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkRequests } from '../../test/conformance/index.js';
import { exemptFromRequestConformance } from '../../test/support/conformance.js';
import { createHttpPolicy } from '../connector/http.js';
import { describeAuthorization, JOURNAL_ENV, type RecordedRequest } from './journal.js';
import type { EmulatorPlatform } from './platform.js';
import { type RunningEmulator, startEmulator } from './server.js';
import type { World } from './world.js';

/** A toy platform: proves the server core (TLS, routing, faults, stats, world switching) on its own. */
const toy: EmulatorPlatform<{ items: string[]; createdAt: string }> = {
  key: 'toy',
  load: (section) => z.object({ items: z.array(z.string()), createdAt: z.string() }).parse(section),
  routes: (state) => [
    {
      service: 'toy',
      method: 'GET',
      pattern: '/toy/{name}/items',
      handler: (req) => {
        const s = state();
        if (!s) return { status: 404, body: { message: 'no toy' } };
        return { status: 200, body: { name: req.params.name, items: s.items, createdAt: s.createdAt } };
      },
      faults: {
        tokenExpired: () => ({ status: 401, body: { message: 'toy token expired' } }),
        permissionDenied: () => ({ status: 403, body: { message: 'toy permission missing' } }),
        notFound: () => ({ status: 404, body: { message: 'no such toy' } }),
        loopPaging: (req, resp) => ({
          ...resp,
          body: { ...(resp.body as object), next: `${req.origin}${req.path}?${req.query}` },
        }),
      },
    },
    { service: 'toy', method: 'GET', pattern: '/plain', handler: () => ({ status: 200, body: {} }) },
  ],
  clientSetup: (_s, ctx) => ({ config: { toy: { baseUrl: ctx.origin() } }, files: {} }),
};

const world = (items: string[]): World => ({
  name: 'toy',
  description: null,
  now: null,
  faults: [],
  platforms: { toy: { items, createdAt: 'now-2d' } },
  files: [],
});

// This file probes the server core with requests no vendor describes (an unrouted path, on purpose).
exemptFromRequestConformance('server core probes with a toy platform and an unrouted path');

describe('emulator server core', () => {
  let emu: RunningEmulator;
  let fetch: typeof globalThis.fetch;
  beforeAll(async () => {
    emu = await startEmulator({
      world: world(['a', 'b']),
      platforms: [toy],
      now: new Date('2026-01-10T00:00:00Z'),
    });
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/gs-emu-'));
    const caFile = `${dir}/ca.pem`;
    await import('node:fs/promises').then((fs) => fs.writeFile(caFile, emu.caCert));
    fetch = createHttpPolicy({ caFile }).fetch;
  });
  afterAll(() => emu.stop());

  it('serves over HTTPS trusted through the generated CA, resolving relative dates', async () => {
    const r = await fetch(`${emu.origin}/toy/x%40y/items`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ name: 'x@y', items: ['a', 'b'], createdAt: '2026-01-08T00:00:00Z' });
  });

  it('rejects clients that do not trust the CA', async () => {
    await expect(createHttpPolicy().fetch(`${emu.origin}/toy/x/items`)).rejects.toThrow();
  });

  it('applies faults for the requested number of matching calls, then recovers', async () => {
    emu.faults.add({
      service: 'toy',
      path: '/toy/{name}/items',
      times: 2,
      action: { kind: 'rate-limit', retryAfter: 3 },
    });
    const a = await fetch(`${emu.origin}/toy/x/items`);
    const b = await fetch(`${emu.origin}/toy/x/items`);
    const c = await fetch(`${emu.origin}/toy/x/items`);
    expect([a.status, b.status, c.status]).toEqual([429, 429, 200]);
    expect(a.headers.get('retry-after')).toBe('3');
  });

  it('resets connections and sends malformed bodies on demand', async () => {
    emu.faults.add({ path: '^/toy/reset/', times: 1, action: { kind: 'reset' } });
    await expect(fetch(`${emu.origin}/toy/reset/items`)).rejects.toThrow();
    emu.faults.add({ path: '^/toy/bad/', times: 1, action: { kind: 'malformed' } });
    const r = await fetch(`${emu.origin}/toy/bad/items`);
    await expect(r.json()).rejects.toThrow();
  });

  it('resets the connection after part of the body (RST), unlike truncate (FIN)', async () => {
    const cause = async (path: string) => {
      const r = await fetch(`${emu.origin}${path}`);
      expect(r.status).toBe(200);
      const err = await r.text().then(
        () => null,
        (e: Error & { cause?: { code?: string } }) => e,
      );
      expect(err).not.toBeNull();
      return err!.cause?.code;
    };
    emu.faults.add({ path: '^/toy/rst/', times: 1, action: { kind: 'reset-mid-body' } });
    expect(await cause('/toy/rst/items')).toBe('ECONNRESET');
    emu.faults.add({ path: '^/toy/cut/', times: 1, action: { kind: 'truncate' } });
    expect(await cause('/toy/cut/items')).not.toBe('ECONNRESET');
    expect((await fetch(`${emu.origin}/toy/rst/items`)).status).toBe(200);
  });

  it('leaves a request unanswered until the client gives up', async () => {
    emu.faults.add({ path: '^/toy/hang/', times: 1, action: { kind: 'timeout' } });
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/gs-emu-'));
    await import('node:fs/promises').then((fs) => fs.writeFile(`${dir}/ca.pem`, emu.caCert));
    const impatient = createHttpPolicy({ caFile: `${dir}/ca.pem`, timeoutMs: 200 }).fetch;
    await expect(impatient(`${emu.origin}/toy/hang/items`)).rejects.toThrow();
    expect((await fetch(`${emu.origin}/toy/hang/items`)).status).toBe(200);
  });

  it('answers platform-shaped faults with the route’s own answers, and keeps an expired token refused', async () => {
    const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    emu.faults.add({ path: '^/toy/', times: 1, action: { kind: 'token-expired' } });
    const expired = await fetch(`${emu.origin}/toy/x/items`, as('one'));
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ message: 'toy token expired' });
    expect((await fetch(`${emu.origin}/toy/y/items`, as('one'))).status).toBe(401);
    expect((await fetch(`${emu.origin}/toy/y/items`, as('two'))).status).toBe(200);
    emu.faults.add({ path: '^/toy/x/', times: 1, action: { kind: 'permission-denied' } });
    expect((await fetch(`${emu.origin}/toy/x/items`)).status).toBe(403);
    emu.faults.add({ path: '^/toy/x/', times: 1, action: { kind: 'not-found' } });
    expect((await fetch(`${emu.origin}/toy/x/items`)).status).toBe(404);
    emu.faults.add({ path: '^/toy/x/', times: 1, action: { kind: 'paging-loop' } });
    expect((await (await fetch(`${emu.origin}/toy/x/items?page=2`)).json()).next).toBe(
      `${emu.origin}/toy/x/items?page=2`,
    );
    // A route without an answer for a fault says the emulator cannot produce it.
    emu.faults.add({ path: '^/plain', times: 1, action: { kind: 'not-found' } });
    const cannot = await fetch(`${emu.origin}/plain`);
    expect(cannot.status).toBe(500);
    expect((await cannot.json()).message).toBe(
      "emulator error: cannot produce a 'not-found' fault on GET /plain",
    );
  });

  it('counts requests per route and status', async () => {
    emu.resetStats();
    await fetch(`${emu.origin}/toy/x/items`);
    await fetch(`${emu.origin}/nowhere`);
    const s = emu.stats();
    expect(s.total).toBe(2);
    expect(s.routes.find((r) => r.pattern === '/toy/{name}/items')?.statuses).toEqual({ 200: 1 });
  });

  it('switches worlds without restarting', async () => {
    emu.setWorld(world(['c']));
    const r = await fetch(`${emu.origin}/toy/x/items`);
    expect((await r.json()).items).toEqual(['c']);
  });

  it('journals every request without its credentials, and the check flags an unrouted one', async () => {
    const journal = process.env[JOURNAL_ENV]!;
    const before = readFileSync(journal, 'utf8').split('\n').filter(Boolean).length;
    await fetch(`${emu.origin}/toy/x%40y/items?a=1&b=two`, {
      headers: { authorization: 'token ghs_abcdefghijklmnopqrstuvwxyz0123456789' },
    });
    await fetch(`${emu.origin}/nowhere`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_secret=s3cr3t-value&scope=x',
    });
    const text = readFileSync(journal, 'utf8');
    expect(text).not.toContain('ghs_abcdef');
    expect(text).not.toContain('s3cr3t-value');
    const [toyReq, unrouted] = text
      .split('\n')
      .filter(Boolean)
      .slice(before)
      .map((l) => JSON.parse(l) as RecordedRequest);
    expect(toyReq).toMatchObject({
      platform: 'toy',
      service: 'toy',
      method: 'GET',
      path: '/toy/x%40y/items',
      pattern: '/toy/{name}/items',
      query: [
        ['a', '1'],
        ['b', 'two'],
      ],
      status: 200,
    });
    expect(toyReq!.headers.authorization).toBe('token <opaque:ghs>');
    expect(unrouted).toMatchObject({ platform: null, status: 404 });
    expect(unrouted!.body).toEqual({
      grant_type: 'client_credentials',
      client_secret: '[redacted]',
      scope: 'x',
    });
    const result = checkRequests([toyReq!, unrouted!]);
    expect(result.unchecked).toBe(1);
    expect(result.violations.map((v) => v.request)).toEqual(['POST /nowhere']);
  });

  it('describes credentials by kind only', () => {
    expect(describeAuthorization('Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxIn0.c2ln')).toBe('Bearer <jwt>');
    expect(describeAuthorization('token ghs_16C7e42F292c6912E7710c838347Ae178B4a')).toBe(
      'token <opaque:ghs>',
    );
    expect(describeAuthorization('Bearer ya29.a0AfH6SMB')).toBe('Bearer <opaque:ya29>');
    expect(describeAuthorization('Basic dXNlcjpwYXNz')).toBe('Basic <opaque>');
  });
});
