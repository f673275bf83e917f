import { assertValidSchema } from 'graphql';
import { readQuery } from './github/graphql-documents.js';
import { queryLimits } from './github/graphql-limits.js';
import { githubGraphqlSchema, githubGraphqlSchemaBuilt } from './github/graphql-schema.js';
import {
  type EmulatorLimits,
  type GithubLimits,
  type GoogleWorkspaceLimits,
  type LimitedPlatform,
  type Microsoft365Limits,
  scaledWindowMs,
  WINDOW_MS,
} from './limits.js';
import { OccupancyMeter, type PoolOccupancy } from './pool-occupancy.js';
import type { EmuRequest, EmuResponse } from './router.js';

/**
 * Enforcing `EmulatorLimits` (./limits.ts) in front of the platforms' routes: a connection pool with
 * latency, then each platform's quota as its vendor documents it. Windows last `window / timeScale`
 * of the injected clock, and every time reported (Retry-After) is in that scaled time.
 */

export type Clock = () => number;

/** Requests beyond `max` wait their turn, as behind a server's connection pool. */
export class ConnectionPool {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** How many requests were served over time (`/_emulator/stats` → `concurrency`). */
  readonly occupancy: OccupancyMeter;
  constructor(
    readonly max: number,
    clock: Clock = Date.now,
  ) {
    this.occupancy = new OccupancyMeter(max, clock);
  }
  /** Requests served or waiting. */
  get open(): number {
    return this.active + this.waiting.length;
  }
  acquire(): Promise<() => void> {
    const release = () => {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
      this.occupancy.record(this.active, this.waiting.length);
    };
    if (this.active < this.max) {
      this.active += 1;
      this.occupancy.record(this.active, this.waiting.length);
      return Promise.resolve(once(release));
    }
    const queued = new Promise<() => void>((resolve) => this.waiting.push(() => resolve(once(release))));
    this.occupancy.record(this.active, this.waiting.length);
    return queued;
  }
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      f();
    }
  };
}

/** A quota of `limit` units per fixed window, the window starting with the first request after the last one ended. */
export class FixedWindow {
  private start = Number.NEGATIVE_INFINITY;
  used = 0;
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: Clock,
  ) {}
  private roll(): void {
    const t = this.clock();
    if (t >= this.start + this.windowMs) {
      this.start = t;
      this.used = 0;
    }
  }
  /** Spend `n` units if they fit in this window. */
  take(n: number): boolean {
    this.roll();
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }
  msUntilReset(): number {
    return Math.max(0, this.start + this.windowMs - this.clock());
  }
}

/** A token bucket of `capacity` units refilled at `capacity` per `windowMs`, starting full. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    readonly capacity: number,
    readonly windowMs: number,
    private readonly clock: Clock,
  ) {
    this.tokens = capacity;
    this.last = clock();
  }
  private refill(): void {
    const t = this.clock();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) * this.capacity) / this.windowMs);
    this.last = t;
  }
  /** Spend `n` units, or answer how long until they are there. */
  take(n: number): { ok: true } | { ok: false; retryAfterMs: number } {
    this.refill();
    if (this.tokens >= n) {
      this.tokens -= n;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: ((n - this.tokens) * this.windowMs) / this.capacity };
  }
  /** Share of the bucket spent, 0-1. */
  usedFraction(): number {
    this.refill();
    return 1 - this.tokens / this.capacity;
  }
}

/** Whole seconds, at least 1: Retry-After is "delay-seconds" (RFC 9110 §10.2.3). */
function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

export interface Admission {
  /** Answer this instead of serving the request. */
  refused?: EmuResponse;
  /** Headers added to the response served. */
  headers?: Record<string, string>;
  /** Applied to the response the route produced (Graph `$batch`: inner requests throttled one by one). */
  transform?: (resp: EmuResponse) => EmuResponse;
  /** Frees the request's place in the pool; call when the response is sent. */
  release: () => void;
  /**
   * When the response is due (gate clock, ms): the latency modelled after the request got its place in
   * the pool. The emulator's own work on the request (the route, the body's JSON) is done within it
   * instead of added to it: a server's latency already holds its processing, and an emulator's CPU is
   * not the vendor's (`LimitsGate.due`).
   */
  respondAt?: number;
}

export interface PlatformLimitStats {
  requests: number;
  /** Primary quota units spent: GitHub `core` requests, Graph resource units, Google Directory queries. */
  cost: number;
  /** GitHub: GraphQL points spent. */
  graphqlCost?: number;
  /** Requests refused by a limit (403/429, Graph `$batch` inner 429s included). */
  refused: number;
}

interface PlatformGate {
  stats: PlatformLimitStats;
  pool: ConnectionPool;
  admit(req: EmuRequest, pattern: string): Promise<Admission>;
  /** Builds, once per process, what admitting a request needs (see `LimitsGate.warm`); true if it built. */
  warm?(): boolean;
}

export interface LimitsGateOptions {
  clock?: Clock;
  /** How the latency left when a response is ready is waited (`due`); tests pass a no-op. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) =>
  ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve();

export class LimitsGate {
  private readonly gates = new Map<string, PlatformGate>();
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  constructor(
    readonly limits: EmulatorLimits,
    options: LimitsGateOptions = {},
  ) {
    const clock = options.clock ?? Date.now;
    this.clock = clock;
    this.sleep = options.sleep ?? defaultSleep;
    if (limits.github) this.gates.set('github', githubGate(limits, limits.github, clock));
    if (limits.microsoft365) this.gates.set('microsoft365', graphGate(limits, limits.microsoft365, clock));
    if (limits.googleWorkspace)
      this.gates.set('google-workspace', googleGate(limits, limits.googleWorkspace, clock));
  }
  /**
   * Builds what admitting a request needs and would otherwise build on the first request that needs
   * it: GitHub's GraphQL schema (13 MB of introspection JSON, built and validated once per process:
   * 0.3-0.5 s). Built inside a request, it blocks the event loop while every request in the pool
   * holds its place, so each of them takes that much longer than the latency modelled, and the scan
   * is slower than its bound for a reason no server of GitHub's has. `startEmulator` calls it before
   * it serves, for the platforms its world has. The build leaves ~40 MB of garbage (the parsed
   * introspection JSON), which V8 would collect over the next seconds on this thread, while a scan
   * starts and sends its first requests: it is collected here too.
   */
  warm(platforms: Iterable<string>): void {
    let built = false;
    for (const p of platforms) built = (this.gates.get(p)?.warm?.() ?? false) || built;
    if (built) collectGarbageNow();
  }
  /**
   * Waits until an admitted request's response is due (`Admission.respondAt`): the emulator sends it
   * `latencyMs` after the request got its place in the pool, having done its own work meanwhile, so
   * that a request holds its place for the latency modelled and no longer (unless the emulator's work
   * takes longer).
   */
  due(admission: Admission): Promise<void> {
    const ms = admission.respondAt === undefined ? 0 : admission.respondAt - this.clock();
    return ms > 0 ? this.sleep(ms) : Promise.resolve();
  }
  applies(platform: string | null | undefined): boolean {
    return platform != null && this.gates.has(platform);
  }
  admit(platform: string, req: EmuRequest, pattern: string): Promise<Admission> {
    const gate = this.gates.get(platform);
    if (!gate) return Promise.resolve({ release: () => {} });
    gate.stats.requests += 1;
    return gate.admit(req, pattern);
  }
  stats(): Partial<Record<LimitedPlatform, PlatformLimitStats>> {
    const out: Partial<Record<LimitedPlatform, PlatformLimitStats>> = {};
    for (const [k, g] of this.gates) out[k as LimitedPlatform] = { ...g.stats };
    return out;
  }
  /** How busy each platform's connection pool was since the last reset (./pool-occupancy.ts). */
  occupancy(): Partial<Record<LimitedPlatform, PoolOccupancy>> {
    const out: Partial<Record<LimitedPlatform, PoolOccupancy>> = {};
    for (const [k, g] of this.gates) out[k as LimitedPlatform] = g.pool.occupancy.summary();
    return out;
  }
  resetStats(): void {
    for (const g of this.gates.values()) {
      g.pool.occupancy.reset();
      g.stats.requests = 0;
      g.stats.cost = 0;
      g.stats.refused = 0;
      if (g.stats.graphqlCost !== undefined) g.stats.graphqlCost = 0;
    }
  }
}

/**
 * A full garbage collection now, where the process was started with `--expose-gc` (the bench starts
 * its emulator processes so). Setting the flag from inside a running process is what Node's
 * `v8.setFlagsFromString` warns may behave unpredictably: without it, V8 collects when it would have.
 */
function collectGarbageNow(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function header(req: EmuRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

// --- GitHub -------------------------------------------------------------------------------------

const SECONDARY_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.';
const SECONDARY_DOCS =
  'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits';

/**
 * GitHub (docs content/rest/using-the-rest-api/rate-limits-for-the-rest-api.md, "About secondary rate
 * limits"): "No more than 100 concurrent requests"; "No more than 900 points per minute ... for REST
 * API endpoints, and no more than 2,000 points per minute for the GraphQL API endpoint", points being
 * 1 for a GET, HEAD or OPTIONS, 5 for a POST, PATCH, PUT or DELETE, 1 for a GraphQL query without
 * mutations and 5 with. Exceeding one answers "403 or 429 ... and an error message" with `retry-after`.
 * The primary (hourly) budgets and their `x-ratelimit-*` headers are the GitHub module's own
 * (github/api.ts `guard`), configured from the same limits; this gate counts what they spent.
 */
function githubGate(limits: EmulatorLimits, g: GithubLimits, clock: Clock): PlatformGate {
  const pool = new ConnectionPool(g.maxConcurrent, clock);
  const minute = scaledWindowMs(limits, WINDOW_MS.githubSecondary);
  const graphql = new FixedWindow(g.secondaryGraphqlPointsPerMinute, minute, clock);
  const perEndpoint = new Map<string, FixedWindow>();
  const stats: PlatformLimitStats = { requests: 0, cost: 0, graphqlCost: 0, refused: 0 };
  const refuse = (msUntilReset: number): Admission => {
    stats.refused += 1;
    return {
      refused: {
        status: 403,
        headers: { 'retry-after': retryAfterSeconds(msUntilReset) },
        body: { message: SECONDARY_MESSAGE, documentation_url: SECONDARY_DOCS, status: '403' },
      },
      release: () => {},
    };
  };
  return {
    stats,
    pool,
    // The schema GraphQL requests are costed (readGraphql) and validated against; validating it is
    // part of the first `validate()`, done here too (graphql caches the result on the schema).
    warm: () => {
      if (githubGraphqlSchemaBuilt()) return false;
      assertValidSchema(githubGraphqlSchema());
      return true;
    },
    async admit(req, pattern) {
      if (pool.open >= (g.secondaryMaxConcurrent ?? 100)) return refuse(minute);
      const release = await pool.acquire();
      const respondAt = clock() + g.latencyMs;
      const isGraphql = pattern.endsWith('/graphql');
      let window: FixedWindow;
      let points: number;
      let graphqlCost = 1;
      if (isGraphql) {
        const read = readGraphql(req.body);
        graphqlCost = read.cost;
        window = graphql;
        points = read.mutation ? 5 : 1;
      } else {
        const key = `${req.method} ${pattern}`;
        window = perEndpoint.get(key) ?? new FixedWindow(g.secondaryRestPointsPerMinute, minute, clock);
        perEndpoint.set(key, window);
        points = ['GET', 'HEAD', 'OPTIONS'].includes(req.method) ? 1 : 5;
      }
      if (!window.take(points)) {
        release();
        return { ...refuse(window.msUntilReset()), respondAt };
      }
      return {
        release,
        respondAt,
        // What the primary budget spent: the GitHub module names the resource and its use in the
        // x-ratelimit-* headers of every request it counted.
        transform: (resp) => {
          const h = resp.headers ?? {};
          const resource = h['x-ratelimit-resource'];
          const limited = h['x-ratelimit-remaining'] === '0' && (resp.status === 403 || resp.status === 429);
          if (limited) stats.refused += 1;
          // A 304 to a conditional request does not count against the primary limit
          // (rate-limits-for-the-rest-api: "conditional requests"); the GitHub module marks it.
          else if (resource === 'core' && !resp.notCounted) stats.cost += 1;
          else if (resource === 'graphql') stats.graphqlCost = (stats.graphqlCost ?? 0) + graphqlCost;
          return resp;
        },
      };
    },
  };
}

/** A GraphQL body's operation kind and primary cost (./github/graphql-limits.ts), parsed once. */
function readGraphql(body: Buffer): { mutation: boolean; cost: number } {
  try {
    const { query, variables, operationName } = JSON.parse(body.toString('utf8')) as {
      query?: string;
      variables?: Record<string, unknown>;
      operationName?: string | null;
    };
    if (typeof query !== 'string') return { mutation: false, cost: 1 };
    const read = readQuery(query);
    if (!read.ok) return { mutation: false, cost: 1 };
    const doc = read.doc;
    const mutation = doc.definitions.some(
      (d) => d.kind === 'OperationDefinition' && d.operation === 'mutation',
    );
    const cost = queryLimits(githubGraphqlSchema(), doc, variables ?? {}, operationName).cost;
    return { mutation, cost };
  } catch {
    return { mutation: false, cost: 1 };
  }
}

// --- Microsoft Graph ----------------------------------------------------------------------------

/**
 * Base costs of identity-and-access requests (Graph concepts/throttling-limits.md, "Identity and
 * access service limits": "The following table lists base request costs. Any requests not listed
 * have a base cost of 1."), the paths the emulator serves or that a scanner could send.
 */
const BASE_COSTS: Array<[method: string, path: RegExp, cost: number]> = [
  ['GET', /^applications$/, 2],
  ['GET', /^applications\/[^/]+\/extensionProperties$/, 2],
  ['GET', /^contracts$/, 3],
  ['POST', /^directoryObjects\/getByIds$/, 5],
  ['POST', /^getObjectsById$/, 5],
  ['GET', /^groups\/[^/]+\/members$/, 3],
  ['GET', /^groups\/[^/]+\/transitiveMembers$/, 5],
  ['GET', /^oauth2PermissionGrants$/, 2],
  ['GET', /^oauth2PermissionGrants\/(?!delta$)[^/]+$/, 2],
  ['GET', /^servicePrincipals\/[^/]+\/appRoleAssignments$/, 2],
  ['GET', /^subscribedSkus$/, 3],
  ['GET', /^users$/, 2],
];

/**
 * A request's resource units: its base cost, "Using `$select` decreases cost by 1", "Using `$expand`
 * increases cost by 1", "Using `$top` with a value of less than 20 decreases cost by 1"; "A request
 * cost can never be lower than 1"; "Using `$select` for `directoryObjects/getByIds` and
 * `getObjectsById` results in 2 ResourceUnits."
 */
export function graphRequestCost(method: string, pathAfterVersion: string, query: URLSearchParams): number {
  const path = pathAfterVersion.replace(/^\/+/, '').replace(/\/+$/, '');
  const base = BASE_COSTS.find(([m, re]) => m === method && re.test(path))?.[2] ?? 1;
  const select = query.has('$select');
  if (select && /^(directoryObjects\/getByIds|getObjectsById)$/.test(path)) return 2;
  let cost = base;
  if (select) cost -= 1;
  if (query.has('$expand')) cost += 1;
  const top = Number(query.get('$top'));
  if (query.has('$top') && Number.isFinite(top) && top < 20) cost -= 1;
  return Math.max(1, cost);
}

const GRAPH_PATH = /^\/(v1\.0|beta)(\/.*)$/;
/**
 * The identity and access reports (`/reports`, `/auditLogs`) have a limit of their own ("5 requests
 * per 10 seconds"), not resource units; the emulator does not model it.
 */
const NOT_RESOURCE_UNITS = /^\/(reports|auditLogs)(\/|$)/;

/** `appid` and `tid` of the bearer token, unverified (only to name the throttle scope). */
function tokenIds(req: EmuRequest): { appId: string; tenantId: string } {
  const zero = '00000000-0000-0000-0000-000000000000';
  const auth = header(req, 'authorization') ?? '';
  const payload = auth.replace(/^Bearer\s+/i, '').split('.')[1];
  try {
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    return {
      appId: typeof claims.appid === 'string' ? claims.appid : zero,
      tenantId: typeof claims.tid === 'string' ? claims.tid : zero,
    };
  } catch {
    return { appId: zero, tenantId: zero };
  }
}

/**
 * Graph (concepts/throttling-limits.md, "Identity and access service limits"): a token bucket of
 * resource units per app+tenant per 10 s; "x-ms-resource-unit - Indicates the resource unit used for
 * this request"; "x-ms-throttle-limit-percentage - Returned only when the application consumed more
 * than 0.8 of its limit"; a throttled request gets 429 with Retry-After, "x-ms-throttle-scope" as
 * `<Scope>/<Limit>/<ApplicationId>/<TenantId>` and "x-ms-throttle-information" (e.g.
 * `ResourceUnitLimitExceeded`). `$batch` inner requests are costed and throttled one by one
 * (concepts/json-batching.md: "each individual request ... is evaluated against the applicable
 * limits"; the outer response stays 200).
 */
function graphGate(limits: EmulatorLimits, m: Microsoft365Limits, clock: Clock): PlatformGate {
  const pool = new ConnectionPool(m.maxConcurrent, clock);
  const bucket = new TokenBucket(m.resourceUnitsPer10s, scaledWindowMs(limits, WINDOW_MS.graphBucket), clock);
  const stats: PlatformLimitStats = { requests: 0, cost: 0, refused: 0 };
  const percentage = (): Record<string, string> => {
    const used = bucket.usedFraction();
    return used > 0.8 ? { 'x-ms-throttle-limit-percentage': used.toFixed(1) } : {};
  };
  /** Charge one request: its headers when served, or the 429 answering it. */
  const charge = (
    req: EmuRequest,
    method: string,
    path: string,
    query: URLSearchParams,
  ): { ok: true; headers: Record<string, string> } | { ok: false; response: EmuResponse } => {
    if (NOT_RESOURCE_UNITS.test(path)) return { ok: true, headers: {} };
    const cost = graphRequestCost(method, path, query);
    const taken = bucket.take(cost);
    if (taken.ok) {
      stats.cost += cost;
      return { ok: true, headers: { 'x-ms-resource-unit': String(cost), ...percentage() } };
    }
    stats.refused += 1;
    const { appId, tenantId } = tokenIds(req);
    return {
      ok: false,
      response: {
        status: 429,
        headers: {
          'Retry-After': retryAfterSeconds(taken.retryAfterMs),
          'x-ms-throttle-scope': `Tenant_Application/ReadWrite/${appId}/${tenantId}`,
          'x-ms-throttle-information': 'ResourceUnitLimitExceeded',
          'x-ms-throttle-limit-percentage': '1.0',
          'content-type': 'application/json',
        },
        body: {
          error: {
            code: 'TooManyRequests',
            message: 'Too many requests.',
            innerError: {
              date: new Date(clock()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
              'request-id': crypto.randomUUID(),
              'client-request-id': header(req, 'client-request-id') ?? crypto.randomUUID(),
            },
          },
        },
      },
    };
  };
  return {
    stats,
    pool,
    async admit(req) {
      const release = await pool.acquire();
      const respondAt = clock() + m.latencyMs;
      const graph = GRAPH_PATH.exec(req.path);
      if (!graph) return { release, respondAt };
      const path = graph[2]!;
      if (req.method === 'POST' && path === '/$batch') {
        return { release, respondAt, transform: (resp) => throttleBatch(req, resp, charge) };
      }
      const charged = charge(req, req.method, path, req.query);
      if (!charged.ok) {
        release();
        return { refused: charged.response, release: () => {}, respondAt };
      }
      return { release, respondAt, headers: charged.headers };
    },
  };
}

interface InnerResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Each inner request of a `$batch` costed in the order answered; those the bucket cannot pay become 429s. */
function throttleBatch(
  req: EmuRequest,
  resp: EmuResponse,
  charge: (
    req: EmuRequest,
    method: string,
    path: string,
    query: URLSearchParams,
  ) => { ok: true; headers: Record<string, string> } | { ok: false; response: EmuResponse },
): EmuResponse {
  if (resp.status !== 200) return resp;
  let steps: Array<{ id: string; method: string; url: string }>;
  try {
    steps = (JSON.parse(req.body.toString('utf8')) as { requests: typeof steps }).requests;
  } catch {
    return resp;
  }
  const body = resp.body as { responses?: InnerResponse[] } | undefined;
  if (!body?.responses) return resp;
  const byId = new Map(steps.map((s) => [String(s.id).toLowerCase(), s]));
  const responses = body.responses.map((inner) => {
    const step = byId.get(String(inner.id).toLowerCase());
    if (!step) return inner;
    const url = new URL(step.url.replace(/^\/?/, '/'), 'https://graph.invalid');
    const charged = charge(req, step.method.toUpperCase(), url.pathname, url.searchParams);
    if (charged.ok) return { ...inner, headers: { ...inner.headers, ...charged.headers } };
    const r = charged.response;
    return { id: inner.id, status: r.status, headers: r.headers as Record<string, string>, body: r.body };
  });
  return { ...resp, body: { ...body, responses } };
}

// --- Google -------------------------------------------------------------------------------------

/**
 * Google Admin SDK Directory API (developers.google.com/admin-sdk/directory/v1/limits): "2,400 queries
 * per minute per user per Google Cloud project"; beyond it the API answers 403 `userRateLimitExceeded`
 * and the client should back off exponentially (no Retry-After is documented). Domain-wide delegation
 * impersonates one admin, so every request of a scan shares the one budget; the emulator keeps one
 * budget per emulator. Reports, IAM and Resource Manager have quotas of their own, not modelled.
 */
function googleGate(limits: EmulatorLimits, g: GoogleWorkspaceLimits, clock: Clock): PlatformGate {
  const pool = new ConnectionPool(g.maxConcurrent, clock);
  const window = new FixedWindow(
    g.directoryQueriesPerMinute,
    scaledWindowMs(limits, WINDOW_MS.googleDirectory),
    clock,
  );
  const stats: PlatformLimitStats = { requests: 0, cost: 0, refused: 0 };
  return {
    stats,
    pool,
    async admit(req) {
      const release = await pool.acquire();
      const respondAt = clock() + g.latencyMs;
      if (!req.path.startsWith('/admin/directory/v1/')) return { release, respondAt };
      if (window.take(1)) {
        stats.cost += 1;
        return { release, respondAt };
      }
      release();
      stats.refused += 1;
      const message =
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com'.";
      return {
        refused: {
          status: 403,
          headers: { vary: 'Origin, X-Origin, Referer' },
          body: {
            error: {
              code: 403,
              message,
              errors: [{ message, domain: 'usageLimits', reason: 'userRateLimitExceeded' }],
              status: 'PERMISSION_DENIED',
            },
          },
        },
        release: () => {},
        respondAt,
      };
    },
  };
}
