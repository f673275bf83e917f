import { randomUUID } from 'node:crypto';
import type { EmuRequest, EmuResponse } from '../router.js';
import type { Collection } from './directory.js';
import { ENTITY_PROPERTIES, type EntityType, type GraphVersion } from './entity-properties.js';

/**
 * Graph's error body, `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`
 * (https://learn.microsoft.com/graph/errors#json-representation, and every error example of the
 * reference pages).
 */
export function graphError(
  req: Pick<EmuRequest, 'headers'>,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): EmuResponse {
  const requestId = randomUUID();
  const clientRequestId = req.headers['client-request-id'];
  return {
    status,
    headers: { 'request-id': requestId, ...headers },
    body: {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
          'request-id': requestId,
          'client-request-id': typeof clientRequestId === 'string' ? clientRequestId : requestId,
        },
      },
    },
  };
}

export class ODataError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** "The default and maximum page sizes are 100 and 999" (serviceprincipal-list, application-list, user-list). */
export const DEFAULT_TOP = 100;
export const DIRECTORY_MAX_TOP = 999;

export type QueryOption = '$select' | '$filter' | '$top' | '$count' | '$orderby' | '$search' | '$expand';

/**
 * What one Graph endpoint accepts, from its reference page (cited where the spec is built, in
 * graph.ts). Properties and their `$filter` operators come from Microsoft's types (entity-properties.ts).
 */
export interface QuerySpec {
  version: GraphVersion;
  /** The type served; `$select` and `$filter` names must be its properties. */
  entityType: EntityType;
  /** More types whose properties a heterogeneous collection (owners: users, service principals) accepts. */
  alsoTypes?: readonly EntityType[];
  /** System query options the page lists as supported; any other is refused. */
  options: readonly QueryOption[];
  /** Largest `$top`; undefined where the page documents no maximum. */
  maxTop?: number;
  /** Directory objects: `ne`, `not`, `endsWith`, `$search`, `$count` need the advanced query parameters. */
  directoryObjects: boolean;
  /** `$filter` operators the reference pages document beyond the types' descriptions, each cited there. */
  extraFilters?: Readonly<Record<string, string>>;
  /** Properties the service returns though the types do not declare them, each cited there. */
  extraProperties?: readonly string[];
  /** Properties returned without `$select` (user: "By default, only a limited set of properties are returned"). */
  defaultProperties?: readonly string[];
}

interface ParsedQuery {
  top: number;
  select: string[] | null;
  filter: Predicate | null;
  orderBy: { prop: string; desc: boolean } | null;
  /** `$count=true` with `ConsistencyLevel: eventual`: `@odata.count` on the first page. */
  count: boolean;
  search: Predicate | null;
  expand: string[];
}

const advancedHint =
  'Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information';

function typeLabel(spec: QuerySpec): string {
  return spec.entityType.charAt(0).toUpperCase() + spec.entityType.slice(1);
}

function propertiesOf(spec: QuerySpec): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of [spec.entityType, ...(spec.alsoTypes ?? [])]) {
    Object.assign(out, ENTITY_PROPERTIES[spec.version][t] ?? {});
  }
  return out;
}

/** Whether the request carries the advanced query parameters (https://learn.microsoft.com/graph/aad-advanced-queries). */
function consistencyEventual(req: EmuRequest): boolean {
  return String(req.headers.consistencylevel ?? '').toLowerCase() === 'eventual';
}

export function readQuery(req: EmuRequest, spec: QuerySpec): ParsedQuery {
  const eventual = consistencyEventual(req);
  const countParam = (req.query.get('$count') ?? '').toLowerCase() === 'true';
  const advanced = eventual && countParam;
  for (const key of req.query.keys()) {
    if (!key.startsWith('$') || key === '$skiptoken') continue;
    if (!(spec.options as readonly string[]).includes(key)) {
      // e.g. user-list: "$skip isn't supported"; the sign-in report: "supports the $top, $filter,
      // and $orderBy OData query parameters".
      throw new ODataError(
        400,
        'Request_BadRequest',
        `Query option '${key}' is not supported by this request.`,
      );
    }
  }
  if (spec.directoryObjects && req.query.has('$search') && !eventual) {
    // aad-advanced-queries, "Error handling": "$search works only in advanced queries".
    throw new ODataError(
      400,
      'Request_UnsupportedQuery',
      "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    );
  }
  if (spec.directoryObjects && req.query.has('$filter') && req.query.has('$orderby') && !advanced) {
    // aad-advanced-queries: "Using $filter and $orderby together is supported only with advanced queries."
    throw new ODataError(
      400,
      'Request_UnsupportedQuery',
      `Sorting with $filter is not supported. ${advancedHint}`,
    );
  }
  const expand = parseExpand(req, spec, advanced || (eventual && req.query.has('$search')));
  return {
    top: parseTop(req.query, spec.maxTop),
    select: parseSelect(req.query, spec),
    filter: parseFilter(req.query, spec, advanced),
    orderBy: parseOrderBy(req.query, spec),
    // aad-advanced-queries: without the header Graph "silently ignores the $count query parameter".
    count: countParam && eventual,
    search: parseSearch(req.query, spec),
    expand,
  };
}

export function parseTop(query: URLSearchParams, max: number | undefined): number {
  const raw = query.get('$top');
  if (raw === null) return DEFAULT_TOP;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || (max !== undefined && n > max)) {
    throw new ODataError(
      400,
      'Request_BadRequest',
      `Invalid page size specified: '${raw}'. Must be between 1 and ${max ?? 'the maximum'} inclusive.`,
    );
  }
  return n;
}

function parseSelect(query: URLSearchParams, spec: QuerySpec): string[] | null {
  const raw = query.get('$select');
  if (raw === null || raw.trim() === '') return null;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const props = propertiesOf(spec);
  for (const name of names) {
    // OData: a property the type does not declare is an error, e.g. "Could not find a property
    // named 'createddatetime' on type 'microsoft.graph.user'" (msgraph-sdk-dotnet#669). Names are
    // case-sensitive.
    if (!(name in props) && !spec.extraProperties?.includes(name)) {
      throw new ODataError(
        400,
        'Request_BadRequest',
        `Could not find a property named '${name}' on type 'microsoft.graph.${spec.entityType}'.`,
      );
    }
  }
  return names;
}

function parseExpand(req: EmuRequest, spec: QuerySpec, advanced: boolean): string[] {
  const raw = req.query.get('$expand');
  if (raw === null || raw.trim() === '') return [];
  if (advanced) {
    // aad-advanced-queries: "$expand is not currently supported with advanced queries."
    throw new ODataError(400, 'Request_UnsupportedQuery', '$expand is not supported with advanced queries.');
  }
  const names = raw.split(',').map((s) => s.trim());
  for (const name of names) {
    // "Only one level of expand": nested options are refused
    // (https://learn.microsoft.com/graph/known-issues, "$expand").
    if (/[(/]/.test(name)) {
      throw new ODataError(400, 'Request_BadRequest', `Only one level of $expand is supported: '${name}'.`);
    }
    if (!(name in propertiesOf(spec))) {
      throw new ODataError(
        400,
        'Request_BadRequest',
        `Could not find a property named '${name}' on type 'microsoft.graph.${spec.entityType}'.`,
      );
    }
  }
  return names;
}

function parseOrderBy(query: URLSearchParams, spec: QuerySpec): { prop: string; desc: boolean } | null {
  const raw = query.get('$orderby');
  if (raw === null || raw.trim() === '') return null;
  const m = /^\s*(\w+)(?:\s+(asc|desc))?\s*$/i.exec(raw);
  if (!m || !(m[1]! in propertiesOf(spec))) {
    throw new ODataError(400, 'Request_UnsupportedQuery', `Unsupported $orderby: '${raw}'.`);
  }
  return { prop: m[1]!, desc: m[2]?.toLowerCase() === 'desc' };
}

/** `$search="displayName:web"` tokens, all of which must match (substring, case-insensitive). */
function parseSearch(query: URLSearchParams, spec: QuerySpec): Predicate | null {
  const raw = query.get('$search');
  if (raw === null) return null;
  const terms = [...raw.matchAll(/"(\w+):([^"]*)"/g)].map((m) => [m[1]!, m[2]!.toLowerCase()] as const);
  if (terms.length === 0 || terms.some(([p]) => !(p in propertiesOf(spec)))) {
    throw new ODataError(400, 'Request_UnsupportedQuery', `Invalid $search: ${raw}`);
  }
  return (o) =>
    terms.every(([p, v]) =>
      String(o[p] ?? '')
        .toLowerCase()
        .includes(v),
    );
}

const SKIP_PREFIX = 'RW11bGF0b3I'; // base64 "Emulator", so tokens look like Graph's opaque ones

function encodeSkipToken(slot: number): string {
  return `${SKIP_PREFIX}${Buffer.from(`slot:${slot}`).toString('base64url')}`;
}

function decodeSkipToken(token: string | null): number {
  if (token === null) return 0;
  const m = token.startsWith(SKIP_PREFIX)
    ? /^slot:(\d+)$/.exec(Buffer.from(token.slice(SKIP_PREFIX.length), 'base64url').toString())
    : null;
  if (!m) throw new ODataError(400, 'Request_BadRequest', `Invalid skip token '${token}'.`);
  return Number(m[1]);
}

type Literal = string | number | boolean | null;
export type Predicate = (obj: Record<string, unknown>) => boolean;

function parseLiteral(raw: string, clause: string): Literal {
  const t = raw.trim();
  if (/^'(?:[^']|'')*'$/.test(t)) return t.slice(1, -1).replace(/''/g, "'");
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  // Edm.DateTimeOffset literals are unquoted (OData ABNF dateTimeOffsetValue; directoryaudit-list's
  // `activityDateTime ge 2018-01-24`-style filters): normalised so that they compare as the served
  // ISO timestamps do.
  if (
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(t) &&
    !Number.isNaN(Date.parse(t))
  )
    return new Date(t).toISOString();
  // Graph accepts unquoted GUIDs for Edm.Guid properties (e.g. appOwnerOrganizationId).
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t)) return t;
  throw new ODataError(400, 'BadRequest', `Invalid filter clause: syntax error in '${clause}'.`);
}

const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);

function compare(a: unknown, op: string, b: Literal): boolean {
  const [x, y] = [lower(a), lower(b)];
  if (Array.isArray(a)) return a.some((item) => compare(item, op, b));
  switch (op) {
    case 'eq':
      return x === y;
    case 'ne':
      return x !== y;
    case 'ge':
      return x !== null && y !== null && (x as string) >= (y as string);
    case 'le':
      return x !== null && y !== null && (x as string) <= (y as string);
    case 'startswith':
      return typeof x === 'string' && typeof y === 'string' && x.startsWith(y);
    case 'endswith':
      return typeof x === 'string' && typeof y === 'string' && x.endsWith(y);
  }
  return false;
}

/**
 * `$filter` as Graph documents it for directory objects: `eq`, `ne`, `ge`, `le`, `in`,
 * `startsWith(…)`, `endsWith(…)`, `not`, joined by `and`/`or`. Each property allows only the
 * operators its description lists; `ne`, `not` and `endsWith` also need the advanced query
 * parameters (https://learn.microsoft.com/graph/aad-advanced-queries, "Support for filter by
 * properties of directory objects"). Refusals carry the messages that page shows.
 */
export function parseFilter(query: URLSearchParams, spec: QuerySpec, advanced: boolean): Predicate | null {
  const raw = query.get('$filter');
  if (raw === null || raw.trim() === '') return null;
  const props = propertiesOf(spec);
  const allowed = (prop: string) =>
    new Set(`${props[prop] ?? ''} ${spec.extraFilters?.[prop] ?? ''}`.split(/\s+/).filter(Boolean));
  const check = (prop: string, op: string, value?: Literal) => {
    if (!(prop in props)) {
      throw new ODataError(
        400,
        'Request_BadRequest',
        `Could not find a property named '${prop}' on type 'microsoft.graph.${spec.entityType}'.`,
      );
    }
    const ops = allowed(prop);
    const needed = op === 'eq' && value === null ? 'eq-null' : op;
    if (!ops.has(needed)) {
      throw new ODataError(
        400,
        'Request_UnsupportedQuery',
        `Unsupported or invalid query filter clause specified for property '${prop}' of resource '${typeLabel(spec)}'.`,
      );
    }
    if (spec.directoryObjects && ['ne', 'not', 'endswith'].includes(needed) && !advanced) {
      const name = needed === 'endswith' ? 'endsWith' : needed;
      throw new ODataError(
        400,
        'Request_UnsupportedQuery',
        `Operator '${name}' is not supported because the required parameters might be missing. ${advancedHint}`,
      );
    }
  };

  const clause = (text: string): Predicate => {
    const t = text.trim();
    const not = /^not\s*\((.*)\)$/i.exec(t) ?? /^not\s+(.*)$/i.exec(t);
    if (not) {
      const inner = clause(not[1]!);
      const prop = /^(?:\w+\()?\s*(\w+)/.exec(not[1]!.trim())?.[1] ?? '';
      check(prop, 'not');
      return (o) => !inner(o);
    }
    const fn = /^(startswith|endswith)\s*\(\s*(\w+)\s*,\s*('(?:[^']|'')*')\s*\)$/i.exec(t);
    if (fn) {
      const op = fn[1]!.toLowerCase();
      const value = parseLiteral(fn[3]!, t);
      check(fn[2]!, op);
      return (o) => compare(o[fn[2]!], op, value);
    }
    const cmp = /^(\w+)\s+(eq|ne|ge|le)\s+(.+)$/i.exec(t);
    if (cmp) {
      const op = cmp[2]!.toLowerCase();
      const value = parseLiteral(cmp[3]!, t);
      check(cmp[1]!, op, value);
      return (o) => compare(o[cmp[1]!], op, value);
    }
    const inn = /^(\w+)\s+in\s+\((.*)\)$/i.exec(t);
    if (inn) {
      check(inn[1]!, 'in');
      const values = inn[2]!
        .split(',')
        .filter((v) => v.trim() !== '')
        .map((v) => parseLiteral(v, t));
      return (o) => values.some((v) => compare(o[inn[1]!], 'eq', v));
    }
    throw new ODataError(
      400,
      'Request_UnsupportedQuery',
      `Unsupported or invalid query filter clause specified: '${t}'.`,
    );
  };
  const anyOf = raw.split(/\s+or\s+/i).map((part) => {
    const all = part.split(/\s+and\s+/i).map(clause);
    return (o: Record<string, unknown>) => all.every((p) => p(o));
  });
  return (o) => anyOf.some((p) => p(o));
}

/**
 * Keep only selected properties, or the default set without `$select`; `@odata.type` stays (it
 * tells members of a directoryObject collection apart). `id` is not added: user-get's `$select`
 * example answers `displayName,givenName,postalCode,identities` without it.
 */
export function project(
  obj: Record<string, unknown>,
  select: string[] | null,
  defaults?: readonly string[],
): Record<string, unknown> {
  const keep = select ?? defaults;
  if (!keep) return obj;
  const out: Record<string, unknown> = {};
  if ('@odata.type' in obj) out['@odata.type'] = obj['@odata.type'];
  // A declared property the emulator holds no value for is left out.
  for (const key of keep) if (key in obj) out[key] = obj[key];
  return out;
}

export interface ListOptions<T> {
  req: EmuRequest;
  spec: QuerySpec;
  collection: Collection<T>;
  build: (item: T) => Record<string, unknown>;
  /** `servicePrincipals`, for `@odata.context`. */
  contextPath: string;
  /** Values of expanded navigation properties (`owners`), by name. */
  expand?: (item: T, name: string) => Record<string, unknown>[];
}

/**
 * "$expand ... returns a maximum of 20 objects" with no nextLink for the expanded set
 * (https://learn.microsoft.com/graph/known-issues, "$expand").
 */
export const EXPAND_LIMIT = 20;

function expanded<T>(o: ListOptions<T>, q: ParsedQuery, item: T, built: Record<string, unknown>) {
  if (q.expand.length === 0) return built;
  const out = { ...built };
  for (const name of q.expand) {
    if (!o.expand) {
      throw new ODataError(501, 'NotImplemented', `The emulator does not expand '${name}' here.`);
    }
    out[name] = o.expand(item, name).slice(0, EXPAND_LIMIT);
  }
  return out;
}

/**
 * A page of a collection: honours `$top`, `$select`, `$filter`, `$orderby`, `$search`, `$count` and
 * `$skiptoken` as the spec allows; `@odata.nextLink` is absolute, on the emulator's own origin, and
 * keeps the other query options, so clients follow it verbatim.
 */
export function listPage<T>(o: ListOptions<T>): EmuResponse {
  const { req, spec } = o;
  const q = readQuery(req, spec);
  let slot = decodeSkipToken(req.query.get('$skiptoken'));
  const matches = (built: Record<string, unknown>) =>
    (!q.filter || q.filter(built)) && (!q.search || q.search(built));
  const value: Record<string, unknown>[] = [];
  let next: number | null = null;
  let total = 0;
  if (q.orderBy) {
    // Sorted: the whole (filtered) collection is read, then paged by position.
    const all: Record<string, unknown>[] = [];
    const items: T[] = [];
    for (let i = 0; i < o.collection.slots; i++) {
      const item = o.collection.at(i);
      if (item === undefined) continue;
      const built = o.build(item);
      if (matches(built)) {
        all.push(built);
        items.push(item);
      }
    }
    const { prop, desc } = q.orderBy;
    const order = all.map((_, i) => i);
    order.sort((a, b) => {
      const x = String(all[a]![prop] ?? '');
      const y = String(all[b]![prop] ?? '');
      return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
    });
    total = all.length;
    for (let i = slot; i < order.length; i++) {
      if (value.length === q.top) {
        next = i;
        break;
      }
      const n = order[i]!;
      value.push(project(expanded(o, q, items[n]!, all[n]!), q.select, spec.defaultProperties));
    }
  } else {
    for (; slot < o.collection.slots; slot++) {
      const item = o.collection.at(slot);
      if (item === undefined) continue;
      const built = o.build(item);
      if (!matches(built)) continue;
      if (value.length === q.top) {
        next = slot;
        break;
      }
      value.push(project(expanded(o, q, item, built), q.select, spec.defaultProperties));
    }
    if (q.count) {
      for (let i = 0; i < o.collection.slots; i++) {
        const item = o.collection.at(i);
        if (item !== undefined && matches(o.build(item))) total += 1;
      }
    }
  }
  const body: Record<string, unknown> = {
    '@odata.context': `${req.origin}/${spec.version}/$metadata#${o.contextPath}${q.select ? `(${q.select.join(',')})` : ''}`,
  };
  // "the @odata.count property will be present only in the first page" (https://learn.microsoft.com/graph/paging).
  if (q.count && !req.query.has('$skiptoken')) body['@odata.count'] = total;
  if (next !== null) {
    const params: string[] = [];
    for (const [k, v] of req.query) if (k !== '$skiptoken') params.push(`${k}=${encodeURIComponent(v)}`);
    params.push(`$skiptoken=${encodeSkipToken(next)}`);
    body['@odata.nextLink'] = `${req.origin}${req.path}?${params.join('&')}`;
  }
  body.value = value;
  return { status: 200, body };
}

export function entity<T>(
  req: EmuRequest,
  spec: QuerySpec,
  item: T,
  build: (item: T) => Record<string, unknown>,
  contextPath: string,
  expand?: (item: T, name: string) => Record<string, unknown>[],
): EmuResponse {
  const q = readQuery(req, spec);
  const built = build(item);
  const withExpand = expanded(
    { req, spec, collection: { slots: 0, at: () => undefined }, build, contextPath, expand },
    q,
    item,
    built,
  );
  return {
    status: 200,
    body: {
      '@odata.context': `${req.origin}/${spec.version}/$metadata#${contextPath}/$entity`,
      ...project(withExpand, q.select, spec.defaultProperties),
    },
  };
}
