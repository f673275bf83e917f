import { z } from 'zod';
import type { Json } from './common.js';

/**
 * Where `value` stops being JSON (a path such as `appRoles.3.value`, `''` for the value itself), or null
 * when all of it is: strings, finite numbers, booleans, null, arrays and plain objects of those. The
 * same values `Json` (common.ts) accepts.
 */
export function firstNonJson(value: unknown, path = ''): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : path;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const bad = firstNonJson(value[i], path ? `${path}.${i}` : String(i));
          if (bad !== null) return bad;
        }
        return null;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return path;
      for (const key of Object.keys(value)) {
        const bad = firstNonJson((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
        if (bad !== null) return bad;
      }
      return null;
    }
    default:
      return path;
  }
}

/**
 * A JSON value, checked in one walk and kept as it is. `Json` parses through a recursive union that
 * copies every node: for the raw API objects of a scan (tens of thousands, each a tree) that walk was
 * most of the record check's CPU and garbage.
 */
export const JsonValue: z.ZodType<Json, unknown> = z.custom<Json>((v) => firstNonJson(v) === null, {
  error: (issue) => {
    const at = firstNonJson(issue.input);
    return at ? `not a JSON value at ${at}` : 'not a JSON value';
  },
});

/** A plain object of JSON values (records' `attributes`). */
export const JsonObject: z.ZodType<Record<string, Json>, Record<string, unknown>> = z.custom<
  Record<string, Json>
>((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && firstNonJson(v) === null, {
  error: (issue) => {
    const v = issue.input;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'expected an object of JSON values';
    return `not a JSON value at ${firstNonJson(v)}`;
  },
});
