import { describe, expect, it } from 'vitest';
import { ConnectionPool } from './limits-gate.js';
import { OCCUPANCY_SLICE_MS, OccupancyMeter } from './pool-occupancy.js';

function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('pool occupancy', () => {
  it('is empty before any request', () => {
    const meter = new OccupancyMeter(8, () => 0);
    expect(meter.summary()).toMatchObject({ spanMs: 0, meanActive: 0, fullShare: 0, timeline: [] });
  });

  it('accounts the time spent at each number served, from the first request to the last release', () => {
    const clock = manualClock();
    const meter = new OccupancyMeter(2, clock.now);
    meter.record(1, 0); // t=0: one served
    clock.advance(OCCUPANCY_SLICE_MS); // 500 ms at 1
    meter.record(2, 3); // two served, three waiting
    clock.advance(OCCUPANCY_SLICE_MS); // 500 ms at 2
    meter.record(0, 0);
    const s = meter.summary();
    expect(s.spanMs).toBe(2 * OCCUPANCY_SLICE_MS);
    expect(s.msAtActive).toEqual([0, OCCUPANCY_SLICE_MS, OCCUPANCY_SLICE_MS]);
    expect(s.meanActive).toBe(1.5);
    expect(s.fullShare).toBe(0.5);
    expect(s.peakWaiting).toBe(3);
    expect(s.timeline).toEqual([1, 2]);
  });

  it('spreads an interval over the slices it crosses, and a gap with nothing served counts as 0', () => {
    const clock = manualClock();
    const meter = new OccupancyMeter(4, clock.now);
    meter.record(4, 0);
    clock.advance(OCCUPANCY_SLICE_MS * 1.5); // full for a slice and a half
    meter.record(0, 0);
    clock.advance(OCCUPANCY_SLICE_MS * 1.5); // idle: the scanner sent nothing
    meter.record(2, 0);
    clock.advance(OCCUPANCY_SLICE_MS);
    meter.record(0, 0);
    const s = meter.summary();
    expect(s.timeline).toEqual([4, 2, 0, 2]);
    expect(s.msAtActive[0]).toBe(OCCUPANCY_SLICE_MS * 1.5);
    expect(s.fullShare).toBe(0.38);
  });

  it('starts a new span after a reset', () => {
    const clock = manualClock();
    const meter = new OccupancyMeter(1, clock.now);
    meter.record(1, 0);
    clock.advance(1000);
    meter.record(0, 0);
    meter.reset();
    clock.advance(5000);
    meter.record(1, 0);
    clock.advance(200);
    meter.record(0, 0);
    expect(meter.summary()).toMatchObject({ spanMs: 200, meanActive: 1, fullShare: 1 });
  });

  it('a connection pool records what it serves and what waits for a place', async () => {
    const clock = manualClock();
    const pool = new ConnectionPool(1, clock.now);
    const first = await pool.acquire();
    const second = pool.acquire(); // waits
    clock.advance(100);
    first();
    clock.advance(100);
    (await second)();
    const s = pool.occupancy.summary();
    expect(s).toMatchObject({ max: 1, spanMs: 200, meanActive: 1, fullShare: 1, peakWaiting: 1 });
  });
});
