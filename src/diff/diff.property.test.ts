import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordId, recordSetArb, scanPairArb } from '../../test/support/arbitraries.js';
import { contentHash, type ModelRecord, sourceKey } from '../model/index.js';
import {
  applyDiff,
  changesFromRecords,
  completeCoverage,
  diffRecords,
  type SourceCoverage,
} from './index.js';

/** Records as a set of `id#hash` strings: equal sets = same records with the same content. */
function asSet(records: readonly ModelRecord[]): string[] {
  return records.map((r) => `${recordId(r)}#${contentHash(r)}`).sort();
}

function reorderKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reorderKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reorderKeys(v)]),
  ) as T;
}

describe('diff properties', () => {
  it('diff(a, a) is empty, whatever the field order of the records', () => {
    fc.assert(
      fc.property(recordSetArb, (a) => {
        const copy = reorderKeys(a).reverse();
        expect(changesFromRecords(a, copy)).toEqual([]);
        const d = diffRecords(a, copy, { before: completeCoverage(a), after: completeCoverage(a) });
        expect(d.counts).toEqual({
          identities: { added: 0, removed: 0, modified: 0, usageUpdates: 0 },
          grants: { added: 0, removed: 0, modified: 0 },
          credentials: { added: 0, removed: 0, renewed: 0, modified: 0, usageUpdates: 0 },
          scopeExpansions: 0,
          ownerChanges: 0,
          rawOnlyUpdates: 0,
          baselineAdditions: 0,
          suppressedRemovals: 0,
        });
        expect(d.quietUpdates).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('applyDiff(a, diff(a, b)) equals b when every collector completed', () => {
    fc.assert(
      fc.property(scanPairArb, ({ a, b }) => {
        const cov = completeCoverage(a, b);
        const d = diffRecords(a, b, { before: cov, after: cov });
        expect(asSet(applyDiff(a, d))).toEqual(asSet(b));
        expect(d.suppressed).toEqual([]);
        // A new grant counts as a scope expansion only for an identity that did not arrive in this diff.
        const added = new Set(d.identities.added.map((x) => `${x.source}|${x.identityKey}`));
        for (const s of d.scopeExpansions.filter((x) => x.previous === null)) {
          expect(added.has(`${s.source}|${s.identityKey}`)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('with a collector failed in one scan, its records are never removed (applyDiff keeps them)', () => {
    fc.assert(
      fc.property(
        scanPairArb,
        fc.constantFrom('apps', 'grants', 'credentials', 'extra'),
        fc.constantFrom('github:acme', 'microsoft365:tenant-1'),
        fc.constantFrom('before', 'after'),
        fc.constantFrom('failed', 'unavailable'),
        ({ a, b }, collector, source, scan, status) => {
          const complete = completeCoverage(a, b);
          const degraded: SourceCoverage[] = complete.map((s) =>
            s.source !== source
              ? s
              : {
                  source,
                  collectors: s.collectors.map((c) =>
                    c.collector === collector ? { collector, status } : c,
                  ),
                },
          );
          const d = diffRecords(
            a,
            b,
            scan === 'before' ? { before: degraded, after: complete } : { before: complete, after: degraded },
          );
          const inB = new Set(b.map(recordId));
          const withheld = a.filter(
            (r) => !inB.has(recordId(r)) && r.collector === collector && sourceKey(r) === source,
          );
          expect(asSet(applyDiff(a, d))).toEqual(asSet([...b, ...withheld]));
          const reported = [...d.identities.removed, ...d.grants.removed, ...d.credentials.removed].map(
            (x) => x.record,
          );
          for (const r of reported) expect(r.collector === collector && sourceKey(r) === source).toBe(false);
          expect(d.counts.suppressedRemovals).toBe(withheld.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
