import { describe, expect, it } from 'vitest';
import { SecondaryPacer } from './rate-budget.js';

/** A pacer over a clock that moves only when the pacer sleeps (or the test says). */
function pacerAt(restPointsPerMinute: number, minuteMs = 1200) {
  const clock = { t: 0, sleeps: [] as number[] };
  const pacer = new SecondaryPacer({
    restPointsPerMinute,
    graphqlPointsPerMinute: 100,
    minuteMs,
    now: () => clock.t,
    sleep: async (ms) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  });
  return { pacer, clock };
}

const HOOKS = 'GET /repos/x/x/hooks';
/** GitHub's minute of 1,200 ms plus one second of it (1/60): points stay held 1,220 ms after an answer. */
const HELD_MS = 1220;

describe('GitHub secondary-limit pacing', () => {
  it("holds a request's points from its sending until a minute after its answer", async () => {
    const { pacer, clock } = pacerAt(2);
    const first = await pacer.take(HOOKS, 1, false);
    const second = await pacer.take(HOOKS, 1, false);
    await (await pacer.take('GET /orgs/x/hooks', 1, false))(); // another endpoint: its own points
    clock.t = 100;
    first();
    clock.t = 300;
    second();
    // Both points held: the third waits for the first's, a minute (and a second) after its answer.
    await pacer.take(HOOKS, 1, false);
    expect(clock.sleeps).toEqual([100 + HELD_MS - 300]);
    expect(clock.t).toBe(100 + HELD_MS);
    // The fourth waits for the second's.
    await pacer.take(HOOKS, 1, false);
    expect(clock.t).toBe(300 + HELD_MS);
  });

  it('waits for an answer while the points are held by requests in flight', async () => {
    const { pacer, clock } = pacerAt(1);
    const first = await pacer.take(HOOKS, 1, false);
    let sent = false;
    const next = pacer.take(HOOKS, 1, false).then(() => {
      sent = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(sent).toBe(false);
    expect(clock.sleeps).toEqual([]);
    clock.t = 50;
    first();
    await next;
    expect(clock.sleeps).toEqual([HELD_MS]);
    expect(clock.t).toBe(50 + HELD_MS);
  });

  it('keeps the limit in every minute however GitHub places its minutes', async () => {
    // Requests of 30 ms round trips, 8 at once, sent as fast as the pacer lets them: no window of a
    // minute (any start) holds more than the limit of the moments they could have been counted at.
    const limit = 20;
    const minuteMs = 1000;
    let t = 0;
    const timers: Array<{ at: number; fire: () => void }> = [];
    const pacer = new SecondaryPacer({
      restPointsPerMinute: limit,
      graphqlPointsPerMinute: 100,
      minuteMs,
      now: () => t,
      sleep: (ms) => new Promise((resolve) => timers.push({ at: t + ms, fire: () => resolve() })),
    });
    const spans: Array<[number, number]> = [];
    const request = async () => {
      const answered = await pacer.take(HOOKS, 1, false);
      const sent = t;
      await new Promise<void>((resolve) => timers.push({ at: t + 30, fire: resolve }));
      spans.push([sent, t]);
      answered();
    };
    const workers = Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 10; i++) await request();
    });
    const all = Promise.all(workers);
    let finished = false;
    void all.then(() => {
      finished = true;
    });
    while (!finished) {
      await new Promise((r) => setImmediate(r));
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (!next) continue;
      t = Math.max(t, next.at);
      next.fire();
    }
    expect(spans).toHaveLength(80);
    // Worst case: GitHub counted each request at whichever moment of its span puts most in one minute.
    for (const [from] of spans) {
      const inMinute = spans.filter(([sent, answeredAt]) => answeredAt >= from && sent < from + minuteMs);
      expect(inMinute.length).toBeLessThanOrEqual(limit);
    }
    // And it does not wait much longer than that needs: 80 requests are 4 minutes' worth.
    expect(t).toBeLessThan(4 * minuteMs * (1 + SecondaryPacer.SLACK) + 200);
  });

  it('lets a request of more points than the limit go alone', async () => {
    const { pacer, clock } = pacerAt(3);
    const post = await pacer.take('POST /orgs/x/things', 5, false);
    clock.t = 10;
    post();
    await pacer.take('POST /orgs/x/things', 5, false);
    expect(clock.t).toBe(10 + HELD_MS);
  });
});
