import type { Clock } from '../../src/connector/context.js';

/**
 * Client-side pacing to a per-minute quota (GCRA / virtual scheduling): each call reserves the next slot,
 * allowing a burst of one second's worth, so a fan-out of thousands of tokens.list calls runs at the quota
 * instead of hitting it and collecting 403 userRateLimitExceeded. Reservations are synchronous, so
 * concurrent callers never share a slot.
 */
export class QuotaPacer {
  private readonly intervalMs: number;
  private readonly burst: number;
  private tat = Number.NEGATIVE_INFINITY;
  private first: number | null = null;
  private calls = 0;
  private waited = 0;

  constructor(
    readonly perMinute: number,
    private readonly clock: Clock,
    private readonly signal?: AbortSignal,
    /** The quota's minute, in ms: shorter only against an emulator with a time scale. */
    minuteMs = 60_000,
  ) {
    this.intervalMs = minuteMs / perMinute;
    this.burst = Math.max(1, Math.floor(perMinute / 60));
  }

  /** Wait until a call may be made under the quota. */
  async take(): Promise<void> {
    const now = this.clock.now().getTime();
    this.first ??= now;
    const tat = Math.max(this.tat, now);
    const earliest = tat - (this.burst - 1) * this.intervalMs;
    this.tat = tat + this.intervalMs;
    this.calls += 1;
    if (earliest > now) {
      this.waited += earliest - now;
      await this.clock.sleep(earliest - now, this.signal);
    }
  }

  /**
   * Calls paced, time spent waiting, and the schedule's length: the least time these calls take at the
   * quota (what a run against Google would need even if every response were instant).
   */
  stats(): { calls: number; waitedMs: number; scheduleMs: number } {
    const scheduleMs =
      this.first === null ? 0 : Math.max(0, this.tat - this.first - this.burst * this.intervalMs);
    return { calls: this.calls, waitedMs: Math.round(this.waited), scheduleMs: Math.round(scheduleMs) };
  }
}
