import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { FaultInjector, type FaultRuleInput } from './faults.js';
import { RequestJournal, recordRequest } from './journal.js';
import type { EmulatorLimits } from './limits.js';
import {
  type Admission,
  LimitsGate,
  type LimitsGateOptions,
  type PlatformLimitStats,
} from './limits-gate.js';
import type { AnyEmulatorPlatform, ClientSetup, EmulatorContext, EmulatorKeys } from './platform.js';
import { BUILTIN_EMULATOR_PLATFORMS } from './platforms.js';
import type { PoolOccupancy } from './pool-occupancy.js';
import { jsonTextOf } from './response-text.js';
import { type EmuRequest, type EmuResponse, Router } from './router.js';
import { emulatorTls } from './tls.js';
import { loadWorld, resolveRelativeDates, type World } from './world.js';
import { WorldError } from './world-error.js';

export interface EmulatorOptions {
  /** World file to serve. */
  world: string | World;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Fixed clock. Default: the world's `now`, else `defaultNow`, else the real time at start. */
  now?: Date;
  /** The clock when neither `now` nor the world fixes one (the CLI: midnight UTC, stable across restarts). */
  defaultNow?: Date;
  /** Platform modules; default: the built-in ones. */
  platforms?: AnyEmulatorPlatform[];
  /**
   * Quota limits to enforce (./limits.ts). Default: the world's `limits:` section, else none. They hold
   * for the emulator's lifetime (`setWorld` keeps them).
   */
  limits?: EmulatorLimits;
  /** Clock and sleep of the limits (tests inject them). */
  limitsClock?: LimitsGateOptions;
  /**
   * Key material (from `createEmulatorKeys()`): emulators started by one test for many organisations can
   * share it (their secrets too). Default: this emulator's own secrets, and the RSA keys of the process
   * (`rsaKeysOfProcess`).
   */
  keys?: EmulatorKeys;
}

export interface RouteStats {
  service: string;
  method: string;
  pattern: string;
  count: number;
  statuses: Record<string, number>;
}

export interface EmulatorStats {
  total: number;
  byService: Record<string, number>;
  routes: RouteStats[];
  /** Per limited platform: requests, quota cost spent and requests refused by a limit. */
  limits?: Partial<Record<string, PlatformLimitStats>>;
  /** Per limited platform: how many requests its connection pool served over time (./pool-occupancy.ts). */
  concurrency?: Partial<Record<string, PoolOccupancy>>;
}

export interface RunningEmulator {
  /** `https://127.0.0.1:PORT` */
  readonly origin: string;
  readonly port: number;
  /** PEM of the CA that signed the server certificate. */
  readonly caCert: string;
  readonly now: Date;
  readonly faults: FaultInjector;
  readonly world: () => World;
  /** Serve another world (keys and credentials stay the same). */
  setWorld(world: string | World): void;
  stats(): EmulatorStats;
  resetStats(): void;
  /** Config sections and files the scanner needs, for every platform present in the world. */
  clientSetup(): ClientSetup;
  stop(): Promise<void>;
}

/**
 * RSA key pairs by name, made once per process: generating one costs 0.3-0.6 s, and a process may
 * start many emulators (a test file, the bench). Each stands for one credential of the world (the
 * GitHub App's key, a Google service account's, Entra's token signing key), so emulators of one process
 * sharing them is like restarting one service; secrets stay each emulator's own.
 */
const rsaKeysOfProcess = new Map<string, { privateKeyPem: string; publicKeyPem: string }>();

/** Keys and secrets made on first use, by name (the GitHub App's RSA key, client secrets). */
export function createEmulatorKeys(): EmulatorKeys {
  const rsa = rsaKeysOfProcess;
  const secrets = new Map<string, string>();
  return {
    rsa(name) {
      let kp = rsa.get(name);
      if (!kp) {
        const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        kp = {
          privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        };
        rsa.set(name, kp);
      }
      return kp;
    },
    secret(name) {
      let s = secrets.get(name);
      if (!s) {
        s = `emu~${randomBytes(24).toString('base64url')}`;
        secrets.set(name, s);
      }
      return s;
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function encodeBody(resp: EmuResponse): { buf: Buffer; type: string | undefined } {
  if (resp.body === undefined || resp.body === null) return { buf: Buffer.alloc(0), type: undefined };
  if (Buffer.isBuffer(resp.body)) return { buf: resp.body, type: undefined };
  if (typeof resp.body === 'string')
    return { buf: Buffer.from(resp.body), type: 'text/plain; charset=utf-8' };
  return { buf: Buffer.from(jsonTextOf(resp)), type: 'application/json; charset=utf-8' };
}

/**
 * Start the emulator: one HTTPS server on 127.0.0.1 serving every platform of the world by path
 * (GitHub under `/api/v3`, Graph under `/v1.0` and `/beta`, Entra login under `/{tenant}/…`, Google
 * APIs at their usual paths), plus control endpoints under `/_emulator/`.
 */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const platforms = options.platforms ?? BUILTIN_EMULATOR_PLATFORMS;
  const tls = await emulatorTls();
  const keys = options.keys ?? createEmulatorKeys();
  let world = typeof options.world === 'string' ? loadWorld(options.world) : options.world;
  const now =
    options.now ?? world.now ?? options.defaultNow ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  let origin = '';
  const faults = new FaultInjector();
  const limits = options.limits ?? world.limits ?? undefined;
  const gate = limits ? new LimitsGate(limits, options.limitsClock) : null;
  const ctx: EmulatorContext = { now, origin: () => origin, keys, faults, ...(limits ? { limits } : {}) };
  const states = new Map<string, unknown>();

  const loadStates = (w: World) => {
    const next = new Map<string, unknown>();
    const known = new Set(platforms.map((p) => p.key));
    for (const key of Object.keys(w.platforms)) {
      if (!known.has(key)) {
        throw new WorldError(w.files.at(-1) ?? 'world', [
          { path: key, line: null, message: `no emulator for platform section '${key}'` },
        ]);
      }
    }
    for (const p of platforms) {
      const section = w.platforms[p.key];
      if (section === undefined) continue;
      const file = w.sectionFiles?.[p.key] ?? w.files.at(-1) ?? 'world';
      next.set(p.key, p.load(resolveRelativeDates(section, now), ctx, file));
    }
    states.clear();
    for (const [k, v] of next) states.set(k, v);
    faults.clear();
    for (const f of w.faults) faults.add(f);
  };
  loadStates(world);
  // Under limits, a request's time is the latency modelled: one-off builds happen now, not in one.
  gate?.warm(states.keys());

  const router = new Router();
  for (const p of platforms) {
    for (const r of p.routes(() => states.get(p.key), ctx)) router.add({ ...r, platform: p.key });
  }

  const stats = new Map<string, RouteStats>();
  const countRoute = (service: string, method: string, pattern: string, status: number) => {
    const k = `${service} ${method} ${pattern}`;
    let s = stats.get(k);
    if (!s) {
      s = { service, method, pattern, count: 0, statuses: {} };
      stats.set(k, s);
    }
    s.count += 1;
    s.statuses[status] = (s.statuses[status] ?? 0) + 1;
  };

  const journal = new RequestJournal();

  const hanging = new Set<Socket | import('node:stream').Duplex>();

  const control = async (req: IncomingMessage, res: ServerResponse, path: string, body: Buffer) => {
    if (path === '/_emulator/health') return sendJson(res, 200, { ok: true, world: world.name });
    if (path === '/_emulator/stats' && req.method === 'GET') return sendJson(res, 200, running.stats());
    if (path === '/_emulator/stats' && req.method === 'DELETE') {
      running.resetStats();
      return sendJson(res, 204, {});
    }
    if (path === '/_emulator/faults' && req.method === 'POST') {
      try {
        faults.add(JSON.parse(body.toString('utf8')) as FaultRuleInput);
        return sendJson(res, 201, faults.list());
      } catch (err) {
        return sendJson(res, 400, { message: (err as Error).message });
      }
    }
    if (path === '/_emulator/faults' && req.method === 'GET') return sendJson(res, 200, faults.list());
    if (path === '/_emulator/faults' && req.method === 'DELETE') {
      faults.clear();
      return sendJson(res, 200, []);
    }
    return sendJson(res, 404, { message: 'unknown control endpoint' });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', origin);
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname.startsWith('/_emulator/')) return control(req, res, url.pathname, body);

    const m = router.match(method, url.pathname);
    const routed = m && !('methodNotAllowed' in m) ? m.route : null;
    const service = routed?.service ?? 'unknown';
    const pattern = routed?.pattern ?? url.pathname;
    const count = (status: number) => {
      countRoute(service, method, pattern, status);
      if (journal.enabled) {
        journal.write(
          recordRequest({
            platform: routed?.platform ?? null,
            service,
            method,
            url,
            pattern: routed?.pattern ?? null,
            headers: req.headers,
            body,
            status,
          }),
        );
      }
    };
    if (!m || 'methodNotAllowed' in m) {
      const status = m ? 405 : 404;
      count(status);
      return sendJson(res, status, { message: status === 404 ? 'Not Found' : 'Method Not Allowed' });
    }
    const { route, params } = m;
    const emuReq: EmuRequest = {
      method,
      path: url.pathname,
      params,
      query: url.searchParams,
      headers: req.headers,
      body,
      origin,
    };
    // Quota limits (./limits-gate.ts): the request waits for its place in the pool and its latency,
    // then is charged; the place is freed when the response is done.
    let admission: Admission | null = null;
    if (gate?.applies(route.platform)) {
      admission = await gate.admit(route.platform!, emuReq, route.pattern);
      res.once('close', admission.release);
    }
    // A response is sent when it is due (LimitsGate.due): the latency modelled includes the work done here.
    const due = () => (admission ? gate!.due(admission) : Promise.resolve());
    const send = async (answer: EmuResponse) => {
      const resp = admission?.transform && !admission.refused ? admission.transform(answer) : answer;
      const enc = encodeBody(resp);
      await due();
      count(resp.status);
      res.writeHead(resp.status, {
        ...(enc.type ? { 'content-type': enc.type } : {}),
        'content-length': enc.buf.length,
        ...admission?.headers,
        ...resp.headers,
      });
      res.end(resp.status === 204 || method === 'HEAD' ? undefined : enc.buf);
    };
    const cannot = (kind: string) =>
      send({
        status: 500,
        body: { message: `emulator error: cannot produce a '${kind}' fault on ${method} ${route.pattern}` },
      });
    if (admission?.refused) return send(admission.refused);
    const authorization = req.headers.authorization;
    // A token a `token-expired` fault expired stays refused, whichever route it is sent to next.
    if (route.faults?.tokenExpired && faults.isExpired(authorization)) {
      return send(route.faults.tokenExpired(emuReq));
    }
    const fault = faults.take({ service: route.service, method, pattern: route.pattern, path: url.pathname });
    // A fault answers when the response would have been due (its latency comes on top).
    if (fault && fault.kind !== 'paging-loop') await due();
    if (fault?.kind === 'reset') {
      count(0);
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'timeout') {
      count(0);
      hanging.add(req.socket);
      return;
    }
    if (fault?.kind === 'latency') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === 'rate-limit') {
      count(429);
      return sendJson(
        res,
        429,
        {
          error: { code: 'TooManyRequests', message: 'Too many requests (emulated)' },
          message: 'Too many requests',
        },
        { 'retry-after': String(fault.retryAfter) },
      );
    }
    if (fault?.kind === 'secondary-rate-limit') {
      count(403);
      return sendJson(
        res,
        403,
        {
          message:
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          documentation_url:
            'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
        },
        { 'retry-after': String(fault.retryAfter) },
      );
    }
    if (fault?.kind === 'status') {
      count(fault.status);
      const resp = encodeBody({ status: fault.status, body: fault.body ?? { message: 'emulated failure' } });
      res.writeHead(fault.status, {
        ...(resp.type ? { 'content-type': resp.type } : {}),
        'content-length': resp.buf.length,
        ...fault.headers,
      });
      res.end(resp.buf);
      return;
    }
    if (fault?.kind === 'malformed') {
      count(200);
      const text = '{"emulated": "malformed", ';
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': text.length,
      });
      res.end(text);
      return;
    }
    if (fault?.kind === 'token-expired') {
      const answer = route.faults?.tokenExpired;
      if (!answer || typeof authorization !== 'string') return cannot(fault.kind);
      faults.expire(authorization);
      return send(answer(emuReq));
    }
    if (fault?.kind === 'permission-denied') {
      const answer = route.faults?.permissionDenied;
      return answer ? send(answer(emuReq)) : cannot(fault.kind);
    }
    if (fault?.kind === 'not-found') {
      const answer = route.faults?.notFound;
      return answer ? send(answer(emuReq)) : cannot(fault.kind);
    }
    if (fault?.kind === 'paging-loop' && !route.faults?.loopPaging) return cannot(fault.kind);

    let resp: EmuResponse;
    try {
      resp = await route.handler(emuReq);
    } catch (err) {
      resp = { status: 500, body: { message: `emulator error: ${(err as Error).message}` } };
    }
    if (fault?.kind === 'paging-loop' && resp.status >= 200 && resp.status < 300) {
      resp = route.faults?.loopPaging?.(emuReq, resp) ?? resp;
    }
    if ((fault?.kind === 'truncate' || fault?.kind === 'reset-mid-body') && resp.status !== 204) {
      count(resp.status);
      const enc = encodeBody(resp);
      res.writeHead(resp.status, {
        ...(enc.type ? { 'content-type': enc.type } : {}),
        'content-length': enc.buf.length,
        ...resp.headers,
      });
      res.write(enc.buf.subarray(0, Math.floor(enc.buf.length / 2)));
      // Let the partial body flush, then cut the connection: the client sees a short body. `truncate`
      // closes it (FIN), `reset-mid-body` resets it (RST: ECONNRESET on the client).
      const socket = req.socket;
      setTimeout(() => {
        if (fault.kind === 'reset-mid-body') resetConnection(socket);
        else socket.destroy();
      }, 10);
      return;
    }
    send(resp);
  };

  const server: Server = createServer({ cert: tls.cert, key: tls.key, ca: tls.caCert }, (req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, { message: `emulator error: ${(err as Error).message}` });
      else res.destroy();
    });
  });
  const sockets = new Set<Socket | import('node:stream').Duplex>();
  // The TCP socket under each TLS connection, by the client's address and port: a reset must be sent
  // on the TCP socket (a TLS socket cannot send RST).
  const tcpByPeer = new Map<string, Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    const peer = `${s.remoteAddress}:${s.remotePort}`;
    tcpByPeer.set(peer, s);
    s.on('close', () => {
      sockets.delete(s);
      tcpByPeer.delete(peer);
    });
  });
  const resetConnection = (tls: Socket) => {
    const tcp = tcpByPeer.get(`${tls.remoteAddress}:${tls.remotePort}`);
    if (tcp) tcp.resetAndDestroy();
    else tls.destroy();
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `https://127.0.0.1:${port}`;

  const running: RunningEmulator = {
    origin,
    port,
    caCert: tls.caCert,
    now,
    faults,
    world: () => world,
    setWorld(next) {
      const w = typeof next === 'string' ? loadWorld(next) : next;
      loadStates(w);
      gate?.warm(states.keys());
      world = w;
    },
    stats() {
      const routes = [...stats.values()].map((s) => ({ ...s, statuses: { ...s.statuses } }));
      const byService: Record<string, number> = {};
      for (const r of routes) byService[r.service] = (byService[r.service] ?? 0) + r.count;
      return {
        total: routes.reduce((n, r) => n + r.count, 0),
        byService,
        routes,
        ...(gate ? { limits: gate.stats(), concurrency: gate.occupancy() } : {}),
      };
    },
    resetStats() {
      stats.clear();
      gate?.resetStats();
    },
    clientSetup() {
      const out: ClientSetup = { config: {}, files: {} };
      for (const p of platforms) {
        const state = states.get(p.key);
        if (state === undefined) continue;
        const part = p.clientSetup(state, ctx);
        Object.assign(out.config, part.config);
        Object.assign(out.files, part.files);
      }
      return out;
    },
    async stop() {
      for (const s of hanging) s.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return running;
}
