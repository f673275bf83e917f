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
  /** How long a window lasts (GitHub's hour; shorter only against an emulator with a time scale). */
  windowMs: number;
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
   * Whether `n` more requests can be sent: they fit above the reserve, or `take` may wait for the
   * resets they run into (each wait no longer than `maxWaitMs`: the first until this window's reset,
   * any later one a whole window). Unknown windows (nothing seen yet) are assumed to fit: the first
   * response will tell.
   */
  affords(resource: RateResource, n: number): boolean {
    const w = this.current(resource);
    if (!w || w.remaining - n >= this.options.reserve) return true;
    const { reserve, maxWaitMs, windowMs } = this.options;
    if (w.reset * 1000 - this.options.now().getTime() + 1000 > maxWaitMs) return false;
    const perWindow = w.limit - reserve;
    if (perWindow <= 0) return false;
    const afterReset = n - Math.max(0, w.remaining - reserve);
    return afterReset <= perWindow || windowMs <= maxWaitMs;
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
      'Run `grantscope scan --resume` after the reset, or let the scan wait for it (github.rateLimit.maxWaitSeconds), ' +
      'or lower github.rateLimit.reserve.';
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

/** Points spent on one endpoint that may still count in some minute of GitHub's. */
class EndpointPoints {
  /** Points of requests sent and not yet answered: GitHub may count them at any moment. */
  inFlight = 0;
  /** Answered requests, in the order answered (so by `until`): their points count until `until`. */
  private readonly answered: Array<{ points: number; until: number }> = [];
  private head = 0;
  private answeredPoints = 0;
  /** Callers waiting for an answer, woken by the next one. */
  private readonly awaitingAnswer: Array<() => void> = [];
  /** Reservations run in turn, in the order asked. */
  turn: Promise<unknown> = Promise.resolve();
  /** Waiting callers, so that a free slot is not taken by a caller that asked later. */
  queued = 0;

  /** Points that may still count at `now`. */
  used(now: number): number {
    while (this.head < this.answered.length && this.answered[this.head]!.until <= now) {
      this.answeredPoints -= this.answered[this.head]!.points;
      this.head += 1;
    }
    if (this.head > 512 && this.head * 2 > this.answered.length) {
      this.answered.splice(0, this.head);
      this.head = 0;
    }
    return this.inFlight + this.answeredPoints;
  }

  /**
   * When `points` more fit under `limit` (or nothing is held), going by the answered requests only
   * (the ones in flight count until they are answered and then a minute more): undefined when that
   * needs an answer not yet received.
   */
  fitsAt(points: number, limit: number, now: number): number | undefined {
    let excess = this.used(now) + points - limit;
    if (excess <= 0) return now;
    for (let i = this.head; i < this.answered.length; i++) {
      excess -= this.answered[i]!.points;
      // Fits, or nothing is held any more (a request of more points than the limit goes alone).
      if (excess <= 0 || (i === this.answered.length - 1 && this.inFlight === 0))
        return this.answered[i]!.until;
    }
    return undefined;
  }

  answer(points: number, until: number): void {
    this.inFlight -= points;
    this.answered.push({ points, until });
    this.answeredPoints += points;
    for (const wake of this.awaitingAnswer.splice(0)) wake();
  }

  nextAnswer(): Promise<void> {
    return new Promise((resolve) => this.awaitingAnswer.push(resolve));
  }
}

/**
 * GitHub's secondary limits as the scanner paces itself to them: GitHub reports no remaining count
 * for these ("There is no way to query how close you are", rate-limits-for-the-rest-api.md), so the
 * scanner counts the points it spends per REST endpoint (900 a minute each) and for GraphQL (2,000 a
 * minute), with points as GitHub counts them: "GET, HEAD, and OPTIONS requests: 1; POST, PATCH, PUT,
 * or DELETE requests: 5", a GraphQL query without mutations 1.
 *
 * GitHub says "per minute" and no more: not when its minute starts, nor whether it is fixed or
 * sliding. So the pacer keeps the limit in every minute, however GitHub places them: it knows that
 * GitHub counted a request at some moment between sending it and receiving its answer, so a request
 * may count in any minute that overlaps that span. A request's points therefore hold their place from
 * the moment it is sent until a minute after it is answered (for ever while it is in flight); a new
 * request goes when the points still held, and its own, fit the limit. Any minute of GitHub's then
 * holds at most the limit: take the request in it sent last; every other one in it was sent before
 * and answered (if at all) less than a minute before that one was sent, so it was held when that one
 * went. The minute is taken one second of GitHub's time longer (SLACK): for the skew between GitHub's
 * own servers' clocks and a minute counted in whole seconds.
 *
 * This replaces minutes of 1.1 × 60 s + 1 s following one another from an endpoint's first request,
 * a margin for GitHub's minute starting after the scanner's (first requests open connections): a
 * guess, 7 s of idle connections per minute, and not safe either (a minute whose requests were
 * spread out could be followed, inside one minute of GitHub's, by a full one). Answers bound when
 * GitHub counted without guessing, and cost only the round trip of the first answer: requests beyond
 * a minute's points go out as those of a minute ago expire, as fast as those went.
 *
 * Reservations are synchronous and, once one waits, in the order asked, so concurrent callers never
 * share points; a wait is one sleep (tests that do not sleep do not spin) or the next answer.
 */
export class SecondaryPacer {
  /** One second of GitHub's minute. */
  static readonly SLACK = 1 / 60;
  private readonly endpoints = new Map<string, EndpointPoints>();
  /** How long an answered request's points are held. */
  private readonly heldMs: number;
  private lastUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: SecondaryPacerOptions) {
    this.heldMs = options.minuteMs * (1 + SecondaryPacer.SLACK);
  }

  /** Points of one request (a GraphQL call is sent as POST /graphql). */
  static points(method: string, graphql: boolean): number {
    if (graphql) return 1;
    return ['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase()) ? 1 : 5;
  }

  /**
   * Spend `points` on `endpoint` as soon as they fit, waiting for that. Resolves to the function to
   * call once the request is answered or has failed (a retry is a new request, with its own `take`).
   */
  take(endpoint: string, points: number, graphql: boolean): Promise<() => void> {
    const limit = graphql ? this.options.graphqlPointsPerMinute : this.options.restPointsPerMinute;
    const held = this.pointsOf(endpoint);
    if (held.queued === 0) {
      const used = held.used(this.options.now());
      // A request of more points than the limit goes alone rather than never.
      if (used === 0 || used + points <= limit) return Promise.resolve(this.spend(held, points));
    }
    held.queued += 1;
    const turn = held.turn
      .then(() => this.waitFor(held, points, limit))
      .finally(() => {
        held.queued -= 1;
      });
    held.turn = turn.catch(() => undefined);
    return turn;
  }

  private pointsOf(endpoint: string): EndpointPoints {
    let held = this.endpoints.get(endpoint);
    if (!held) {
      held = new EndpointPoints();
      this.endpoints.set(endpoint, held);
    }
    return held;
  }

  private async waitFor(held: EndpointPoints, points: number, limit: number): Promise<() => void> {
    // The moment slept until: trusted over `now()`, which a test's clock may not have moved on.
    let slept = Number.NEGATIVE_INFINITY;
    for (;;) {
      const now = Math.max(this.options.now(), slept);
      if (held.used(now) === 0) break;
      const at = held.fitsAt(points, limit, now);
      if (at === undefined) await held.nextAnswer();
      else if (at <= now) break;
      else {
        await this.options.sleep(at - now);
        slept = at;
      }
    }
    return this.spend(held, points);
  }

  private spend(held: EndpointPoints, points: number): () => void {
    held.inFlight += points;
    let answered = false;
    return () => {
      if (answered) return;
      answered = true;
      // Kept in order for EndpointPoints.answered, whatever a test's clock does.
      this.lastUntil = Math.max(this.lastUntil, this.options.now() + this.heldMs);
      held.answer(points, this.lastUntil);
    };
  }
}
