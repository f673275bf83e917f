import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { Dispatcher } from 'undici';
// undici's dispatcher and fetch only, not its index: that loads all of undici (mocks, caches, proxies,
// WebSocket, EventSource; 1.1 MB bundled), ~40% more to compile before a scan's first request.
import Agent from 'undici/lib/dispatcher/agent.js';
import { Headers as UndiciHeaders } from 'undici/lib/web/fetch/headers.js';
import { fetch as undiciFetch } from 'undici/lib/web/fetch/index.js';
import { Response as UndiciResponse } from 'undici/lib/web/fetch/response.js';
import { ApiError, CredentialSourceError } from '../errors.js';

export interface RetryPolicy {
  /** Retries per request for 429/5xx/connection errors. */
  maxRetries: number;
  /** First back-off delay; doubles each retry. */
  baseDelayMs: number;
  /** Upper bound for any single wait, including a server's Retry-After. */
  maxDelayMs: number;
}

export interface HttpPolicyOptions {
  /** PEM file of an extra CA to trust (TLS-inspecting proxy, private endpoint, the emulator). */
  caFile?: string | null;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  userAgent?: string;
  /** Called for every request made through `fetch` (request accounting). */
  onRequest?: (url: string, method: string) => void;
  /**
   * Sees every data request and its answer: serves answers it already holds (a resumed scan's
   * journal), adds validators (`If-None-Match`) and keeps what came back. Credential exchanges never
   * reach it (see {@link isCredentialExchange}).
   */
  exchange?: HttpExchange;
}

/** A request as an {@link HttpExchange} sees it: what identifies it across scans, never its credentials. */
export interface ExchangeRequest {
  method: string;
  url: string;
  /** SHA-256 (hex) of the request body, or null when it has none. */
  bodyHash: string | null;
}

/** An answer held outside the network: status, the headers that matter to a client, and the body text. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What an {@link HttpExchange} does with a request before it is sent. */
export type ExchangeDecision =
  /** Serve this answer; nothing is sent (and nothing counted). */
  | { answer: StoredAnswer }
  /** Send the request with these headers added (validators for a conditional request). */
  | { headers: Record<string, string> }
  | null;

/**
 * The hook a scan uses to journal answers and to replay or revalidate them. `before` decides per
 * request; `after` sees each 2xx JSON answer (body complete) or 304 of a request `before` passed on,
 * and may return what to serve instead (the cached body a 304 confirmed).
 */
export interface HttpExchange {
  before(request: ExchangeRequest): ExchangeDecision;
  after(request: ExchangeRequest, answer: StoredAnswer): StoredAnswer | null;
}

/** Headers an answer keeps when it is journaled or cached: what the SDKs read besides the body. */
export const KEPT_HEADERS = ['content-type', 'link', 'etag', 'last-modified'] as const;

/**
 * Requests that carry or mint credentials: OAuth token endpoints (RFC 6749 §3.2: the token endpoint,
 * `…/token`, and GitHub's `…/access_tokens`) and form posts (every OAuth grant is form-encoded).
 * Their answers hold tokens: never journaled, cached or replayed.
 */
export function isCredentialExchange(url: string, contentType: string | null, body: unknown): boolean {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return true;
  }
  if (/\/(token|access_tokens)$/i.test(path) || /\/oauth2?\//i.test(path)) return true;
  if (body instanceof URLSearchParams) return true;
  return /x-www-form-urlencoded/i.test(contentType ?? '');
}

/**
 * The Headers and Response of undici's fetch, which the answers of `fetch` below are: the global
 * classes are Node's own copy of undici, loaded (20-50 ms) the first time either is used, which for a
 * journaled scan was its first request.
 */
const newHeaders = (init?: HeadersInit): Headers =>
  new UndiciHeaders(init as ConstructorParameters<typeof UndiciHeaders>[0]) as unknown as Headers;
const newResponse = (body: BodyInit | null, init: ResponseInit): Response =>
  new UndiciResponse(
    body as ConstructorParameters<typeof UndiciResponse>[0],
    init as ConstructorParameters<typeof UndiciResponse>[1],
  ) as unknown as Response;

/** The body text of a request (string or bytes) for hashing; undefined when it cannot be read again. */
function bodyText(body: unknown): string | Uint8Array | null | undefined {
  if (body == null) return null;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return undefined;
}

function answerResponse(answer: StoredAnswer, url: string): Response {
  const response = newResponse(answer.body, { status: answer.status, headers: answer.headers });
  // Some SDKs read `response.url` (a constructed Response has none).
  Object.defineProperty(response, 'url', { value: url });
  return response;
}

function keptHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers.get(name);
    if (value != null) kept[name] = value;
  }
  return kept;
}

/**
 * Runs `send` under `exchange`: a request it can identify (a string or URL input, a text body, no
 * credential exchange) may be answered without the network, sent with extra headers, and its JSON
 * answer handed to `exchange.after` once its whole body is in (a connection cut mid-body fails the
 * caller's read of the body, as it would without the exchange).
 */
async function exchanged(
  exchange: HttpExchange,
  input: RequestInfo | URL,
  init: RequestInit | undefined,
  method: string,
  send: (init: RequestInit | undefined) => Promise<Response>,
): Promise<Response> {
  if (typeof input !== 'string' && !(input instanceof URL)) return send(init);
  const url = typeof input === 'string' ? input : input.href;
  const headers = newHeaders(init?.headers);
  const text = bodyText(init?.body);
  if (text === undefined || isCredentialExchange(url, headers.get('content-type'), init?.body))
    return send(init);
  const request: ExchangeRequest = {
    method: method.toUpperCase(),
    url,
    bodyHash: text === null ? null : createHash('sha256').update(text).digest('hex'),
  };
  const decision = exchange.before(request);
  if (decision && 'answer' in decision) return answerResponse(decision.answer, url);
  let sendInit = init;
  if (decision && 'headers' in decision) {
    for (const [k, v] of Object.entries(decision.headers)) headers.set(k, v);
    sendInit = { ...init, headers: Object.fromEntries(headers.entries()) };
  }
  const res = await send(sendInit);
  if (res.status === 304) {
    await res.body?.cancel();
    const served = exchange.after(request, { status: 304, headers: keptHeaders(res.headers), body: '' });
    if (!served) return res;
    // The cached answer, with the 304's own headers (rate-limit counters are the current ones).
    const merged = newHeaders(res.headers);
    for (const [k, v] of Object.entries(served.headers)) merged.set(k, v);
    const response = newResponse(served.body, { status: served.status, headers: merged });
    Object.defineProperty(response, 'url', { value: res.url || url });
    return response;
  }
  const json = /json/i.test(res.headers.get('content-type') ?? '');
  if (res.status < 200 || res.status >= 300 || !json || !res.body) return res;
  // The body is read whole here (the exchange needs all of it, and every JSON reader reads all of it):
  // one read of the connection's stream, rather than a second stream piped through to the caller,
  // whose per-chunk promises cost more CPU than the answers' parsing. A connection cut mid-body still
  // fails the caller's read of the body, with the same error, not the request.
  let bytes: Buffer<ArrayBuffer>;
  try {
    bytes = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    return withBody(
      res,
      url,
      new ReadableStream({
        start(controller) {
          controller.error(err);
        },
      }),
    );
  }
  exchange.after(request, {
    status: res.status,
    headers: keptHeaders(res.headers),
    body: bytes.toString('utf8'),
  });
  return withBody(res, url, bytes);
}

/** `res` with `body` in place of its own (read already). */
function withBody(res: Response, url: string, body: BodyInit): Response {
  const response = newResponse(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
  Object.defineProperty(response, 'url', { value: res.url || url });
  if (body instanceof Uint8Array) inMemory.add(response);
  return response;
}

/** Answers whose whole body was read before they were handed on (`exchanged`). */
const inMemory = new WeakSet<Response>();

/**
 * Whether `response`'s body was read whole before `fetch` returned it: reading it cannot fail part-way
 * (no connection is behind it), so a caller that reads a body whole to tell a cut connection from an
 * answer (a transport that retries one) need not read and wrap this one again.
 */
export function bodyInMemory(response: Response): boolean {
  return inMemory.has(response);
}

/**
 * How connectors talk HTTP. SDKs that accept a fetch implementation get `fetch`; those that take
 * an undici dispatcher get `dispatcher`; those that take TLS options get `ca`. Every request made
 * through `fetch` is counted.
 */
export interface HttpPolicy {
  readonly fetch: typeof globalThis.fetch;
  readonly dispatcher: Dispatcher;
  /** Extra trusted CA certificates (PEM), or undefined to use the system store only. */
  readonly ca: string | undefined;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly userAgent: string;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 4, baseDelayMs: 500, maxDelayMs: 60_000 };

export function readCaFile(caFile: string): string {
  try {
    return readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new CredentialSourceError(`tls.caFile: cannot read ${caFile}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * The certificates `NODE_EXTRA_CA_CERTS` names (PEM), which Node adds to its default roots at start-up:
 * a context given its own store starts from the roots without them (Node's NewRootCertStore), so they
 * are added to it again. Empty when unset or unreadable (Node has already warned about that file).
 */
function extraCaCertificates(): string {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return '';
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * A secure context trusting the default root certificates, those of `NODE_EXTRA_CA_CERTS` and `ca`.
 * `createSecureContext({ ca })` replaces the defaults, so they would have to be passed along as PEM text
 * (`tls.rootCertificates`), and parsing those ~140 certificates takes 15-100 ms of a scan's start-up,
 * before its first request. A default context holds OpenSSL's root store, built once per process; adding
 * `ca` to it gives this context a store of its own (a new copy of the roots: Node's
 * SecureContext::AddCACert), so no other connection comes to trust `ca`. Where the native context is not
 * there to add to (it is not a documented property), the certificates are passed along as before.
 */
export function secureContextTrusting(ca: string): SecureContext {
  const extra = extraCaCertificates();
  const context = createSecureContext();
  const native = (context as { context?: { addCACert?: (pem: string) => void } }).context;
  if (typeof native?.addCACert !== 'function')
    return createSecureContext({ ca: [...rootCertificates, ...(extra ? [extra] : []), ca] });
  if (extra) native.addCACert(extra);
  native.addCACert(ca);
  return context;
}

export function createHttpPolicy(options: HttpPolicyOptions = {}): HttpPolicy {
  const ca = options.caFile ? readCaFile(options.caFile) : undefined;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const dispatcher = new Agent({
    // The connect timeout covers the TLS handshake too: a peer that accepts and then says nothing.
    // One secure context for every connection: given `ca`, each TLS connection would parse the ~140
    // root certificates again (most of a scan's TLS CPU when connections are many).
    connect: {
      timeout: timeoutMs,
      ...(ca ? { secureContext: secureContextTrusting(ca) } : {}),
    },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const onRequest = options.onRequest;
  /**
   * Endpoints that failed in a way no retry can mend (an untrusted certificate, a host name that does
   * not resolve, no HTTPS): later requests to them fail at once with the same error, instead of every
   * collector and every token client finding out again.
   */
  const broken = new Map<string, EndpointUnreachableError>();
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = init?.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET');
    const known = broken.get(endpointOf(url));
    if (known) throw new EndpointUnreachableError(known.endpoint, known.failure, { cause: known });
    // undici's fetch accepts a per-request dispatcher; the global one knows nothing of our CA.
    const send = (sendInit: RequestInit | undefined) => {
      onRequest?.(url, method);
      return (
        undiciFetch(input as Parameters<typeof undiciFetch>[0], {
          ...(sendInit as Parameters<typeof undiciFetch>[1]),
          dispatcher,
        }) as unknown as Promise<Response>
      ).catch((err: unknown) => {
        // "fetch failed" names neither the host nor the cause: say both (the SDKs pass this on).
        const failure = unreachable(url, err, { timeoutMs });
        if (failure?.failure.permanent) broken.set(failure.endpoint, failure);
        throw failure ?? err;
      });
    };
    return options.exchange ? exchanged(options.exchange, input, init, method, send) : send(init);
  }) as typeof globalThis.fetch;
  return {
    fetch: fetchImpl,
    dispatcher,
    ca,
    timeoutMs,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    userAgent: options.userAgent ?? 'grantscope',
  };
}

/** Why a request got no HTTP answer, as a user can act on it. */
export interface TransportFailure {
  /** The system or library code (`ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`, …). */
  code: string;
  /** Plain words: "connection refused", "certificate not trusted (set tls.caFile …)". */
  cause: string;
  /** Retrying cannot help (TLS and certificate problems, a host name that does not resolve). */
  permanent: boolean;
}

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * Failures of one request on a host that otherwise answers: a page that stalls, a connection cut
 * mid-answer. They say nothing about the next request, unlike a refused connection or a failed handshake.
 */
const ONE_REQUEST_ONLY = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

/** Whether `failure` means the whole endpoint is out of reach, not just the request that met it. */
export function isEndpointWide(failure: TransportFailure): boolean {
  return !ONE_REQUEST_ONLY.has(failure.code);
}

/** Node's and undici's codes (nodejs.org/api/errors.html, undici's errors.js), in words. */
function describeCode(code: string, message: string, timeoutMs: number | undefined): TransportFailure | null {
  const within = timeoutMs ? ` within ${Math.round(timeoutMs / 100) / 10} s` : '';
  const words: Record<string, [string, boolean]> = {
    ECONNREFUSED: ['connection refused (nothing listens on that port)', false],
    ENOTFOUND: ['DNS lookup failed: the host name does not resolve', true],
    EAI_AGAIN: ['DNS lookup failed (temporary failure in name resolution)', false],
    ETIMEDOUT: ['connection timed out', false],
    UND_ERR_CONNECT_TIMEOUT: [`connection or TLS handshake timed out (no answer${within})`, false],
    UND_ERR_HEADERS_TIMEOUT: [`timed out: no response${within}`, false],
    UND_ERR_BODY_TIMEOUT: [
      `timed out: the response body stalled for longer than${within.replace(' within', '')}`,
      false,
    ],
    ECONNRESET: ['connection reset by the peer', false],
    EPIPE: ['connection reset by the peer', false],
    UND_ERR_SOCKET: ['connection closed by the peer before it answered', false],
    EHOSTUNREACH: ['host unreachable', false],
    ENETUNREACH: ['network unreachable', false],
    CERT_HAS_EXPIRED: ['TLS certificate expired', true],
    CERT_NOT_YET_VALID: ['TLS certificate not yet valid', true],
    ERR_TLS_CERT_ALTNAME_INVALID: ['TLS certificate does not match the host name', true],
    ERR_SSL_WRONG_VERSION_NUMBER: [
      'TLS handshake failed: the endpoint does not speak HTTPS (an http:// service?)',
      true,
    ],
    ERR_SSL_PACKET_LENGTH_TOO_LONG: [
      'TLS handshake failed: the endpoint does not speak HTTPS (an http:// service?)',
      true,
    ],
  };
  if (UNTRUSTED.has(code)) {
    return {
      code,
      cause:
        'TLS certificate not trusted (set tls.caFile to the CA that signed it, e.g. of a TLS-inspecting proxy)',
      permanent: true,
    };
  }
  const known = words[code];
  if (known) return { code, cause: known[0], permanent: known[1] };
  if (/^ERR_SSL_|^ERR_TLS_/.test(code))
    return { code, cause: `TLS handshake failed (${code})`, permanent: true };
  if (message === 'bad port') {
    return {
      code: 'BAD_PORT',
      cause: 'the port is one fetch refuses to connect to (a "bad port")',
      permanent: true,
    };
  }
  return null;
}

/** The transport failure behind `err` (its cause chain, aggregate errors included), or null. */
export function transportFailure(
  err: unknown,
  options: { timeoutMs?: number } = {},
): TransportFailure | null {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    if (e instanceof EndpointUnreachableError) return e.failure;
    const { code, message, cause, errors } = e as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    const found = describeCode(
      typeof code === 'string' ? code : '',
      typeof message === 'string' ? message : '',
      options.timeoutMs,
    );
    if (found) return found;
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return null;
}

/**
 * A request that got no HTTP answer: names the endpoint (scheme, host and port, never a path or query,
 * which can carry secrets) and the cause. An ApiError without a status, so that coverage records it as
 * the collector's failure and nothing mistakes it for an HTTP 500.
 */
export class EndpointUnreachableError extends ApiError {
  constructor(
    readonly endpoint: string,
    readonly failure: TransportFailure,
    options?: { cause?: unknown; api?: string; method?: string; path?: string },
  ) {
    super(
      options?.api ?? 'HTTP',
      null,
      `cannot reach ${endpoint}: ${failure.cause}`,
      {
        ...(options?.method ? { method: options.method } : {}),
        ...(options?.path ? { path: options.path } : {}),
      },
      { cause: options?.cause },
    );
    // Without an API to name, the bare sentence: SDKs print only `message`.
    if (!options?.api) this.message = this.reason;
  }

  /** `cannot reach https://host:port: cause`. */
  get reason(): string {
    return `cannot reach ${this.endpoint}: ${this.failure.cause}`;
  }

  /** The same failure, named after the API call that met it (`GitHub REST GET /orgs/{org}/members`). */
  during(api: string, method?: string, path?: string): EndpointUnreachableError {
    return new EndpointUnreachableError(this.endpoint, this.failure, {
      api,
      ...(method ? { method } : {}),
      ...(path ? { path } : {}),
      cause: this,
    });
  }
}

/** The origin of `url` (`https://host:port`), or the input when it is not a URL. */
export function endpointOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * The error to throw instead of `err` when a request to `url` got no HTTP answer; null for anything else
 * (an abort stays an abort: the SDKs and the engine tell an interrupt by it).
 */
export function unreachable(
  url: string,
  err: unknown,
  options: { timeoutMs?: number } = {},
): EndpointUnreachableError | null {
  if (err instanceof EndpointUnreachableError) return err;
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) return null;
  const failure = transportFailure(err, options);
  if (!failure) return null;
  return new EndpointUnreachableError(endpointOf(url), failure, { cause: err });
}

/** The EndpointUnreachableError in `err`'s cause chain (SDKs wrap it), or null. */
export function unreachableIn(err: unknown): EndpointUnreachableError | null {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    if (e instanceof EndpointUnreachableError) return e;
    seen.add(e);
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}
