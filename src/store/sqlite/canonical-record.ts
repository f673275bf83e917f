import { hash } from 'node:crypto';
import type { ScanRecord } from '../../model/index.js';

/** One object shape: its own keys in enumeration order, sorted, and the sorted keys' `"key":` prefixes. */
interface Shape {
  order: string[];
  keys: string[];
  prefixes: string[];
}

/** Shapes by their first key; a hit is checked key by key (cheaper than building a lookup string). */
const shapes = new Map<string, Shape[]>();
let shapeCount = 0;
/** Records have a few dozen shapes; `attributes` / `raw` maps add more. Bounded so odd input cannot grow it. */
const MAX_SHAPES = 4096;

/** Characters JSON.stringify would escape (lone surrogates included; pairs are rare enough to send too). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point (JSON escapes them).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function shapeOf(keys: string[]): Shape {
  const first = keys.length > 0 ? keys[0]! : '';
  const known = shapes.get(first);
  if (known) {
    for (const shape of known) if (sameKeys(shape.order, keys)) return shape;
  }
  // Default sort compares UTF-16 code units, like the model's `a < b` comparator.
  const sorted = [...keys].sort();
  const shape = { order: keys, keys: sorted, prefixes: sorted.map((k) => `${JSON.stringify(k)}:`) };
  if (shapeCount < MAX_SHAPES) {
    shapeCount++;
    if (known) known.push(shape);
    else shapes.set(first, [shape]);
  }
  return shape;
}

function serialise(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
    case 'number':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += serialise(value[i]);
        }
        return `${out}]`;
      }
      const obj = value as Record<string, unknown>;
      const { keys, prefixes } = shapeOf(Object.keys(obj));
      let out = '{';
      let first = true;
      for (let i = 0; i < keys.length; i++) {
        const v = obj[keys[i]!];
        if (v === undefined) continue;
        if (first) first = false;
        else out += ',';
        out += prefixes[i]!;
        out += serialise(v);
      }
      return `${out}}`;
    }
    default:
      // undefined (in arrays), functions, symbols: what canonicalJson writes for undefined.
      return 'null';
  }
}

/**
 * The same text as `canonicalJson` in src/model/record.ts for JSON values (keys sorted, undefined
 * dropped), about twice as fast: each object shape's sorted key order is computed once. It matters
 * at a million records per scan. Equality is asserted by a property test (canonical-record.test.ts).
 */
export function fastCanonicalJson(value: unknown): string {
  const json = serialise(value);
  // The text is a rope of a few hundred pieces. Flatten it now, while it is young: left for later,
  // the rope survives garbage collections and flattening it (when hashed or posted to the scan
  // thread) cost several times more. Reading a character of a rope flattens it. The character is
  // kept (`_flattened`): an unused `Number(json)` did this until the optimising compiler dropped it as
  // dead code, and the texts reached the scan thread's postMessage as ropes.
  _flattened = json.charCodeAt(json.length >> 1);
  return json;
}

/** Written by `fastCanonicalJson` so that its flattening read is not dead code. */
let _flattened = 0;

/** Content hash of a record's canonical JSON: equal to `contentHash(record)` of the model. */
export function jsonContentHash(json: string): string {
  return hash('sha256', json, 'base64url').slice(0, 22);
}

/** A record as stored: its canonical JSON and its content hash (equal to `contentHash(record)`). */
export function canonicalRecord(rec: ScanRecord): { json: string; hash: string } {
  const json = fastCanonicalJson(rec);
  return { json, hash: jsonContentHash(json) };
}

/** 128-bit digest of a record key: a short, fixed-size index entry in place of keys of 200+ characters. */
export function keyDigest(key: string): Buffer {
  return hash('sha256', key, 'buffer').subarray(0, 16);
}
