import { randomUUID } from 'node:crypto';
import type { EmuRequest, EmuResponse } from '../router.js';
import type { Collection } from './directory.js';

/** Graph's error body: `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`. */
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

export const DEFAULT_TOP = 100;
export const MAX_TOP = 999;

export function parseTop(query: URLSearchParams, max = MAX_TOP, fallback = DEFAULT_TOP): number {
  const raw = query.get('$top');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new ODataError(
      400,
      'Request_BadRequest',
      `Invalid page size specified: '${raw}'. Must be between 1 and ${max} inclusive.`,
    );
  }
  return n;
}

export function parseSelect(query: URLSearchParams): string[] | null {
  const raw = query.get('$select');
  if (raw === null || raw.trim() === '') return null;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
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
  // Graph accepts unquoted GUIDs for Edm.Guid properties (e.g. appOwnerOrganizationId).
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t)) return t;
  throw new ODataError(400, 'BadRequest', `Invalid filter clause: syntax error in '${clause}'.`);
}

function equal(a: unknown, b: Literal): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

/**
 * `$filter` with what grantscope and common scripts use: `prop eq literal`, `prop in (lit, …)`,
 * joined by `and`. Anything else is rejected as Graph rejects unsupported clauses.
 */
export function parseFilter(query: URLSearchParams, filterable: readonly string[]): Predicate | null {
  const raw = query.get('$filter');
  if (raw === null || raw.trim() === '') return null;
  const clauses = raw.split(/\s+and\s+/i);
  const preds = clauses.map((clause): Predicate => {
    const eq = /^\s*([A-Za-z0-9_]+)\s+eq\s+(.+?)\s*$/.exec(clause);
    const inn = /^\s*([A-Za-z0-9_]+)\s+in\s+\((.*)\)\s*$/.exec(clause);
    const prop = eq?.[1] ?? inn?.[1];
    if (!prop || !(eq || inn)) {
      throw new ODataError(
        400,
        'Request_UnsupportedQuery',
        `Unsupported or invalid query filter clause specified: '${clause}'.`,
      );
    }
    if (!filterable.includes(prop)) {
      throw new ODataError(
        400,
        'Request_UnsupportedQuery',
        `Unsupported or invalid query filter clause specified for property '${prop}' of resource.`,
      );
    }
    if (eq) {
      const value = parseLiteral(eq[2]!, clause);
      return (o) => equal(o[prop], value);
    }
    const values = inn![2]!
      .split(',')
      .filter((v) => v.trim() !== '')
      .map((v) => parseLiteral(v, clause));
    if (values.length > 15) {
      throw new ODataError(400, 'Request_UnsupportedQuery', "Too many values in 'in' clause (maximum 15).");
    }
    return (o) => values.some((v) => equal(o[prop], v));
  });
  return (o) => preds.every((p) => p(o));
}

/** Keep only selected properties (plus `id` and `@odata.type`); unknown names are a 400 like Graph's. */
export function project(
  obj: Record<string, unknown>,
  select: string[] | null,
  typeName: string,
  strict = true,
) {
  if (!select) return obj;
  const out: Record<string, unknown> = {};
  if ('@odata.type' in obj) out['@odata.type'] = obj['@odata.type'];
  if ('id' in obj) out.id = obj.id;
  for (const key of select) {
    if (key in obj) out[key] = obj[key];
    else if (strict)
      throw new ODataError(
        400,
        'Request_BadRequest',
        `Could not find a property named '${key}' on type '${typeName}'.`,
      );
  }
  return out;
}

export interface ListOptions<T> {
  req: EmuRequest;
  collection: Collection<T>;
  build: (item: T) => Record<string, unknown>;
  /** `microsoft.graph.servicePrincipal`, for error messages. */
  typeName: string;
  /** `servicePrincipals`, for `@odata.context`. */
  contextPath: string;
  filterable?: readonly string[];
  /** Heterogeneous collections (owners) do not reject unknown selected properties. */
  strictSelect?: boolean;
  maxTop?: number;
}

/**
 * A page of a collection: honours `$top` (default 100, max 999), `$select`, `$filter` and
 * `$skiptoken`; `@odata.nextLink` is absolute, on the emulator's own origin, and keeps the other
 * query options, so clients follow it verbatim.
 */
export function listPage<T>(o: ListOptions<T>): EmuResponse {
  const { req } = o;
  const top = parseTop(req.query, o.maxTop);
  const select = parseSelect(req.query);
  const filter = parseFilter(req.query, o.filterable ?? []);
  let slot = decodeSkipToken(req.query.get('$skiptoken'));
  const value: Record<string, unknown>[] = [];
  let next: number | null = null;
  for (; slot < o.collection.slots; slot++) {
    const item = o.collection.at(slot);
    if (item === undefined) continue;
    const built = o.build(item);
    if (filter && !filter(built)) continue;
    if (value.length === top) {
      next = slot;
      break;
    }
    value.push(project(built, select, o.typeName, o.strictSelect ?? true));
  }
  const version = req.path.startsWith('/beta/') ? 'beta' : 'v1.0';
  const body: Record<string, unknown> = {
    '@odata.context': `${req.origin}/${version}/$metadata#${o.contextPath}${select ? `(${select.join(',')})` : ''}`,
  };
  if (next !== null) {
    const params: string[] = [];
    for (const [k, v] of req.query) if (k !== '$skiptoken') params.push(`${k}=${encodeURIComponent(v)}`);
    params.push(`$skiptoken=${encodeSkipToken(next)}`);
    body['@odata.nextLink'] = `${req.origin}${req.path}?${params.join('&')}`;
  }
  body.value = value;
  return { status: 200, body };
}

export function entity(
  req: EmuRequest,
  obj: Record<string, unknown>,
  typeName: string,
  contextPath: string,
): EmuResponse {
  const select = parseSelect(req.query);
  const version = req.path.startsWith('/beta/') ? 'beta' : 'v1.0';
  return {
    status: 200,
    body: {
      '@odata.context': `${req.origin}/${version}/$metadata#${contextPath}/$entity`,
      ...project(obj, select, typeName),
    },
  };
}
