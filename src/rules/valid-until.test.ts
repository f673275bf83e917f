import { describe, expect, it } from 'vitest';
import { bundle, credential, grant, identity } from '../../test/support/records.js';
import { findingsOf, policyWith } from '../../test/support/rules.js';
import { BUILTIN_VOCABULARY } from '../../test/support/vocabulary.js';
import { EMPTY_GOVERNANCE } from '../governance/model.js';
import { UNKNOWN_PEOPLE } from '../governance/people.js';
import type { Policy } from '../policy/schema.js';
import type { IdentityBundle } from '../store/store.js';
import { DAY_MS } from './bundle-facts.js';
import { credentialHygiene } from './credential-hygiene.js';
import { idlePartner, projectForVendor } from './idle-partner.js';
import { overdueReview } from './overdue-review.js';
import type { AnyRule } from './rule.js';
import { stale } from './stale.js';

/**
 * `validUntil` (findings-reuse.ts carries an unchanged identity's findings while the as-of time is
 * before it): a rule's findings about a bundle are the same at every instant from as-of up to it, and
 * differ at it where the findings tick (a day count, a threshold). Checked over a sweep of as-of
 * times around every threshold of a set of bundles.
 */
const START = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(ms).toISOString();
const days = (n: number) => START + n * DAY_MS;

const BUNDLES: IdentityBundle[] = [
  // stale: used on day 10 (stale from day 100), never used and created on day 5 (from day 35).
  bundle(identity({ lastUsed: { at: at(days(10) + 3_600_000), source: 'x' } }), [grant()]),
  bundle(identity({ lastUsed: { at: null, source: 'x' }, createdAt: at(days(5)) })),
  bundle(identity({ lastUsed: null })),
  // credential-hygiene: expiring on day 60 (warned from day 30), one that never expires, one expired
  // on day 2, and one valid for too long (a finding throughout, with a day count to expiry).
  bundle(
    identity({ lastUsed: null }),
    [],
    [
      credential({ nativeId: 'k1', createdAt: at(days(-100)), expiresAt: at(days(60) + 123_456) }),
      credential({ nativeId: 'k2', createdAt: at(days(-100)), expiresAt: null }),
    ],
  ),
  bundle(
    identity({ lastUsed: null }),
    [],
    [credential({ nativeId: 'k3', createdAt: at(days(-100)), expiresAt: at(days(2)) })],
  ),
  bundle(
    identity({ lastUsed: null }),
    [],
    [credential({ nativeId: 'k4', createdAt: at(days(-400)), expiresAt: at(days(80) + 7) })],
  ),
  // overdue-review (reportNeverReviewed): created on day 3, due 90 days later, or 30 with a critical grant.
  bundle(identity({ createdAt: at(days(3) + 999), lastUsed: null })),
  bundle(identity({ createdAt: at(days(3)), lastUsed: null }), [
    grant({ risk: { tier: 'critical', reason: 'r', source: 's' } }),
  ]),
];

const POLICY: Policy = policyWith({ 'overdue-review': { reportNeverReviewed: true } });

function validUntil(rule: AnyRule, b: IdentityBundle, asOf: number): number {
  return rule.validUntil!(b, {
    policy: (POLICY.rules as Record<string, Record<string, unknown>>)[rule.id]!,
    asOf: new Date(asOf),
    diff: null,
    vocabulary: BUILTIN_VOCABULARY,
    governance: EMPTY_GOVERNANCE,
    people: UNKNOWN_PEOPLE,
  });
}

const resultsAt = async (rule: AnyRule, b: IdentityBundle, asOf: number) =>
  JSON.stringify(await findingsOf(rule, [b], { policy: POLICY, asOf: new Date(asOf) }));

describe.each<[string, AnyRule]>([
  ['stale', stale],
  ['credential-hygiene', credentialHygiene],
  ['overdue-review', overdueReview],
])('%s: validUntil', (_name, rule) => {
  it('the findings hold from as-of up to validUntil, and it is after as-of', async () => {
    let ticks = 0;
    // Every 17 hours over 200 days: as-of times on both sides of each threshold.
    for (let asOf = days(-5); asOf < days(195); asOf += 17 * 3_600_000) {
      for (const b of BUNDLES) {
        const until = validUntil(rule, b, asOf);
        expect(until, `${b.identityKey} at ${at(asOf)}`).toBeGreaterThan(asOf);
        const now = await resultsAt(rule, b, asOf);
        const last = Number.isFinite(until) ? until - 1 : asOf + 400 * DAY_MS;
        for (const t of [asOf + (last - asOf) / 3, last]) {
          expect(await resultsAt(rule, b, Math.floor(t)), `${b.identityKey} ${at(asOf)} → ${at(t)}`).toBe(
            now,
          );
        }
        if (Number.isFinite(until) && (await resultsAt(rule, b, until)) !== now) ticks += 1;
      }
    }
    // Tight, not only safe: the findings change at validUntil itself, most of the time.
    expect(ticks).toBeGreaterThan(20);
  });
});

describe('idle-partner: carried identities feed the aggregation from their projection', () => {
  it('judges a vendor from projections as from the whole bundles', async () => {
    const vendor = { name: 'Idle Corp', id: 'idle', verified: true };
    const bundles = [
      bundle(
        identity({ nativeId: 'v1', publisher: vendor, lastUsed: { at: at(days(-200)), source: 'x' } }),
        [
          grant({
            identity: { kind: 'github-app-installation', nativeId: 'v1' },
            risk: { tier: 'high', reason: 'r', source: 's' },
          }),
        ],
        [
          credential({
            identity: { kind: 'github-app-installation', nativeId: 'v1' },
            lastUsed: { at: at(days(-150)), source: 'y' },
          }),
        ],
      ),
      bundle(
        identity({
          nativeId: 'v2',
          publisher: vendor,
          lastUsed: { at: null, source: 'x' },
          createdAt: at(days(-300)),
        }),
      ),
      bundle(identity({ nativeId: 'p1', origin: 'platform', lastUsed: null })),
    ];
    const whole = await findingsOf(idlePartner, bundles, { asOf: new Date(days(0)) });
    expect(whole).toHaveLength(1);
    const projected = bundles.map((b) => projectForVendor(b));
    expect(projected[2]).toBeNull();
    const fromProjections = await findingsOf(
      idlePartner,
      projected.flatMap((p) => (p ? [JSON.parse(JSON.stringify(p)) as IdentityBundle] : [])),
      { asOf: new Date(days(0)) },
    );
    expect(fromProjections).toEqual(whole);
  });
});
