import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/connector/context.js';
import { QuotaPacer } from './pacer.js';

/** A clock that only moves when someone sleeps. */
function virtualClock(): Clock & { t: number } {
  const c = {
    t: 0,
    now: () => new Date(c.t),
    sleep: async (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

describe('QuotaPacer', () => {
  it('never lets more than the quota (plus one second of burst) through in any minute', async () => {
    const clock = virtualClock();
    const pacer = new QuotaPacer(600, clock);
    const times: number[] = [];
    for (let i = 0; i < 2000; i++) {
      await pacer.take();
      times.push(clock.t);
    }
    let worst = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 60_000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    expect(worst).toBeLessThanOrEqual(600 + 10);
    expect(worst).toBeGreaterThanOrEqual(600);
    // The schedule: the first 10 go at once, then one every 100 ms.
    expect(pacer.stats()).toEqual({ calls: 2000, waitedMs: clock.t, scheduleMs: (2000 - 10) * 100 });
    expect(clock.t).toBe((2000 - 10) * 100);
  });

  it('does not wait while calls stay under the quota', async () => {
    const clock = virtualClock();
    const pacer = new QuotaPacer(2400, clock);
    for (let i = 0; i < 40; i++) await pacer.take();
    expect(clock.t).toBe(0);
    await pacer.take();
    expect(clock.t).toBe(25);
  });

  it('gives concurrent callers distinct slots', async () => {
    const sleeps: number[] = [];
    const clock: Clock = { now: () => new Date(0), sleep: async (ms) => void sleeps.push(ms) };
    const pacer = new QuotaPacer(60, clock);
    await Promise.all(Array.from({ length: 5 }, () => pacer.take()));
    expect(sleeps.sort((a, b) => a - b)).toEqual([1000, 2000, 3000, 4000]);
  });
});
