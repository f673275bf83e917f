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

/**
 * The page size to serve, once `checkParams` has checked the value against its discovery facts. Admin
 * SDK refuses values outside `minimum`/`maximum` (done there). One Platform APIs follow AIP-158
 * (https://google.aip.dev/158): unset or 0 is the default, above the maximum is coerced to it, and a
 * negative size is INVALID_ARGUMENT.
 */
export function pageSize(
  req: EmuRequest,
  api: ApiFamily,
  param: string,
  { def, max }: { def: number; max: number },
): number | EmuResponse {
  const raw = req.query.get(param);
  if (raw == null || raw === '') return def;
  const n = Number(raw);
  if (n < 0) return invalidArgument(api, 'Request contains an invalid argument.');
  if (n === 0) return def;
  return Math.min(n, max);
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
      // "the server returns an HTTP 400 Bad Request status code, along with an error message telling the
      // user what was wrong with their fields selection (for example, "Invalid field selection a/b")"
      // (developers.google.com/workspace/admin/directory/v1/guides/performance#partial-response).
      return googleError(400, err.message, {
        legacy: api.legacy,
        reason: 'invalidParameter',
        location: { location: 'fields', locationType: 'parameter' },
      });
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
