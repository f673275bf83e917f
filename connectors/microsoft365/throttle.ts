import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import type { Clock } from '../../src/connector/context.js';
import { OnItsWay } from './on-its-way.js';

/**
 * Pacing to Graph's identity-and-access throttling (learn.microsoft.com/graph/throttling-limits,
 * "Identity and access service limits"): a token bucket of resource units (RU) per app+tenant per
 * 10 seconds (3,500 / 5,000 / 8,000 for tenants of under 50 / 50-500 / over 500 users). The scanner
 * keeps its own bucket at the configured rate, costs each request as the page documents, and reads
 * what Graph sends back:
 * - `x-ms-resource-unit`, "the resource unit used for this request": the cost charged, corrected;
 * - `x-ms-throttle-limit-percentage`, "returned only when the application consumed more than 0.8 of
 *   its limit": the bucket is brought down to what Graph says is left;
 * - a 429's `Retry-After`: nothing more is sent until it has passed.
 * Requests carry `x-ms-throttle-priority: low` ("Low - Indicates the request is low priority.
 * Throttling this request doesn't cause user-visible failures"), which a background scan is.
 */

/**
 * Base costs the page lists ("Any requests not listed have a base cost of 1"), for the paths a
 * scanner reads.
 */
const BASE_COSTS: Array<[method: string, path: RegExp, cost: number]> = [
  ['GET', /^applications$/, 2],
  ['GET', /^applications\/[^/]+\/extensionProperties$/, 2],
  ['GET', /^groups\/[^/]+\/members$/, 3],
  ['GET', /^groups\/[^/]+\/transitiveMembers$/, 5],
  ['GET', /^oauth2PermissionGrants$/, 2],
  ['GET', /^oauth2PermissionGrants\/(?!delta$)[^/]+$/, 2],
  ['GET', /^servicePrincipals\/[^/]+\/appRoleAssignments$/, 2],
  ['GET', /^users$/, 2],
];

/**
 * A request's RU: base cost; "`$select` decreases cost by 1", "`$expand` increases cost by 1",
 * "`$top` with a value of less than 20 decreases cost by 1"; "never lower than 1". `path` is relative
 * to the version root. The identity reports (`/reports`, `/auditLogs`) have a limit of their own in
 * requests, not RU: 0 here.
 */
export function resourceUnits(method: string, path: string, query: URLSearchParams): number {
  const p = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (/^(reports|auditLogs)(\/|$)/.test(p)) return 0;
  let cost = BASE_COSTS.find(([m, re]) => m === method && re.test(p))?.[2] ?? 1;
  if (query.has('$select')) cost -= 1;
  if (query.has('$expand')) cost += 1;
  const top = Number(query.get('$top'));
  if (query.has('$top') && Number.isFinite(top) && top < 20) cost -= 1;
  return Math.max(1, cost);
}

/**
 * The bucket of a tenant of `users` users (throttling-limits, identity and access: "3,500 / 5,000 / 8,000"
 * resource units per 10 seconds for tenants of "less than 50 users", "50-500 users", "more than 500 users").
 */
export function tenantBucket(users: number): number {
  if (users > 500) return 8_000;
  if (users >= 50) return 5_000;
  return 3_500;
}

export interface ResourceUnitPacerOptions {
  /** RU per 10 s of the tenant's size class. */
  perTenSeconds: number;
  /** Graph's 10 s, in ms (shorter only against an emulator with a time scale). */
  windowMs: number;
  clock: Clock;
  signal?: AbortSignal;
  /**
   * The RU per 10 s to pace to instead, learnt once when the bucket first makes a request wait (the
   * tenant's size class, when the config did not give it); null to stay. A scan that never fills the
   * smallest bucket never asks.
   */
  learnRate?: () => Promise<number | null>;
}

export class ResourceUnitPacer {
  private tokens: number;
  private last: number;
  private perTenSeconds: number;
  private pausedUntil = 0;
  /** Requests answered 429 (throttled), for the scan's log. */
  throttled = 0;
  /** `learnRate`, once asked (see the option). */
  private learning: Promise<void> | null = null;

  /** Whether `learnRate` was asked (and has been answered or failed). */
  async learnt(): Promise<boolean> {
    if (!this.learning) return false;
    await this.learning;
    return true;
  }

  constructor(private readonly options: ResourceUnitPacerOptions) {
    this.perTenSeconds = options.perTenSeconds;
    this.tokens = options.perTenSeconds;
    this.last = options.clock.now().getTime();
  }

  /** RU per 10 s paced to now. */
  get rate(): number {
    return this.perTenSeconds;
  }

  /**
   * Pace to a larger bucket from now on (the tenant's, once its size is known): it refills faster and
   * holds more, and the RU already spent stay spent. Never lowers the rate.
   */
  raiseTo(perTenSeconds: number): void {
    if (perTenSeconds <= this.perTenSeconds) return;
    this.refill(this.options.clock.now().getTime());
    this.tokens += perTenSeconds - this.perTenSeconds;
    this.perTenSeconds = perTenSeconds;
  }

  private refill(now: number): void {
    const { perTenSeconds } = this;
    const { windowMs } = this.options;
    this.tokens = Math.min(perTenSeconds, this.tokens + ((now - this.last) * perTenSeconds) / windowMs);
    this.last = now;
  }

  /**
   * Spend `cost` RU, waiting while the bucket is in debt (and until any Retry-After has passed).
   * Reservations are synchronous: concurrent callers queue up by the debt they leave, each waiting
   * one sleep for its share of the refill.
   */
  async take(cost: number, onWait?: () => void): Promise<void> {
    const { windowMs, clock, signal, learnRate } = this.options;
    if (learnRate && this.learning === null) {
      this.refill(clock.now().getTime());
      // Not awaited: the request that learns it goes through this pacer too. Those waiting meanwhile
      // wait their share at the old rate; the raise refills the bucket for the ones after.
      if (this.tokens < cost)
        this.learning = learnRate().then(
          (rate) => {
            if (rate !== null) this.raiseTo(rate);
          },
          () => {},
        );
    }
    const { perTenSeconds } = this;
    const now = clock.now().getTime();
    this.refill(now);
    this.tokens -= cost;
    const debtMs = this.tokens < 0 ? (-this.tokens * windowMs) / perTenSeconds : 0;
    const waitMs = Math.max(debtMs, this.pausedUntil - now);
    if (waitMs > 0) {
      onWait?.();
      await clock.sleep(waitMs, signal);
    }
  }

  /** Learn from a response (or a `$batch` inner response) charged `estimated` RU. */
  observe(status: number, headers: { get(name: string): string | null }, estimated: number): void {
    const now = this.options.clock.now().getTime();
    this.refill(now);
    const charged = Number(headers.get('x-ms-resource-unit'));
    if (Number.isFinite(charged) && charged > 0) this.tokens -= charged - estimated;
    const used = Number(headers.get('x-ms-throttle-limit-percentage'));
    if (Number.isFinite(used) && used > 0) {
      this.tokens = Math.min(this.tokens, this.perTenSeconds * (1 - used));
    }
    if (status === 429) {
      this.throttled += 1;
      const after = retryAfterMs(headers.get('retry-after'), now);
      this.pausedUntil = Math.max(this.pausedUntil, now + (after ?? this.options.windowMs / 10));
    }
  }
}

function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The RU of one inner request of a `$batch`, from its URL (relative to the version root). */
export function innerResourceUnits(method: string, url: string): number {
  const u = new URL(url, 'https://graph.invalid');
  return resourceUnits(method.toUpperCase(), u.pathname, u.searchParams);
}

/** The request's cost: for a `$batch`, the sum of its inner requests' (from its body). */
function costOf(context: Context, versionRoot: string): { total: number; batch: boolean } {
  const url = new URL(typeof context.request === 'string' ? context.request : context.request.url);
  const method = (
    context.options?.method ?? (typeof context.request === 'string' ? 'GET' : context.request.method)
  ).toUpperCase();
  const rel = url.pathname.startsWith(versionRoot) ? url.pathname.slice(versionRoot.length) : url.pathname;
  const path = rel.replace(/^\/(v1\.0|beta)(?=\/)/, '');
  if (method === 'POST' && path === '/$batch') {
    let total = 0;
    try {
      const body = JSON.parse(String(context.options?.body ?? '')) as {
        requests?: Array<{ id: string; method: string; url: string }>;
      };
      for (const r of body.requests ?? []) total += innerResourceUnits(r.method, r.url);
    } catch {
      // Not a body this scanner sent: costed at 0, corrected by what Graph reports.
    }
    return { total, batch: true };
  }
  return { total: resourceUnits(method, path, url.searchParams), batch: false };
}

/**
 * Graph client middleware, placed before the transport: paces each request (retries included: Graph
 * charges them too) and reads the throttling headers of its answer. The inner answers of a `$batch`
 * that succeeded are read by their reader (GraphApi.batch, `observe` with `innerResourceUnits`), which
 * parses the body anyway: reading it here too would parse every `$batch` answer twice.
 */
export class ResourceUnitPacing implements Middleware {
  private next: Middleware | undefined;

  constructor(
    private readonly pacer: ResourceUnitPacer,
    private readonly graphBaseUrl: string,
  ) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const cost = costOf(context, new URL(this.graphBaseUrl).pathname.replace(/\/+$/, ''));
    // A request paced is not on its way yet, and its sender need not wait for it (on-its-way.ts).
    const notice = OnItsWay.of(context);
    await this.pacer.take(cost.total, notice && (() => notice.onWay()));
    setHeader(context, 'x-ms-throttle-priority', 'low');
    await this.next!.execute(context);
    const response = context.response;
    if (!response) return;
    // A $batch answered 200 is charged per inner request: its reader observes each one.
    if (cost.batch && response.status === 200) return;
    this.pacer.observe(response.status, response.headers, cost.total);
  }
}

function setHeader(context: Context, name: string, value: string): void {
  if (typeof context.request !== 'string') context.request.headers.set(name, value);
  context.options ??= {};
  const headers = context.options.headers as
    | Headers
    | Array<[string, string]>
    | Record<string, string>
    | undefined;
  if (headers instanceof Headers) headers.set(name, value);
  else if (Array.isArray(headers)) headers.push([name, value]);
  else context.options.headers = { ...(headers ?? {}), [name]: value };
}
