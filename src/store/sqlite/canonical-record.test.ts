import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { credential, grant, identity } from '../../../test/support/store-records.js';
import { canonicalJson, contentHash, type Json } from '../../model/index.js';
import { canonicalRecord, fastCanonicalJson } from './canonical-record.js';

/** JSON values with the awkward bits: integer-like keys, escapes, surrogates, nesting. */
const key = fc.oneof(
  fc.string(),
  fc.constantFrom('10', '9', '0', '01', '4a', '__proto__x', 'a"b', '\u2028', '\ud83d\ude00', '\ud800'),
);
const json: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: false }),
    fc.string({ unit: 'binary' }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(key, tie('value'), { maxKeys: 6 }),
  ),
})).value;

describe('fastCanonicalJson', () => {
  it('produces exactly the model canonicalJson text for any JSON value', () => {
    fc.assert(
      fc.property(json, (v) => {
        expect(fastCanonicalJson(v)).toBe(canonicalJson(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('drops undefined properties and writes undefined array items as null, like canonicalJson', () => {
    const v = { b: undefined, a: [1, undefined, { d: 1, c: undefined }], '10': 1, '9': 2 };
    expect(fastCanonicalJson(v)).toBe(canonicalJson(v));
    expect(fastCanonicalJson(v)).toBe('{"10":1,"9":2,"a":[1,null,{"d":1}]}');
  });

  it('does not depend on the order keys were inserted', () => {
    expect(fastCanonicalJson({ b: 1, a: { y: 1, x: 2 } })).toBe(
      fastCanonicalJson({ a: { x: 2, y: 1 }, b: 1 }),
    );
  });
});

describe('canonicalRecord', () => {
  it('hashes records exactly as contentHash does', () => {
    for (const rec of [
      identity('1'),
      grant('1', 'contents'),
      credential('k', '7', { raw: { z: 1, a: [2, 1] } }),
    ]) {
      const { json, hash } = canonicalRecord(rec);
      expect(hash).toBe(contentHash(rec));
      expect(JSON.parse(json)).toEqual(rec);
    }
  });
});
