import { describe, expect, it } from 'vitest';
import { bundle, daysBefore, grant, identity } from '../../test/support/records.js';
import { AS_OF, findingsOf, policyWith } from '../../test/support/rules.js';
import { stale } from './stale.js';

const usedDaysAgo = (days: number) =>
  identity({ lastUsed: { at: daysBefore(AS_OF, days), source: 'github:last_used' } });
const neverUsed = (createdDaysAgo: number | null) =>
  identity({
    lastUsed: { at: null, source: 'entra:signInActivity' },
    createdAt: createdDaysAgo === null ? null : daysBefore(AS_OF, createdDaysAgo),
  });

describe('stale', () => {
  it('last used 89 days ago is not stale; 91 days ago is', async () => {
    expect(await findingsOf(stale, [bundle(usedDaysAgo(89))])).toEqual([]);
    const [f] = await findingsOf(stale, [bundle(usedDaysAgo(91))]);
    expect(f).toMatchObject({
      severity: 'medium',
      title: '"Acme CI" (GitHub App installation) has not been used for 91 days',
    });
    expect(f!.evidence).toMatchObject({
      lastUsedAt: daysBefore(AS_OF, 91),
      daysSinceLastUse: 91,
      unusedDays: 90,
      usageSource: 'github:last_used',
    });
    // When it held is the finding's last-seen time, not evidence that differs on every scan.
    expect(f!.evidence).not.toHaveProperty('asOf');
  });

  it('exactly the threshold is not stale yet; one second past it is', async () => {
    expect(await findingsOf(stale, [bundle(usedDaysAgo(90))])).toEqual([]);
    const justPast = identity({
      lastUsed: { at: new Date(AS_OF.getTime() - 90 * 86_400_000 - 1000).toISOString(), source: 'x' },
    });
    expect(await findingsOf(stale, [bundle(justPast)])).toHaveLength(1);
    expect(await findingsOf(stale, [bundle(neverUsed(30))])).toEqual([]);
  });

  it('never used: created 29 days ago is within the grace period; 31 days ago is stale', async () => {
    expect(await findingsOf(stale, [bundle(neverUsed(29))])).toEqual([]);
    const [f] = await findingsOf(stale, [bundle(neverUsed(31))]);
    expect(f!.title).toBe('"Acme CI" (GitHub App installation) has never been used (created 31 days ago)');
    expect(f!.evidence).toMatchObject({ lastUsedAt: null, daysSinceCreated: 31, neverUsedGraceDays: 30 });
  });

  it('no usage signal means never stale, however old the identity', async () => {
    expect(
      await findingsOf(stale, [bundle(identity({ lastUsed: null, createdAt: '2019-01-01T00:00:00Z' }))]),
    ).toEqual([]);
    // Never used with no creation date: the grace period cannot be judged.
    expect(await findingsOf(stale, [bundle(neverUsed(null))])).toEqual([]);
  });

  it('severity is high when the identity holds a grant at tier high or above', async () => {
    const [f] = await findingsOf(stale, [bundle(usedDaysAgo(200), [grant({ risk: { tier: 'high' } })])]);
    expect(f!.severity).toBe('high');
  });

  it('thresholds are policy keys, and the as-of time decides', async () => {
    const policy = policyWith({ stale: { unusedDays: 45 } });
    expect(await findingsOf(stale, [bundle(usedDaysAgo(46))], { policy })).toHaveLength(1);
    const earlier = new Date(AS_OF.getTime() - 10 * 86_400_000);
    expect(await findingsOf(stale, [bundle(usedDaysAgo(95))], { asOf: earlier })).toEqual([]);
  });
});
