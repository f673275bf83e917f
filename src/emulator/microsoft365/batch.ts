import type { EmuRequest, EmuResponse } from '../router.js';
import { graphError } from './odata.js';

/**
 * The body of `POST /{version}/$batch`, read as Graph documents it
 * (https://learn.microsoft.com/graph/json-batching, "Creating a batch request" and "Batch size
 * limitations"). A malformed batch is refused whole with 400 ("If the batch request itself is
 * malformed, the status code is 400"); what each step asks for is answered per step.
 */
export interface BatchStep {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

export interface InnerResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** "JSON batch requests are currently limited to 20 individual requests." */
export const BATCH_LIMIT = 20;

export const JSON_HEADERS = { 'Content-Type': 'application/json' } as const;

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** An inner response carrying Graph's error body. */
export function innerError(
  outer: Pick<EmuRequest, 'headers'>,
  status: number,
  code: string,
  message: string,
): InnerResponse {
  const r = graphError(outer, status, code, message);
  return { status, headers: { ...JSON_HEADERS }, body: r.body };
}

const malformed = (req: EmuRequest, message: string): { error: EmuResponse } => ({
  error: graphError(req, 400, 'BadRequest', message),
});

/** The steps of a batch, ordered so that each comes after the steps it depends on. */
export function parseBatch(req: EmuRequest): { steps: BatchStep[] } | { error: EmuResponse } {
  let payload: unknown;
  try {
    payload = JSON.parse(req.body.toString('utf8'));
  } catch {
    return malformed(req, 'Invalid batch payload format.');
  }
  // "A JSON batch request body consists of a single JSON object with one required property: requests."
  const requests = (payload as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(requests) || requests.length === 0) {
    return malformed(req, 'Invalid batch payload format.');
  }
  if (requests.length > BATCH_LIMIT) {
    return malformed(req, `The number of requests in a batch exceeds the limit of ${BATCH_LIMIT}.`);
  }
  const steps: BatchStep[] = [];
  const ids = new Set<string>();
  for (const [n, raw] of requests.entries()) {
    const r = (raw ?? {}) as Record<string, unknown>;
    // id: "Required. String. ... Not case-sensitive. Must be unique in the batch, otherwise, the
    // batch request fails with a 400 error code."
    if (typeof r.id !== 'string' || r.id === '') return malformed(req, `Request ${n + 1} has no string id.`);
    if (ids.has(r.id.toLowerCase())) return malformed(req, `Batch request id '${r.id}' is not unique.`);
    ids.add(r.id.toLowerCase());
    // method: "Required. The HTTP method supported for the request specified in url."
    const method = typeof r.method === 'string' ? r.method.toUpperCase() : '';
    if (!METHODS.has(method)) return malformed(req, `Request '${r.id}' has no valid method.`);
    // url: "Required. The relative resource URL for the individual request."
    if (typeof r.url !== 'string' || r.url === '') return malformed(req, `Request '${r.id}' has no url.`);
    const headers = r.headers ?? {};
    if (typeof headers !== 'object' || Array.isArray(headers)) {
      return malformed(req, `Request '${r.id}' has headers that are not an object.`);
    }
    // body: "When a body is included with the request, the headers object must contain a value for
    // Content-Type."
    if (
      r.body !== undefined &&
      !Object.keys(headers as Record<string, unknown>).some((k) => k.toLowerCase() === 'content-type')
    ) {
      return malformed(req, `Request '${r.id}' has a body but no Content-Type header.`);
    }
    const dependsOn = r.dependsOn ?? [];
    if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string')) {
      return malformed(req, `Request '${r.id}' has a dependsOn that is not an array of ids.`);
    }
    steps.push({
      id: r.id,
      method,
      url: r.url,
      headers: Object.fromEntries(
        Object.entries(headers as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
      ),
      body: r.body,
      dependsOn: dependsOn as string[],
    });
  }
  // dependsOn "references the id of a different individual request": unknown ids, a step naming
  // itself or a cycle make the batch malformed.
  for (const s of steps) {
    for (const d of s.dependsOn) {
      if (!ids.has(d.toLowerCase()) || d.toLowerCase() === s.id.toLowerCase()) {
        return malformed(
          req,
          `Request '${s.id}' depends on '${d}', which is not another request of the batch.`,
        );
      }
    }
  }
  const ordered: BatchStep[] = [];
  const placed = new Set<string>();
  while (ordered.length < steps.length) {
    const ready = steps.filter(
      (s) => !placed.has(s.id.toLowerCase()) && s.dependsOn.every((d) => placed.has(d.toLowerCase())),
    );
    if (ready.length === 0) return malformed(req, 'The dependsOn of the batch requests form a cycle.');
    for (const s of ready) {
      ordered.push(s);
      placed.add(s.id.toLowerCase());
    }
  }
  return { steps: ordered };
}

export function splitOnce(value: string, separator: string): [string, string] {
  const i = value.indexOf(separator);
  return i < 0 ? [value, ''] : [value.slice(0, i), value.slice(i + 1)];
}
