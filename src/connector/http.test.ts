import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../package-root.js';
import {
  bodyInMemory,
  createHttpPolicy,
  EndpointUnreachableError,
  isEndpointWide,
  transportFailure,
  unreachableIn,
} from './http.js';

/**
 * The engine's HTTP policy names why a request got no HTTP answer — the endpoint (origin only: paths and
 * queries can carry secrets) and the cause in words — where undici says only "fetch failed".
 */
const execFileAsync = promisify(execFile);

const listen = async (server: Server | NetServer) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
};
const close = (server: Server | NetServer) => new Promise<void>((r) => server.close(() => r()));

describe('the HTTP policy names the endpoint and the cause of a request that got no answer', () => {
  const servers: Array<Server | NetServer> = [];
  const sockets: Array<{ destroy(): void }> = [];
  let refused: number;
  let plain: number;
  let untrusted: number;
  let silent: number;
  beforeAll(async () => {
    const probe = createNetServer();
    refused = await listen(probe);
    await close(probe);
    const http = createHttpServer((_q, r) => r.end('{}'));
    plain = await listen(http);
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 });
    const tls = createHttpsServer({ key: pems.private, cert: pems.cert }, (_q, r) => r.end('{}'));
    untrusted = await listen(tls);
    // Accepts the connection, then never says a word (no TLS handshake).
    const mute = createNetServer((socket) => sockets.push(socket));
    silent = await listen(mute);
    servers.push(http, tls, mute);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    for (const s of servers) {
      (s as { closeAllConnections?: () => void }).closeAllConnections?.();
      await close(s);
    }
  });

  const failureOf = async (url: string, timeoutMs = 5000) => {
    const seen: string[] = [];
    const http = createHttpPolicy({ timeoutMs, onRequest: (u) => seen.push(u) });
    const err = await http.fetch(url).then(
      () => null,
      (e: unknown) => e,
    );
    return { err: err as EndpointUnreachableError, http, seen };
  };

  it('a closed port: connection refused, not retried as permanent', async () => {
    const { err } = await failureOf(`https://127.0.0.1:${refused}/orgs/acme?token=secret-in-query`);
    expect(err).toBeInstanceOf(EndpointUnreachableError);
    expect(err.message).toBe(
      `cannot reach https://127.0.0.1:${refused}: connection refused (nothing listens on that port)`,
    );
    expect(err.failure).toMatchObject({ code: 'ECONNREFUSED', permanent: false });
    expect(err.status).toBeNull();
    expect(err.message).not.toContain('secret-in-query');
  });

  it('an untrusted certificate: says to set tls.caFile; later requests there fail without being sent', async () => {
    const { err, http, seen } = await failureOf(`https://127.0.0.1:${untrusted}/a`);
    expect(err.message).toBe(
      `cannot reach https://127.0.0.1:${untrusted}: TLS certificate not trusted (set tls.caFile to the CA that signed it, e.g. of a TLS-inspecting proxy)`,
    );
    expect(err.failure).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', permanent: true });
    const again = await http.fetch(`https://127.0.0.1:${untrusted}/b`).catch((e: unknown) => e);
    expect(unreachableIn(again)?.failure.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(seen).toEqual([`https://127.0.0.1:${untrusted}/a`]);
  });

  it('an endpoint that speaks plain HTTP: the TLS handshake failure, permanent', async () => {
    const { err } = await failureOf(`https://127.0.0.1:${plain}/`);
    expect(err.message).toBe(
      `cannot reach https://127.0.0.1:${plain}: TLS handshake failed: the endpoint does not speak HTTPS (an http:// service?)`,
    );
    expect(err.failure.permanent).toBe(true);
  });

  it('a host name that does not resolve: DNS, permanent', async () => {
    const { err } = await failureOf('https://grantscope-test.invalid/');
    expect(err.message).toMatch(/^cannot reach https:\/\/grantscope-test\.invalid: DNS lookup failed/);
  });

  it('a peer that never answers: timed out within the policy timeout', async () => {
    const { err } = await failureOf(`https://127.0.0.1:${silent}/`, 300);
    expect(err.message).toBe(
      `cannot reach https://127.0.0.1:${silent}: connection or TLS handshake timed out (no answer within 0.3 s)`,
    );
    expect(err.failure.permanent).toBe(false);
  });

  it('an abort stays an abort: the SDKs and the engine tell an interrupt by it', async () => {
    const http = createHttpPolicy();
    const abort = new AbortController();
    abort.abort(new DOMException('interrupted', 'AbortError'));
    const err = await http
      .fetch(`https://127.0.0.1:${silent}/`, { signal: abort.signal })
      .catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(EndpointUnreachableError);
    expect((err as Error).name).toBe('AbortError');
  });

  it('a stalled page or a cut connection is that request only; a refused or silent endpoint is all of it', async () => {
    const coded = (code: string) => transportFailure(Object.assign(new Error(code), { code }));
    for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ECONNRESET', 'UND_ERR_SOCKET']) {
      const failure = coded(code);
      expect(failure, code).not.toBeNull();
      expect(isEndpointWide(failure as NonNullable<typeof failure>), code).toBe(false);
    }
    expect(isEndpointWide((await failureOf(`https://127.0.0.1:${refused}/`)).err.failure)).toBe(true);
    expect(isEndpointWide((await failureOf(`https://127.0.0.1:${silent}/`, 300)).err.failure)).toBe(true);
  });

  it('finds the cause inside wrappers (SDK errors keep it as `cause`)', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    const sdk = new Error('request failed', { cause: new TypeError('fetch failed', { cause: inner }) });
    expect(transportFailure(sdk)).toMatchObject({
      code: 'ECONNREFUSED',
      cause: expect.stringMatching(/refused/),
    });
    expect(transportFailure(new Error('HTTP 500'))).toBeNull();
  });
});

describe('tls.caFile', () => {
  it('trusts the CA for this policy only: a policy without it, made after, still refuses that server', async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const server = createHttpsServer({ key: pems.private, cert: pems.cert }, (_q, r) => r.end('{"ok":true}'));
    const port = await listen(server);
    const dir = mkdtempSync(join(tmpdir(), 'gs-http-ca-'));
    try {
      const caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, pems.cert);
      const trusting = createHttpPolicy({ caFile, timeoutMs: 5000 });
      const res = await trusting.fetch(`https://127.0.0.1:${port}/`);
      expect(await res.json()).toEqual({ ok: true });
      const plain = createHttpPolicy({ timeoutMs: 5000 });
      const err = await plain.fetch(`https://127.0.0.1:${port}/`).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EndpointUnreachableError);
      expect(String((err as Error).message)).toMatch(/TLS certificate not trusted/);
    } finally {
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await close(server);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps trusting the default roots beside it (those of OpenSSL, in a process that uses them)', async () => {
    // The bundled roots cannot be tested without the internet. A child started with --use-openssl-ca
    // takes its default roots from OpenSSL's store, which SSL_CERT_FILE names: given one root there and
    // another as tls.caFile, it must trust both servers (and, with no such root, refuse the first: the
    // check can fail). Subjects differ: a store finds a certificate's issuer by name.
    const certificate = (name: string) =>
      generate([{ name: 'commonName', value: name }], {
        keySize: 2048,
        extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
      });
    const [rooted, own] = await Promise.all([certificate('default root'), certificate('tls.caFile root')]);
    const servers = [rooted, own].map((p) =>
      createHttpsServer({ key: p.private, cert: p.cert }, (_q, r) => r.end('{"ok":true}')),
    );
    const [rootedPort, ownPort] = await Promise.all(servers.map((s) => listen(s)));
    const dir = mkdtempSync(join(tmpdir(), 'gs-http-roots-'));
    try {
      const defaultRoots = join(dir, 'default-roots.pem');
      const caFile = join(dir, 'ca.pem');
      writeFileSync(defaultRoots, rooted.cert);
      writeFileSync(caFile, own.cert);
      const script = join(dir, 'fetch-both.mjs');
      const http = pathToFileURL(join(packageRoot(), 'dist', 'src', 'connector', 'http.js')).href;
      writeFileSync(
        script,
        `import { createHttpPolicy } from ${JSON.stringify(http)};
const policy = createHttpPolicy({ caFile: ${JSON.stringify(caFile)}, timeoutMs: 5000 });
const out = [];
for (const port of [${rootedPort}, ${ownPort}]) {
  out.push(await policy.fetch('https://127.0.0.1:' + port + '/').then((r) => r.json().then(() => 'trusted'), (e) => e.message));
}
console.log(JSON.stringify(out));
`,
      );
      // Asynchronous: the servers answer from this process.
      const run = async (env: NodeJS.ProcessEnv) =>
        JSON.parse(
          (await execFileAsync(process.execPath, ['--use-openssl-ca', script], { env })).stdout,
        ) as string[];
      const { NODE_EXTRA_CA_CERTS: _extra, SSL_CERT_FILE: _file, SSL_CERT_DIR: _dir, ...env } = process.env;
      expect(await run({ ...env, SSL_CERT_FILE: defaultRoots })).toEqual(['trusted', 'trusted']);
      const without = await run({ ...env, SSL_CERT_FILE: join(dir, 'none.pem') });
      expect(without[0]).toMatch(/TLS certificate not trusted/);
      expect(without[1]).toBe('trusted');
      // Without --use-openssl-ca the defaults are Node's bundled roots plus NODE_EXTRA_CA_CERTS, which a
      // company's TLS-inspecting proxy needs: the first root given there must stay trusted too.
      const extra = async (env: NodeJS.ProcessEnv) =>
        JSON.parse((await execFileAsync(process.execPath, [script], { env })).stdout) as string[];
      expect(await extra({ ...env, NODE_EXTRA_CA_CERTS: defaultRoots })).toEqual(['trusted', 'trusted']);
      expect((await extra(env))[0]).toMatch(/TLS certificate not trusted/);
    } finally {
      for (const s of servers) {
        (s as { closeAllConnections?: () => void }).closeAllConnections?.();
        await close(s);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a JSON answer seen by an exchange', () => {
  let port: number;
  const server = createHttpServer((req, res) => {
    if (req.url === '/cut') {
      // Promises 100 bytes, sends 10, then drops the connection.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"value":[');
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"value":[1,2,3]}');
  });
  beforeAll(async () => {
    port = await listen(server);
  });
  afterAll(() => close(server));

  const seen: string[] = [];
  const exchange = {
    before: () => null,
    after: (_request: unknown, answer: { body: string }) => {
      seen.push(answer.body);
      return null;
    },
  };

  it('is read whole once: the exchange and the caller get the same body, held in memory', async () => {
    const http = createHttpPolicy({ exchange });
    const response = await http.fetch(`http://127.0.0.1:${port}/ok`);
    expect(bodyInMemory(response)).toBe(true);
    expect(await response.json()).toEqual({ value: [1, 2, 3] });
    expect(seen).toEqual(['{"value":[1,2,3]}']);
    const without = await createHttpPolicy().fetch(`http://127.0.0.1:${port}/ok`);
    expect(bodyInMemory(without)).toBe(false);
    await without.body?.cancel();
  });

  it('cut mid-body: the request answers, reading its body fails, and the exchange keeps nothing', async () => {
    seen.length = 0;
    const response = await createHttpPolicy({ exchange }).fetch(`http://127.0.0.1:${port}/cut`);
    expect(response.status).toBe(200);
    expect(bodyInMemory(response)).toBe(false);
    await expect(response.text()).rejects.toThrow();
    expect(seen).toEqual([]);
  });
});
