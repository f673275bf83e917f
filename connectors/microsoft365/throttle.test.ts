import { describe, expect, it } from 'vitest';
import { ResourceUnitPacer, resourceUnits, tenantBucket } from './throttle.js';

/** A clock whose sleeps move it: waits are asserted, never taken. */
function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms: number) => (t += ms),
    clock: {
      now: () => new Date(t),
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
    },
  };
}

describe('Graph resource-unit pacing', () => {
  it('costs requests as throttling-limits documents', () => {
    expect(resourceUnits('GET', '/applications', new URLSearchParams('$select=id'))).toBe(1);
    expect(resourceUnits('GET', '/servicePrincipals/x/appRoleAssignments', new URLSearchParams())).toBe(2);
    expect(resourceUnits('GET', '/reports/servicePrincipalSignInActivities', new URLSearchParams())).toBe(0);
  });

  it('waits for the refill once the bucket is spent, and for a Retry-After', async () => {
    const f = fakeClock();
    const pacer = new ResourceUnitPacer({ perTenSeconds: 100, windowMs: 10_000, clock: f.clock });
    await pacer.take(100);
    expect(f.sleeps).toEqual([]);
    await pacer.take(10); // 10 RU of debt at 10 RU/s
    expect(f.sleeps).toEqual([1000]);
    f.advance(1000);
    const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n.toLowerCase()] ?? null });
    pacer.observe(429, headers({ 'retry-after': '3' }), 1);
    await pacer.take(1);
    expect(f.sleeps.at(-1)).toBe(3000);
    expect(pacer.throttled).toBe(1);
  });

  it('tells a request held back before it waits, and only then (a list sending ahead stops waiting for it)', async () => {
    const f = fakeClock();
    const pacer = new ResourceUnitPacer({ perTenSeconds: 100, windowMs: 10_000, clock: f.clock });
    const told: number[] = [];
    await pacer.take(100, () => told.push(f.sleeps.length));
    expect(told).toEqual([]);
    await pacer.take(10, () => told.push(f.sleeps.length));
    // Told before the sleep began.
    expect(told).toEqual([0]);
    expect(f.sleeps).toEqual([1000]);
  });

  it('brings its bucket down to what x-ms-throttle-limit-percentage says is used', async () => {
    const f = fakeClock();
    const pacer = new ResourceUnitPacer({ perTenSeconds: 100, windowMs: 10_000, clock: f.clock });
    pacer.observe(200, { get: (n) => (n === 'x-ms-throttle-limit-percentage' ? '0.9' : null) }, 1);
    await pacer.take(20); // 10 left, 10 of debt: 1 s
    expect(f.sleeps).toHaveLength(1);
    expect(f.sleeps[0]).toBeCloseTo(1000);
  });

  it('knows the bucket of each tenant size throttling-limits names', () => {
    expect([0, 49, 50, 500, 501, 20_000].map(tenantBucket)).toEqual([3500, 3500, 5000, 5000, 8000, 8000]);
  });

  it('raised to a larger bucket, refills at its rate from then on; never lowered', async () => {
    const f = fakeClock();
    const pacer = new ResourceUnitPacer({ perTenSeconds: 100, windowMs: 10_000, clock: f.clock });
    await pacer.take(100);
    pacer.raiseTo(400); // the 300 more it holds are there at once
    await pacer.take(300);
    expect(f.sleeps).toEqual([]);
    await pacer.take(40); // 40 RU of debt at 40 RU/s
    expect(f.sleeps).toEqual([1000]);
    pacer.raiseTo(100);
    expect(pacer.rate).toBe(400);
  });
});

/** A pacer at the smallest bucket that learns 8,000 when asked, and how often it was asked. */
function learningPacer() {
  const f = fakeClock();
  let times = 0;
  const pacer = new ResourceUnitPacer({
    perTenSeconds: 3500,
    windowMs: 10_000,
    clock: f.clock,
    learnRate: async () => {
      times += 1;
      return 8000;
    },
  });
  return { f, pacer, asked: () => times };
}

describe("learning the tenant's bucket when the smallest one first binds", () => {
  it('never asks while requests fit in the bucket', async () => {
    const { f, pacer, asked } = learningPacer();
    for (let i = 0; i < 35; i++) await pacer.take(100);
    expect(asked()).toBe(0);
    expect(f.sleeps).toEqual([]);
    expect(await pacer.learnt()).toBe(false);
  });

  it('asks once, when a request would first wait, and paces to the answer from then on', async () => {
    const { f, pacer, asked } = learningPacer();
    await pacer.take(3500);
    // This one finds the bucket spent: it asks, and itself waits its share at the old rate (100 RU at
    // 350 RU/s), since the request that learns the size goes through the same bucket.
    await pacer.take(100);
    expect(asked()).toBe(1);
    expect(f.sleeps).toEqual([(100 * 10_000) / 3500]);
    expect(await pacer.learnt()).toBe(true);
    expect(pacer.rate).toBe(8000);
    // The raise refilled the bucket by the difference: 4,400 RU more go through without a wait.
    for (let i = 0; i < 44; i++) await pacer.take(100);
    expect(f.sleeps).toHaveLength(1);
    await pacer.take(100);
    expect(f.sleeps.at(-1)).toBe((100 * 10_000) / 8000);
    expect(asked()).toBe(1);
  });

  it('stays at its rate when the answer is null or the question fails', async () => {
    for (const learnRate of [async () => null, async () => Promise.reject(new Error('403'))]) {
      const f = fakeClock();
      const pacer = new ResourceUnitPacer({
        perTenSeconds: 3500,
        windowMs: 10_000,
        clock: f.clock,
        learnRate,
      });
      await pacer.take(3600);
      expect(await pacer.learnt()).toBe(true);
      expect(pacer.rate).toBe(3500);
      // Still 350 RU/s: the debt of 450 RU takes its time to refill.
      await pacer.take(350);
      expect(f.sleeps.at(-1)).toBeCloseTo((450 * 10_000) / 3500);
    }
  });
});
