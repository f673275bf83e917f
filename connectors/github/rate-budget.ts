import { ApiError } from '../../src/errors.js';

/**
 * GitHub's primary rate limit as the scanner sees it, per resource (`core`, `graphql`), learnt from
 * the `x-ratelimit-*` headers of every response. Before a request it refuses to go below `reserve`
 * (or waits for the reset when that is near), so a scan stops cleanly with the collectors not
 * reached named, instead of failing halfway with the budget gone, which GitHub may punish.
 */
export type RateResource = 'core' | 'graphql';

interface Window {
  limit: number;
  /** Remaining as last reported, minus requests sent since. */
  remaining: number;
  /** Epoch seconds. */
  reset: number;
}

export interface RateBudgetOptions {
  reserve: number;
  maxWaitMs: number;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

export class RateBudgetExhausted extends ApiError {}

type HeaderBag = Record<string, string | number | undefined> | undefined;

export class RateBudget {
  private readonly windows = new Map<RateResource, Window>();
  private readonly observers = new Set<() => void>();

  constructor(private readonly options: RateBudgetOptions) {}

  /** Call `fn` after each response that reported the budget (e.g. to start work waiting for it). */
  onObserve(fn: () => void): void {
    this.observers.add(fn);
  }

  /** Learn from a response's headers. */
  observe(headers: HeaderBag): void {
    if (!headers) return;
    const num = (name: string) => {
      const v = headers[name];
      const n = typeof v === 'number' ? v : Number.parseInt(v ?? '', 10);
      return Number.isFinite(n) ? n : undefined;
    };
    const limit = num('x-ratelimit-limit');
    const remaining = num('x-ratelimit-remaining');
    const reset = num('x-ratelimit-reset');
    if (limit == null || remaining == null || reset == null) return;
    const resource = String(headers['x-ratelimit-resource'] ?? 'core') === 'graphql' ? 'graphql' : 'core';
    const known = this.windows.get(resource);
    // Within one window, concurrent responses arrive out of order: keep the lowest count.
    const sameWindow = known && known.reset === reset;
    this.windows.set(resource, {
      limit,
      remaining: sameWindow ? Math.min(known.remaining, remaining) : remaining,
      reset,
    });
    for (const fn of this.observers) fn();
  }

  /** What is known of a resource's window. */
  status(resource: RateResource): { limit: number; remaining: number; resetAt: Date } | undefined {
    const w = this.windows.get(resource);
    return w ? { limit: w.limit, remaining: w.remaining, resetAt: new Date(w.reset * 1000) } : undefined;
  }

  /**
   * Whether `n` more requests fit above the reserve. Unknown windows (nothing seen yet) are assumed
   * to fit: the first response will tell.
   */
  affords(resource: RateResource, n: number): boolean {
    const w = this.current(resource);
    return !w || w.remaining - n >= this.options.reserve;
  }

  /** Take one request from the budget, waiting for a near reset, or throw RateBudgetExhausted. */
  async take(resource: RateResource, what: { method: string; path: string }): Promise<void> {
    let w = this.current(resource);
    if (w && w.remaining <= this.options.reserve) {
      const waitMs = w.reset * 1000 - this.options.now().getTime() + 1000;
      if (waitMs > this.options.maxWaitMs) throw this.exhausted(resource, what, w, 1);
      await this.options.sleep(Math.max(0, waitMs));
      // The window has reset; the next response reports the new one.
      this.windows.delete(resource);
      w = undefined;
    }
    if (w) w.remaining -= 1;
  }

  /** The error for work that would not fit (`needed` requests), naming the budget and the reset. */
  exhausted(
    resource: RateResource,
    what: { method: string; path: string },
    w = this.current(resource),
    needed = 1,
  ): RateBudgetExhausted {
    const left = w ? w.remaining : 0;
    const reset = w ? new Date(w.reset * 1000).toISOString() : 'unknown';
    const message =
      `stopped before the GitHub ${resource} rate limit ran out: ${left} of ${w?.limit ?? '?'} requests left, ` +
      `${needed > 1 ? `about ${needed} needed, ` : ''}reserve ${this.options.reserve}; the window resets at ${reset}. ` +
      'Run again after the reset (or lower github.rateLimit.reserve).';
    return new RateBudgetExhausted(
      resource === 'graphql' ? 'GitHub GraphQL' : 'GitHub REST',
      null,
      message,
      what,
    );
  }

  private current(resource: RateResource): Window | undefined {
    const w = this.windows.get(resource);
    if (w && w.reset * 1000 <= this.options.now().getTime()) {
      this.windows.delete(resource);
      return undefined;
    }
    return w;
  }
}

export interface SecondaryPacerOptions {
  restPointsPerMinute: number;
  graphqlPointsPerMinute: number;
  /** Length of GitHub's minute, in ms (60,000 unless an emulator shortens it). */
  minuteMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * GitHub's secondary limits as the scanner paces itself to them: GitHub reports no remaining count
 * for these ("There is no way to query how close you are", rate-limits-for-the-rest-api.md), so the
 * scanner counts the points it spends per REST endpoint (900 a minute each) and for GraphQL (2,000 a
 * minute), with points as GitHub counts them: "GET, HEAD, and OPTIONS requests: 1; POST, PATCH, PUT,
 * or DELETE requests: 5", a GraphQL query without mutations 1. Each endpoint's minutes follow one
 * another from its first request; a request that does not fit its minute is scheduled in the next,
 * and waits for it. The scanner's minute is taken a little longer (MARGIN, SLACK_MS): GitHub counts a
 * request when it arrives, which for the first requests of a scan (new TLS connections) can be well
 * after it left, so GitHub's minute may start later than the scanner's. Reservations are synchronous, so concurrent callers
 * never share a slot, and a wait is one sleep (tests that do not sleep do not spin).
 */
export class SecondaryPacer {
  static readonly MARGIN = 1.1;
  static readonly SLACK_MS = 1000;
  private readonly windows = new Map<string, { start: number; used: number }>();
  private readonly windowMs: number;

  constructor(private readonly options: SecondaryPacerOptions) {
    this.windowMs = options.minuteMs * SecondaryPacer.MARGIN + SecondaryPacer.SLACK_MS;
  }

  /** Points of one request (a GraphQL call is sent as POST /graphql). */
  static points(method: string, graphql: boolean): number {
    if (graphql) return 1;
    return ['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase()) ? 1 : 5;
  }

  /** Spend `points` on `endpoint` in the first minute they fit, waiting for it. */
  async take(endpoint: string, points: number, graphql: boolean): Promise<void> {
    const limit = graphql ? this.options.graphqlPointsPerMinute : this.options.restPointsPerMinute;
    const now = this.options.now();
    let w = this.windows.get(endpoint);
    if (!w || now >= w.start + this.windowMs) {
      w = { start: Math.max(now, w ? w.start + this.windowMs : now), used: 0 };
      this.windows.set(endpoint, w);
    }
    if (w.used + points > limit && w.used > 0) {
      w.start += this.windowMs;
      w.used = 0;
    }
    w.used += points;
    if (w.start > now) await this.options.sleep(w.start - now);
  }
}
