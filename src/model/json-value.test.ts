import { describe, expect, it } from 'vitest';
import { Json } from './common.js';
import { firstNonJson, JsonObject, JsonValue } from './json-value.js';
import { ScanRecord } from './record.js';

const values: Array<[string, unknown]> = [
  ['a string', 's'],
  ['a number', 1.5],
  ['a boolean', false],
  ['null', null],
  ['nested arrays and objects', { a: [1, { b: ['c', null, true] }], d: {} }],
  ['an object without a prototype', Object.assign(Object.create(null), { a: 1 })],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['NaN', Number.NaN],
  ['undefined', undefined],
  ['a Date', new Date(0)],
  ['a Map', new Map()],
  ['a function', () => 1],
  ['a bigint', 1n],
  ['an undefined field', { a: undefined }],
  ['a hole in an array', new Array(3).fill(1, 0, 1)],
  ['an undefined item', [1, undefined]],
  ['a deep Date', { a: [{ b: new Date(0) }] }],
];

describe('JsonValue', () => {
  it.each(values)('accepts %s exactly when the recursive Json schema does', (_name, value) => {
    expect(JsonValue.safeParse(value).success).toBe(Json.safeParse(value).success);
  });

  it('keeps the value itself (no copy) and says where a value stops being JSON', () => {
    const raw = { appRoles: [{ id: 'r', value: 'User.Read.All' }] };
    expect(JsonValue.parse(raw)).toBe(raw);
    expect(firstNonJson({ appRoles: [{ id: 'r' }, { at: new Date(0) }] })).toBe('appRoles.1.at');
    const failed = JsonValue.safeParse({ a: [1, Number.NaN] });
    expect(failed.success).toBe(false);
    expect(failed.error?.issues[0]?.message).toBe('not a JSON value at a.1');
  });

  it('JsonObject takes plain objects of JSON values only', () => {
    const attrs = { scopes: ['a'], count: 2 };
    expect(JsonObject.parse(attrs)).toBe(attrs);
    expect(JsonObject.safeParse([1]).success).toBe(false);
    expect(JsonObject.safeParse('x').success).toBe(false);
    expect(JsonObject.safeParse({ at: new Date(0) }).error?.issues[0]?.message).toBe(
      'not a JSON value at at',
    );
  });

  it('a record with a non-JSON raw object is refused, naming the field', () => {
    const parsed = ScanRecord.safeParse({
      type: 'identity',
      platform: 'github',
      tenant: { id: 't' },
      kind: 'app',
      nativeId: '1',
      collector: 'apps',
      raw: { created: new Date(0) },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['raw']);
    expect(parsed.error?.issues[0]?.message).toBe('not a JSON value at created');
  });
});
