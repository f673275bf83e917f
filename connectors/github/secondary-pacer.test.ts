import { describe, expect, it } from 'vitest';
import { SecondaryPacer } from './rate-budget.js';

describe('GitHub secondary-limit pacing', () => {
  it("moves a request that does not fit its endpoint's minute to the next one", async () => {
    let t = 0;
    const sleeps: number[] = [];
    const pacer = new SecondaryPacer({
      restPointsPerMinute: 2,
      graphqlPointsPerMinute: 100,
      minuteMs: 1000,
      now: () => t,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    await pacer.take('GET /repos/x/x/hooks', 1, false);
    await pacer.take('GET /repos/x/x/hooks', 1, false);
    await pacer.take('GET /orgs/x/hooks', 1, false); // another endpoint: its own minute
    expect(sleeps).toEqual([]);
    await pacer.take('GET /repos/x/x/hooks', 1, false);
    // The scanner's minute: 1000 ms × 1.1 + 1000 ms slack.
    expect(sleeps).toEqual([2100]);
    t = 2100;
    await pacer.take('GET /repos/x/x/hooks', 1, false);
    expect(sleeps).toEqual([2100]);
  });
});
