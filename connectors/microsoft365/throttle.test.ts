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
