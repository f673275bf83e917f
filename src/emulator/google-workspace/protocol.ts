import { createHash } from 'node:crypto';
import type { EmuRequest, EmuResponse } from '../router.js';
import { type ApiFamily, googleError, invalidArgument } from './google-errors.js';
import {
  applyFields,
  checkFields,
  FieldSelectionError,
  parseFields,
  type Shape,
} from './partial-response.js';

/** Request parameters that do not change which items a listing returns (so a page token stays valid). */
const PAGING_PARAMS = new Set(['pageToken', 'maxResults', 'pageSize', 'fields', 'prettyPrint', 'alt', 'key']);

function fingerprint(req: EmuRequest): string {
  const rest = [...req.query.entries()].filter(([k]) => !PAGING_PARAMS.has(k)).sort();
  return createHash('sha256')
    .update(`${req.path}?${JSON.stringify(rest)}`)
    .digest('base64url')
    .slice(0, 10);
}

/** Opaque page tokens bound to the query they came from. */
export function encodePageToken(req: EmuRequest, cursor: string): string {
  return Buffer.from(JSON.stringify({ c: cursor, f: fingerprint(req) })).toString('base64url');
}

export function decodePageToken(req: EmuRequest, api: ApiFamily): { cursor: string | null } | EmuResponse {
  const token = req.query.get('pageToken');
  if (!token) return { cursor: null };
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { c?: unknown; f?: unknown };
    if (typeof v.c === 'string' && v.f === fingerprint(req)) return { cursor: v.c };
  } catch {
    // fall through
  }
  return invalidArgument(api, api.legacy ? 'Invalid Input: pageToken' : 'The page token is invalid.');
}

/** An integer page size parameter: Admin SDK rejects out-of-range values, One Platform APIs clamp them. */
export function pageSize(
  req: EmuRequest,
  api: ApiFamily,
  param: string,
  { def, max, clamp }: { def: number; max: number; clamp: boolean },
): number | EmuResponse {
  const raw = req.query.get(param);
  if (raw == null || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n)) return invalidArgument(api, `Invalid value '${raw}'. Values must be an integer.`);
  if (clamp) return n <= 0 ? def : Math.min(n, max);
  if (n < 1 || n > max)
    return invalidArgument(api, `Invalid value '${raw}'. Values must be within the range: [1, ${max}]`);
  return n;
}

/** 200 with the body cut down to `fields`, or 400 for a selection of fields the type does not have. */
export function ok(req: EmuRequest, api: ApiFamily, body: object, shape: Shape): EmuResponse {
  const fields = req.query.get('fields');
  if (!fields) return { status: 200, body };
  try {
    const tree = parseFields(fields);
    checkFields(tree, shape);
    return { status: 200, body: applyFields(body, tree) };
  } catch (err) {
    if (err instanceof FieldSelectionError) {
      return googleError(400, err.message, { legacy: api.legacy, reason: 'invalidParameter' });
    }
    throw err;
  }
}

export function isResponse(v: unknown): v is EmuResponse {
  return (
    typeof v === 'object' && v !== null && 'status' in v && typeof (v as EmuResponse).status === 'number'
  );
}

/** Admin SDK style etag: a quoted pair of base64 digests. */
export function etagOf(...parts: unknown[]): string {
  const h = createHash('sha1').update(JSON.stringify(parts)).digest('base64url');
  const g = createHash('sha1').update(`${h}/v`).digest('base64url');
  return `"${h}/${g}"`;
}
