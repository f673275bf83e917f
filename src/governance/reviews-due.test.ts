import { describe, expect, it } from 'vitest';
import { bundle, daysBefore, grant, identity, owner } from '../../test/support/records.js';
import { fileReview, reviewsOf, storedReview } from '../../test/support/reviews.js';
import { AS_OF, policyWith } from '../../test/support/rules.js';
import { grantsDigest } from './grants-digest.js';
import { matchesIdentity } from './match.js';
import type { OwnerEntry } from './model.js';
import { groupByOwner, reviewsDue } from './reviews-due.js';
import { bundleFacts } from './reviews-in-force.js';

const policy = policyWith().rules['overdue-review'];
const registered = (over: Partial<OwnerEntry>): OwnerEntry => ({
  match: { publisher: 'Acme Tools Inc' },
  person: 'Priya',
  team: 'Platform',
  accounts: [],
  source: { file: 'governance.yaml', line: 3 },
  ...over,
});

describe('reviews due', () => {
  const old = (n: string, o = [owner('alice')]) =>
    bundle(identity({ nativeId: n, displayName: `App ${n}`, createdAt: daysBefore(AS_OF, 400), owners: o }));

  it('lists overdue and soon-due identities, one list per owner, registered owners first-class, no owner last', async () => {
    const bundles = [
      old('1'),
      old('2', []),
      old('3', [owner('zed', false)]),
      bundle(
        identity({
          nativeId: '4',
          publisher: { name: 'Other', id: 'o', verified: null },
          createdAt: daysBefore(AS_OF, 400),
          owners: [owner('bob')],
        }),
      ),
      // Reviewed 80 days ago: due in 10 days, within 14.
      bundle(
        identity({
          nativeId: '5',
          publisher: { name: 'Other', id: 'o', verified: null },
          owners: [owner('bob')],
        }),
      ),
      // Reviewed yesterday: not due.
      bundle(
        identity({
          nativeId: '6',
          publisher: { name: 'Other', id: 'o', verified: null },
          owners: [owner('bob')],
        }),
      ),
      // First-party and never reviewed: not listed.
      bundle(
        identity({
          nativeId: '7',
          origin: 'platform',
          publisher: { name: 'Other', id: 'o', verified: null },
        }),
      ),
    ];
    const reviews = reviewsOf([
      storedReview({ nativeId: '5', reviewedAt: daysBefore(AS_OF, 80) }),
      storedReview({ nativeId: '6', reviewedAt: daysBefore(AS_OF, 1) }),
    ]);
    const governance = { owners: [registered({})] };
    const due = await reviewsDue(bundles, { reviews, governance, policy, asOf: AS_OF, withinDays: 14 });
    const groups = groupByOwner(due);
    expect(
      groups.map((g) => [
        g.owner?.name ?? null,
        g.owner?.source ?? null,
        g.reviews.map((r) => `${r.id}:${r.status}`),
      ]),
    ).toEqual([
      ['bob', 'platform', ['4:overdue', '5:due-soon']],
      ['Priya', 'registered', ['1:overdue', '2:overdue', '3:overdue']],
    ]);
    expect(groups[1]!.owner).toMatchObject({ team: 'Platform' });

    // Without the registered owner: in-platform owners, never one who left; none → "no owner", last.
    const plain = groupByOwner(
      await reviewsDue(bundles, { reviews, governance: { owners: [] }, policy, asOf: AS_OF, withinDays: 0 }),
    );
    expect(plain.map((g) => [g.owner?.name ?? null, g.reviews.map((r) => r.id)])).toEqual([
      ['alice', ['1']],
      ['bob', ['4']],
      [null, ['2', '3']],
    ]);
  });

  it('critical access shortens the period, as overdue-review does', async () => {
    const critical = grant({ risk: { tier: 'critical' } });
    const b = bundle(identity(), [critical]);
    const reviews = reviewsOf([storedReview({ reviewedAt: daysBefore(AS_OF, 40) })]);
    const [d] = await reviewsDue([b], {
      reviews,
      governance: { owners: [] },
      policy,
      asOf: AS_OF,
      withinDays: 0,
    });
    expect(d).toMatchObject({ periodDays: 30, status: 'overdue', highestTier: 'critical' });
    expect(
      await reviewsDue([bundle(identity())], {
        reviews,
        governance: { owners: [] },
        policy,
        asOf: AS_OF,
        withinDays: 0,
      }),
    ).toEqual([]);
  });
});

describe('matching governance entries to identities', () => {
  const facts = bundleFacts(bundle(identity({ displayName: 'Acme CI Runner' })));
  it('matches every key given, case-insensitively, names by glob', () => {
    expect(matchesIdentity({ platform: 'github', id: '1001' }, facts)).toBe(true);
    expect(matchesIdentity({ id: '1002' }, facts)).toBe(false);
    expect(matchesIdentity({ publisher: 'acme tools inc' }, facts)).toBe(true);
    expect(matchesIdentity({ publisher: 'ACME-TOOLS' }, facts)).toBe(true);
    expect(matchesIdentity({ name: 'acme * runner' }, facts)).toBe(true);
    expect(matchesIdentity({ name: 'acme ci ?unner' }, facts)).toBe(true);
    expect(matchesIdentity({ name: 'acme.*' }, facts)).toBe(false);
    expect(matchesIdentity({ kind: 'service-principal', id: '1001' }, facts)).toBe(false);
    expect(matchesIdentity({}, facts)).toBe(false);
  });

  it('a file review is matched by pattern', () => {
    const reviews = reviewsOf(
      [],
      [fileReview({ match: { publisher: 'Acme Tools Inc' }, decision: 'reduce' })],
    );
    expect(reviews.of(bundle(identity({ nativeId: '77' })))).toMatchObject({
      decision: 'reduce',
      source: 'file',
    });
  });
});

describe('grants digest', () => {
  it('ignores order and API noise, changes with what the grants reach', () => {
    const a = grant({ permission: { id: 'a', name: 'a', access: 'read' } });
    const b = grant({ permission: { id: 'b', name: 'b', access: 'read' } });
    expect(grantsDigest([a, b])).toBe(grantsDigest([b, { ...a, raw: { other: true } }]));
    expect(grantsDigest([a, b])).not.toBe(grantsDigest([a]));
    expect(grantsDigest([a])).not.toBe(
      grantsDigest([{ ...a, permission: { ...a.permission, access: 'write' } }]),
    );
    expect(grantsDigest([a])).not.toBe(grantsDigest([{ ...a, target: { ...a.target, breadth: 'all' } }]));
  });
});
