import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Test support: checks a JSON response against the `Schema$…` interfaces of a generated Google client
 * (@googleapis/admin, iam, cloudresourcemanager), read from its .d.ts at run time. These types are generated
 * from Google's discovery documents, so this is the discovery schema as npm ships it: every field must exist
 * in the schema and have its type (string, boolean, number, arrays, nested schemas, inline objects).
 */
export type SchemaSet = Map<string, Map<string, string>>;

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
}

/** Split `a?: T; b?: { x?: U; };` at top-level semicolons into [name, type] pairs. */
export function memberTypes(body: string): Map<string, string> {
  const out = new Map<string, string>();
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '{' || ch === '(' || ch === '<' || ch === '[') depth++;
    if (ch === '}' || ch === ')' || ch === '>' || ch === ']') depth--;
    if (ch === ';' && depth === 0) {
      add(current);
      current = '';
    } else current += ch;
  }
  add(current);
  return out;
  function add(m: string) {
    const t = m.trim();
    const match = /^([A-Za-z_$][A-Za-z0-9_$]*|'[^']+'|\[[^\]]+\])\??\s*:\s*([\s\S]+)$/.exec(t);
    if (match) out.set(match[1]!, match[2]!.trim());
  }
}

export function loadSchemas(moduleFile: string): SchemaSet {
  const require = createRequire(import.meta.url);
  const text = stripComments(readFileSync(require.resolve(moduleFile), 'utf8'));
  const schemas: SchemaSet = new Map();
  const re = /export interface Schema\$([A-Za-z0-9_]+)\s*\{/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let depth = 1;
    let i = re.lastIndex;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === '{') depth++;
      if (text[i] === '}') depth--;
    }
    schemas.set(m[1]!, memberTypes(text.slice(re.lastIndex, i - 1)));
  }
  return schemas;
}

function unwrap(type: string): string {
  let t = type.trim();
  for (;;) {
    const next = t.replace(/\s*\|\s*(null|undefined)\s*$/, '').trim();
    if (next === t) break;
    t = next;
  }
  if (t.startsWith('(') && t.endsWith(')')) t = t.slice(1, -1).trim();
  return t;
}

/** Errors (path: problem) of `value` against `type` (`Schema$User`, `string[]`, an inline object, …). */
export function checkValue(value: unknown, type: string, schemas: SchemaSet, path = '$'): string[] {
  const t = unwrap(type);
  if (t === 'any' || t === 'unknown') return [];
  if (value === null || value === undefined)
    return [`${path}: null/undefined (Google leaves fields out instead)`];
  const arrayOf = /^Array<([\s\S]+)>$/.exec(t)?.[1] ?? (t.endsWith('[]') ? t.slice(0, -2) : undefined);
  if (arrayOf !== undefined) {
    if (!Array.isArray(value)) return [`${path}: expected an array`];
    return value.flatMap((v, i) => checkValue(v, arrayOf, schemas, `${path}[${i}]`));
  }
  if (t === 'string' || t === 'boolean' || t === 'number') {
    return typeof value === t ? [] : [`${path}: expected ${t}, got ${typeof value}`];
  }
  const schema = /^Schema\$([A-Za-z0-9_]+)$/.exec(t);
  const fields = schema
    ? schemas.get(schema[1]!)
    : t.startsWith('{')
      ? memberTypes(t.slice(1, -1))
      : undefined;
  if (!fields) return [`${path}: cannot check type ${t}`];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object`];
  const index = [...fields.keys()].find((k) => k.startsWith('['));
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    const ft = fields.get(k) ?? (index ? fields.get(index) : undefined);
    if (ft === undefined) return [`${path}.${k}: not in ${t.startsWith('{') ? 'the inline type' : t}`];
    return checkValue(v, ft, schemas, `${path}.${k}`);
  });
}

/** The fields of an object type (`Schema$User`, an inline `{…}`, arrays of either), or undefined for leaves. */
function objectFields(type: string, schemas: SchemaSet): Map<string, string> | undefined {
  const t = unwrap(type);
  const arrayOf = /^Array<([\s\S]+)>$/.exec(t)?.[1] ?? (t.endsWith('[]') ? t.slice(0, -2) : undefined);
  if (arrayOf !== undefined) return objectFields(arrayOf, schemas);
  const schema = /^Schema\$([A-Za-z0-9_]+)$/.exec(t);
  if (schema) return schemas.get(schema[1]!);
  if (t.startsWith('{')) return memberTypes(t.slice(1, -1));
  return undefined;
}

/** A parsed `fields` selection: name → nested selection, or true for the whole field. */
export type FieldSelection = Map<string, FieldSelection | true>;

/**
 * Fields of a `fields=` selection that the response type does not have (`users/primaryMail`). Arrays are
 * transparent, `*` selects everything at its level, maps (`{[key: string]: T}`) accept any key.
 */
export function unknownSelectedFields(
  selection: FieldSelection,
  type: string,
  schemas: SchemaSet,
  where = '',
): string[] {
  const fields = objectFields(type, schemas);
  if (!fields) return [];
  const index = [...fields.keys()].find((k) => k.startsWith('['));
  return [...selection].flatMap(([name, sub]) => {
    if (name === '*')
      return sub === true
        ? []
        : [...fields.values()].flatMap((ft) => unknownSelectedFields(sub, ft, schemas, `${where}*/`));
    const ft = fields.get(name) ?? (index ? fields.get(index) : undefined);
    if (ft === undefined) return [`${where}${name}`];
    return sub === true ? [] : unknownSelectedFields(sub, ft, schemas, `${where}${name}/`);
  });
}
