import { appendFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The request journal: every request the emulator receives, written as one JSON line to the file
 * named by `GRANTSCOPE_EMULATOR_JOURNAL` when it is set. The test suite sets it and checks each
 * recorded request against the vendor's machine-readable description of the API (see
 * `test/conformance/`), so a request the real service would refuse fails the suite even where the
 * emulator itself is lenient. Credentials never reach the journal: the authorization header is
 * reduced to its scheme and the kind of credential, and secret form fields are dropped.
 */
export const JOURNAL_ENV = 'GRANTSCOPE_EMULATOR_JOURNAL';

export interface RecordedRequest {
  /** Platform module that owns the route (`github`, `microsoft365`, `google-workspace`), or null if unrouted. */
  platform: string | null;
  /** The route's service (`github`, `graph`, `login`, `google`, …), or `unknown`. */
  service: string;
  method: string;
  /** Path as received, percent-encoded, without the query string. */
  path: string;
  /** Route pattern that matched (`/api/v3/orgs/{org}/installations`), or null. */
  pattern: string | null;
  /** Query parameters in order, decoded. */
  query: [string, string][];
  /** Request headers, lower-case names; `authorization` reduced by {@link describeAuthorization}. */
  headers: Record<string, string>;
  /** JSON body parsed, form body as fields (secrets replaced by `[redacted]`), other text as is, or null. */
  body: unknown;
  /** Status the emulator answered (0: no answer, connection reset or left hanging). */
  status: number;
}

/**
 * `Bearer <jwt>` / `token <opaque:ghs>`: the scheme and what kind of credential it carries, which is
 * what a description can say about it (GitHub's JWT-only endpoints), never the credential itself.
 */
export function describeAuthorization(value: string): string {
  const [scheme = '', credential = ''] = value.trim().split(/\s+/, 2);
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(credential)) return `${scheme} <jwt>`;
  const prefix = /^([A-Za-z0-9]{2,5})[_.~]/.exec(credential)?.[1];
  return `${scheme} <opaque${prefix ? `:${prefix}` : ''}>`;
}

const SECRET_FIELD = /secret|assertion|password|token|code_verifier|refresh/i;

function recordedBody(headers: IncomingHttpHeaders, body: Buffer): unknown {
  if (body.length === 0) return null;
  const type = String(headers['content-type'] ?? '').toLowerCase();
  const text = body.toString('utf8');
  if (type.includes('application/x-www-form-urlencoded')) {
    const fields: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(text)) fields[k] = SECRET_FIELD.test(k) ? '[redacted]' : v;
    return fields;
  }
  if (type.includes('json') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text.slice(0, 2000);
    }
  }
  return text.slice(0, 2000);
}

export function recordRequest(input: {
  platform: string | null;
  service: string;
  method: string;
  url: URL;
  pattern: string | null;
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
}): RecordedRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers)) {
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(', ') : v;
    headers[k] = k === 'authorization' ? describeAuthorization(value) : value;
  }
  return {
    platform: input.platform,
    service: input.service,
    method: input.method,
    path: input.url.pathname,
    pattern: input.pattern,
    query: [...input.url.searchParams],
    headers,
    body: recordedBody(input.headers, input.body),
    status: input.status,
  };
}

/** Appends records to the journal file when the environment names one; otherwise does nothing. */
export class RequestJournal {
  private readonly file = process.env[JOURNAL_ENV];

  get enabled(): boolean {
    return Boolean(this.file);
  }

  write(record: RecordedRequest): void {
    if (!this.file) return;
    // Synchronous on purpose: a test reads the file as soon as its scan returns.
    appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }
}
