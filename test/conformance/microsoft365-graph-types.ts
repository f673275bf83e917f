import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Microsoft Graph's entity and complex types as Microsoft publishes them on npm:
 * `@microsoft/microsoft-graph-types` (v1.0) and `@microsoft/microsoft-graph-types-beta` (beta), both
 * generated from Graph's CSDL metadata. Their `microsoft-graph.d.ts` declares one interface per
 * type (`export interface ServicePrincipal extends DirectoryObject { appId?: NullableOption<string>; … }`)
 * and one alias per enum; this module reads that file as data (names, base types, property types)
 * so tests can check requests and responses against it at run time.
 */
export type GraphVersion = 'v1.0' | 'beta';

interface GraphInterface {
  base: string | null;
  /** Property name → declared type text (`NullableOption<string>`, `AppRole[]`, …). */
  props: Map<string, string>;
  /** Property name → its doc comment (Graph's property description, with "Supports $filter (…)"). */
  docs: Map<string, string>;
}

interface GraphTypes {
  interfaces: Map<string, GraphInterface>;
  /** Alias name → its string literal members (enums), or null for other aliases. */
  enums: Map<string, Set<string> | null>;
}

const PACKAGES: Record<GraphVersion, string> = {
  'v1.0': '@microsoft/microsoft-graph-types',
  beta: '@microsoft/microsoft-graph-types-beta',
};

const cache = new Map<GraphVersion, GraphTypes>();
const require = createRequire(import.meta.url);

/** The version of the types package read for `version`, for messages. */
export function graphTypesPackage(version: GraphVersion): string {
  const pkg = require(`${PACKAGES[version]}/package.json`) as { version: string };
  return `${PACKAGES[version]}@${pkg.version}`;
}

function load(version: GraphVersion): GraphTypes {
  const hit = cache.get(version);
  if (hit) return hit;
  // The file has CRLF line ends.
  const text = readFileSync(require.resolve(`${PACKAGES[version]}/microsoft-graph.d.ts`), 'utf8').replace(
    /\r\n/g,
    '\n',
  );
  const interfaces = new Map<string, GraphInterface>();
  const enums = new Map<string, Set<string> | null>();
  // Only the top-level namespace (`microsoftgraph`): nested `export namespace X { … }` blocks
  // (call records, security, …) hold other types, indented by four more spaces.
  const iface = /^export interface (\w+)(?: extends (\w+))? \{\n([\s\S]*?)^\}/gm;
  for (const m of text.matchAll(iface)) {
    const props = new Map<string, string>();
    const docs = new Map<string, string>();
    let comment: string[] = [];
    for (const line of m[3]!.split('\n')) {
      const p = /^ {4}("?[@\w.]+"?)\??: (.+);$/.exec(line);
      if (p) {
        const name = p[1]!.replace(/"/g, '');
        props.set(name, p[2]!);
        docs.set(name, comment.join(' '));
        comment = [];
        continue;
      }
      const c = /^ {4,5}(?:\/\*\*|\*\/|\*|\/\/)\s?(.*)$/.exec(line);
      if (c) comment.push(c[1]!.replace(/\*\/$/, '').trim());
    }
    interfaces.set(m[1]!, { base: m[2] ?? null, props, docs });
  }
  const alias = /^export type (\w+)(?:<\w+>)? =([\s\S]*?);$/gm;
  for (const m of text.matchAll(alias)) {
    const members = m[2]!
      .split('|')
      .map((x) => x.trim())
      .filter(Boolean);
    enums.set(
      m[1]!,
      members.every((x) => /^"[^"]*"$/.test(x)) ? new Set(members.map((x) => x.slice(1, -1))) : null,
    );
  }
  const types = { interfaces, enums };
  cache.set(version, types);
  return types;
}

/** `servicePrincipal` → `ServicePrincipal` (types name interfaces in PascalCase). */
export function interfaceName(entityType: string): string {
  const short = entityType.replace(/^#?microsoft\.graph\./, '');
  return short.charAt(0).toUpperCase() + short.slice(1);
}

/** Every property of a type, inherited ones included (name → declared type), or null if no such type. */
export function propertiesOf(version: GraphVersion, entityType: string): Map<string, string> | null {
  const { interfaces } = load(version);
  let name: string | null = interfaceName(entityType);
  if (!interfaces.has(name)) return null;
  const out = new Map<string, string>();
  while (name) {
    const i = interfaces.get(name);
    if (!i) break;
    for (const [k, v] of i.props) if (!out.has(k)) out.set(k, v);
    name = i.base;
  }
  return out;
}

/** The doc comment of a property (inherited ones too), or null. */
export function propertyDoc(version: GraphVersion, entityType: string, property: string): string | null {
  const { interfaces } = load(version);
  let name: string | null = interfaceName(entityType);
  while (name) {
    const i = interfaces.get(name);
    if (!i) return null;
    const doc = i.docs.get(property);
    if (doc !== undefined) return doc;
    name = i.base;
  }
  return null;
}

/**
 * The `$filter` operators a property's description lists ("Supports $filter (eq, ne, not, in,
 * startsWith, and eq on null values)"), lower-cased; `eq-null` for "eq on null values". Empty when
 * the description names none: "Properties that are not listed here do not support $filter at all"
 * (https://learn.microsoft.com/graph/aad-advanced-queries).
 */
export function filterOperators(version: GraphVersion, entityType: string, property: string): string[] {
  const doc = propertyDoc(version, entityType, property) ?? '';
  const m = /Supports \$filter \(([^)]*)\)/.exec(doc);
  if (!m) return [];
  const ops = new Set<string>();
  for (const raw of m[1]!.split(/,|\band\b/)) {
    const t = raw.trim().toLowerCase();
    if (t === '') continue;
    if (/^eq on null/.test(t)) ops.add('eq-null');
    else if (/^(eq|ne|not|ge|le|in|startswith|endswith|any)$/.test(t)) ops.add(t);
  }
  return [...ops].sort();
}

/** Whether the description says the property is "Returned only on $select". */
export function returnedOnlyOnSelect(version: GraphVersion, entityType: string, property: string): boolean {
  return /Returned only on \$select/i.test(propertyDoc(version, entityType, property) ?? '');
}

/** Whether the declared type is a collection or entity (a navigation property or complex value). */
export function isEntityValued(version: GraphVersion, typeText: string): string | null {
  const inner = typeText.replace(/^NullableOption<(.*)>$/, '$1').replace(/\[\]$/, '');
  return load(version).interfaces.has(inner) ? inner : null;
}

/**
 * Problems with `value` as a `typeText` value: wrong primitive, a null where the type is not
 * nullable, a string outside an enum, a property the type does not declare. `path` names the place.
 */
export function checkValue(version: GraphVersion, typeText: string, value: unknown, path: string): string[] {
  const types = load(version);
  let t = typeText.trim();
  const nullable = /^NullableOption<.*>$/.test(t);
  if (nullable) t = t.slice('NullableOption<'.length, -1);
  if (value === null)
    return nullable || t === 'any' ? [] : [`${path}: null, but ${typeText} is not nullable`];
  if (t.endsWith('[]')) {
    if (!Array.isArray(value)) return [`${path}: expected an array (${typeText})`];
    return value.flatMap((v, i) => checkValue(version, t.slice(0, -2), v, `${path}[${i}]`));
  }
  switch (t) {
    case 'any':
      return [];
    case 'string':
    case 'number':
    case 'boolean':
      return typeof value === t ? [] : [`${path}: expected ${t}, got ${JSON.stringify(value)}`];
  }
  if (types.enums.has(t)) {
    const members = types.enums.get(t);
    if (typeof value !== 'string') return [`${path}: expected ${t} (a string), got ${JSON.stringify(value)}`];
    // Flag enums are comma-separated members.
    const bad = members ? value.split(',').filter((v) => !members.has(v.trim())) : [];
    return bad.length > 0 ? [`${path}: '${value}' is not a ${t}`] : [];
  }
  if (types.interfaces.has(t)) {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected a ${t} object`];
    return checkEntity(version, t, value as Record<string, unknown>, path);
  }
  return [`${path}: type ${typeText} is not in ${graphTypesPackage(version)}`];
}

/**
 * Problems with an object served as `entityType`: each property must be declared by the type (or by
 * the derived type its `@odata.type` names) with a value of the declared type. OData annotations
 * (`@odata.*`) are not properties. `extra` lists properties accepted beyond the declaration, each
 * with its own citation at the call site.
 */
export function checkEntity(
  version: GraphVersion,
  entityType: string,
  obj: Record<string, unknown>,
  path: string,
  extra: Readonly<Record<string, string>> = {},
): string[] {
  const odataType = typeof obj['@odata.type'] === 'string' ? (obj['@odata.type'] as string) : null;
  const typeName = odataType ?? entityType;
  const props = propertiesOf(version, typeName);
  if (!props) return [`${path}: ${typeName} is not a type of ${graphTypesPackage(version)}`];
  const problems: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (k.startsWith('@odata.')) continue;
    const declared = props.get(k) ?? extra[k];
    if (declared === undefined) {
      problems.push(
        `${path}.${k}: ${interfaceName(typeName)} has no property '${k}' (${graphTypesPackage(version)})`,
      );
      continue;
    }
    problems.push(...checkValue(version, declared, v, `${path}.${k}`));
  }
  return problems;
}
