/**
 * How busy a connection pool (./limits-gate.ts `ConnectionPool`) was over time: the lower bound on a
 * scan's wall time assumes the pool serves `max` requests at once for the whole scan (latency x
 * requests / max, ./limits.ts), so where a scan falls short of its bound is where the pool ran below
 * `max`. This meter records the time spent at each number of requests served, from the first request
 * to the last one's end, and the mean served per slice of time, so `/_emulator/stats` can show when a
 * scanner left the pool idle (a list paged one page at a time, collectors one after another).
 */

/** Length of one slice of `timeline`, in ms. */
export const OCCUPANCY_SLICE_MS = 500;

export interface PoolOccupancy {
  /** Requests the pool serves at once. */
  max: number;
  /** First request admitted to the last one released, ms; 0 before any request. */
  spanMs: number;
  /** Mean requests served over the span (max when the pool was full throughout). */
  meanActive: number;
  /** Share of the span with all `max` places taken. */
  fullShare: number;
  /** ms spent with 0, 1, …, max requests served. */
  msAtActive: number[];
  /** Most requests waiting for a place at once (a scanner sending more than the pool serves). */
  peakWaiting: number;
  /** Mean requests served in each OCCUPANCY_SLICE_MS slice of the span, in order. */
  timeline: number[];
}

export class OccupancyMeter {
  private first: number | null = null;
  private last = 0;
  private active = 0;
  private peakWaiting = 0;
  private msAt: number[];
  /** Served-ms per slice (slice i covers first + i·SLICE … first + (i+1)·SLICE). */
  private slices: number[] = [];

  constructor(
    readonly max: number,
    private readonly clock: () => number,
  ) {
    this.msAt = new Array<number>(max + 1).fill(0);
  }

  /** The pool now serves `active` requests and has `waiting` queued. */
  record(active: number, waiting: number): void {
    const t = this.clock();
    if (this.first === null) {
      this.first = t;
      this.last = t;
    }
    this.advance(t);
    this.active = active;
    this.peakWaiting = Math.max(this.peakWaiting, waiting);
  }

  /** Account the time since the last change at the level held until now. */
  private advance(t: number): void {
    if (this.first === null || t <= this.last) return;
    const level = Math.min(this.active, this.max);
    this.msAt[level] = (this.msAt[level] ?? 0) + (t - this.last);
    if (level > 0) {
      // Spread `level` served over the slices the interval crosses.
      let from = this.last;
      while (from < t) {
        const slice = Math.floor((from - this.first) / OCCUPANCY_SLICE_MS);
        const end = Math.min(t, this.first + (slice + 1) * OCCUPANCY_SLICE_MS);
        while (this.slices.length <= slice) this.slices.push(0);
        this.slices[slice] = (this.slices[slice] ?? 0) + level * (end - from);
        from = end;
      }
    }
    this.last = t;
  }

  summary(): PoolOccupancy {
    const spanMs = this.first === null ? 0 : this.last - this.first;
    const served = this.msAt.reduce((n, ms, level) => n + ms * level, 0);
    const slices = Math.ceil(spanMs / OCCUPANCY_SLICE_MS);
    const timeline = Array.from({ length: slices }, (_, i) => {
      const width = Math.min(OCCUPANCY_SLICE_MS, spanMs - i * OCCUPANCY_SLICE_MS);
      return round2((this.slices[i] ?? 0) / width);
    });
    return {
      max: this.max,
      spanMs,
      meanActive: spanMs > 0 ? round2(served / spanMs) : 0,
      fullShare: spanMs > 0 ? round2((this.msAt[this.max] ?? 0) / spanMs) : 0,
      msAtActive: [...this.msAt],
      peakWaiting: this.peakWaiting,
      timeline,
    };
  }

  reset(): void {
    this.first = null;
    this.last = 0;
    this.peakWaiting = 0;
    this.msAt = new Array<number>(this.max + 1).fill(0);
    this.slices = [];
    // Requests still being served stay counted: the next span starts with the next change.
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;
