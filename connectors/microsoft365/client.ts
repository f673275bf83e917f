import { setImmediate as nextMacrotask } from 'node:timers/promises';
import {
  AuthenticationHandler,
  Client,
  type Context,
  GraphError,
  type Middleware,
  RedirectHandler,
  RedirectHandlerOptions,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import type { z } from 'zod';
import type { ConnectorContext } from '../../src/connector/context.js';
import { inTurns } from '../../src/connector/fan-out.js';
import { bodyInMemory, type EndpointUnreachableError, unreachableIn } from '../../src/connector/http.js';
import { ApiError } from '../../src/errors.js';
import type { RenewableCredential } from './auth.js';
import type { Endpoints } from './config.js';
import { OnItsWay } from './on-its-way.js';
import {
  type BatchInnerResponse,
  BatchResponseBody,
  DirectoryObjectId,
  GraphErrorBody,
  page,
} from './schema.js';
import { innerResourceUnits, ResourceUnitPacer, ResourceUnitPacing, tenantBucket } from './throttle.js';

export const GRAPH_API = 'microsoft-graph';
/** Graph's limit on requests in one `$batch` (also `BatchRequestContent`'s). */
export const BATCH_SIZE = 20;
/** Inner `$batch` statuses worth another try: throttling and transient server errors. */
const RETRIED_INNER_STATUS: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);
/** Statuses whose Response may not carry a body (the Response constructor refuses one). */
const NO_BODY_STATUS: ReadonlySet<number> = new Set([101, 204, 205, 304]);

/**
 * The last middleware of the Graph client's chain: sends the request through the engine's HTTP
 * policy (`ctx.http.fetch`: trusts the configured CA, counts the request for the running
 * collector) and retries connection failures and 500/502, which the SDK's RetryHandler leaves alone
 * (it handles 429/503/504 with Retry-After).
 */
class EngineTransport implements Middleware {
  /**
   * The last request that got no HTTP answer. The SDK turns what the transport throws into a
   * GraphError with status -1 and only its message, so GraphApi reads the cause back from here.
   */
  unreachable: EndpointUnreachableError | null = null;

  constructor(private readonly ctx: ConnectorContext) {}

  async execute(context: Context): Promise<void> {
    const { retry } = this.ctx.http;
    for (let attempt = 0; ; attempt++) {
      try {
        // A dependent signal per request: listeners added to the scan's own signal would pile up.
        const signal = AbortSignal.any([this.ctx.signal]);
        const answer = this.ctx.http.fetch(context.request, {
          ...context.options,
          signal,
        } as RequestInit);
        OnItsWay.of(context)?.onWay();
        const response = await answer;
        if ((response.status === 500 || response.status === 502) && attempt < retry.maxRetries) {
          await response.body?.cancel();
          await this.ctx.clock.sleep(
            Math.min(retry.baseDelayMs * 2 ** attempt, retry.maxDelayMs),
            this.ctx.signal,
          );
          continue;
        }
        // A body read whole already (the scan's journal reads JSON answers so) cannot be cut: handed on
        // as it is, without a second copy.
        if (bodyInMemory(response)) {
          context.response = response;
          return;
        }
        // The whole body is read here, so that a connection cut mid-body is a transport failure this
        // loop retries, not a parse error in the SDK after the transport has returned.
        const body = await response.arrayBuffer();
        context.response = new Response(NO_BODY_STATUS.has(response.status) ? null : body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
        return;
      } catch (err) {
        const transport = unreachableIn(err);
        if (transport) this.unreachable = transport;
        // An untrusted certificate or a host that does not resolve will not change on a retry.
        if (this.ctx.signal.aborted || attempt >= retry.maxRetries || transport?.failure.permanent) throw err;
        this.ctx.logger.debug('graph request failed, retrying', { error: (err as Error).message, attempt });
        await this.ctx.clock.sleep(
          Math.min(retry.baseDelayMs * 2 ** attempt, retry.maxDelayMs),
          this.ctx.signal,
        );
      }
    }
  }
}

/**
 * First in the chain: a 401 InvalidAuthenticationToken (the token expired or was revoked before its
 * time) renews the credential once and sends the request again, through the authentication handler,
 * with a new token. The SDK's handlers leave a 401 alone. A second 401 is the answer.
 */
class TokenRenewal implements Middleware {
  private next: Middleware | undefined;

  constructor(
    private readonly credential: RenewableCredential,
    private readonly ctx: ConnectorContext,
  ) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const seen = this.credential.generation;
    await this.next!.execute(context);
    const response = context.response;
    if (response?.status !== 401) return;
    const body = (await response
      .clone()
      .json()
      .catch(() => null)) as unknown;
    if (GraphErrorBody.safeParse(body).data?.error?.code !== 'InvalidAuthenticationToken') return;
    this.ctx.logger.info(
      'microsoft-graph: access token refused (401 InvalidAuthenticationToken); renewing it once',
    );
    this.credential.renew(seen);
    await response.body?.cancel();
    context.response = undefined;
    // The authentication handler appends its header: drop the refused one first.
    withoutAuthorization(context);
    await this.next!.execute(context);
  }
}

function withoutAuthorization(context: Context): void {
  const isAuth = (name: string) => name.toLowerCase() === 'authorization';
  if (typeof context.request !== 'string') context.request.headers.delete('authorization');
  const headers = context.options?.headers as
    | Headers
    | Array<[string, string]>
    | Record<string, string>
    | undefined;
  if (!headers || !context.options) return;
  if (headers instanceof Headers) headers.delete('authorization');
  else if (Array.isArray(headers)) context.options.headers = headers.filter(([k]) => !isAuth(k));
  else for (const k of Object.keys(headers)) if (isAuth(k)) delete headers[k];
}

/** A `$select` query parameter of the fields a collector uses. */
export function select(fields: readonly string[]): string {
  return `$select=${fields.join(',')}`;
}

export interface CallInfo {
  /** `GET /servicePrincipals`, for errors and coverage. */
  api: string;
  /** The Graph permission this call needs, for the error hint. */
  requiredPermission: string;
}

/** One inner request of a batch and what to do with its (possibly paged) answer. */
export interface BatchItem<T> {
  key: string;
  /** Path relative to the version root (no version segment), with query: `/servicePrincipals/{id}/owners?$select=…`. */
  url: string;
  /** Whether the answer is a collection to page through (`value`) or one entity. */
  collection: boolean;
  schema: z.ZodType<T>;
}

/** The JSON body of one `$batch` request. */
export interface BatchRequestBody {
  requests: Array<{ id: string; method: 'GET'; url: string }>;
}

/**
 * A `$batch` body of GETs, written directly: each inner `url` is relative to the version root the
 * batch is posted to (`/servicePrincipals/{id}/owners`), without a version segment or origin
 * (https://learn.microsoft.com/graph/json-batching: "while the absolute URL is
 * https://graph.microsoft.com/v1.0/users, this url is /users"). Graph answers `/v1.0/…` with 400
 * "Resource not found for the segment 'v1.0'"; the SDK's BatchRequestContent only strips the
 * origin of a Request's URL, so it is not used (msgraph-sdk-javascript#1451).
 */
export function batchRequestBody(urls: readonly string[]): BatchRequestBody {
  if (urls.length > BATCH_SIZE) throw new RangeError(`a $batch holds at most ${BATCH_SIZE} requests`);
  return {
    requests: urls.map((url, n) => {
      if (!url.startsWith('/') || /^\/(v1\.0|beta)(\/|$)/i.test(url)) {
        throw new RangeError(`$batch urls are relative to the version root, without version: ${url}`);
      }
      return { id: String(n + 1), method: 'GET', url };
    }),
  };
}

export type BatchResult<T> = { status: 200; value: T[] } | { status: 404 };

/**
 * The error of child collections that answered 404 while their parent still exists: the collector
 * fails, so its records are carried over from the previous scan instead of being reported removed.
 */
export function childListNotFound(info: CallInfo, parents: readonly string[], what: string): ApiError {
  const shown = parents.slice(0, 5).join(', ') + (parents.length > 5 ? `, … (${parents.length} in all)` : '');
  return new ApiError(
    GRAPH_API,
    404,
    `Request_ResourceNotFound for ${parents.length} object(s) that still exist (${shown}): a replica that has not caught up, or a transient error; their ${what} are kept from the previous scan, not reported removed`,
    { method: 'GET', path: info.api.replace(/^GET /, ''), requiredPermission: info.requiredPermission },
  );
}

/** An inner answer's headers, looked up by name in any case (HTTP header names are case-insensitive). */
function innerHeaders(response: BatchInnerResponse): { get(name: string): string | null } {
  const headers = response.headers ?? {};
  return {
    get(name: string) {
      const wanted = name.toLowerCase();
      for (const k in headers) if (k.toLowerCase() === wanted) return String(headers[k]);
      return null;
    },
  };
}

/**
 * An inner answer's JSON body: the object itself, or a JSON text parsed (the SDK's
 * BatchResponseContent reads a body sent as text the same way); null when there is none to read.
 */
function innerBody(response: BatchInnerResponse): unknown {
  const { body } = response;
  if (typeof body !== 'string') return body ?? null;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return null;
  }
}

/**
 * Microsoft Graph through the official client (@microsoft/microsoft-graph-client), authenticated
 * with an @azure/identity credential via TokenCredentialAuthenticationProvider. Adds paging,
 * `$batch` with per-inner-request 429 retries, zod parsing at the boundary and typed errors.
 */
export class GraphApi {
  readonly client: Client;
  readonly version = 'v1.0';
  private readonly transport: EngineTransport;
  /** Resource units spent against the tenant's throttling bucket. */
  readonly pacer: ResourceUnitPacer;
  /** Whether the config set the bucket (else it follows the tenant's size, once learnt). */
  private readonly bucketKnown: boolean;

  /**
   * The tenant has `users` users (a list's `@odata.count`): unless the config set the bucket, pace to
   * the bucket Graph gives a tenant of that size from now on.
   */
  learnTenantUsers(users: number): void {
    if (this.bucketKnown) return;
    const before = this.pacer.rate;
    this.pacer.raiseTo(tenantBucket(users));
    if (this.pacer.rate !== before)
      this.ctx.logger.info(
        `microsoft-graph: pacing to ${this.pacer.rate} resource units per 10 s, the bucket of a tenant of ` +
          `${users} users (microsoft365.resourceUnitsPer10s sets it)`,
      );
  }

  /**
   * Once the smallest bucket first makes a request wait (unless a list's count came first): the tenant's
   * size from `GET /users/$count` (user-list, "Get only a count of users": text/plain, with
   * `ConsistencyLevel: eventual`), to pace to its bucket. A scan that never fills the smallest bucket
   * (a small tenant) never sends it. When it fails (no User.Read.All, say), the scan stays at the
   * smallest bucket, as before: the grants collector's user list may still give the size.
   */
  private async countTenantUsers(): Promise<null> {
    if (this.pacer.rate > tenantBucket(0)) return null;
    const info = { api: 'GET /users/$count', requiredPermission: 'User.Read.All' };
    try {
      const body = await this.get('/users/$count', info, undefined, true);
      const users = Number(typeof body === 'string' ? body.trim() : body);
      if (Number.isInteger(users) && users >= 0) this.learnTenantUsers(users);
      else this.ctx.logger.debug('microsoft-graph: GET /users/$count gave no count', { body: String(body) });
    } catch (err) {
      this.ctx.logger.debug("microsoft-graph: tenant size unknown; pacing to the smallest tenants' bucket", {
        error: err instanceof Error ? err.message : String(err),
      });
    }
    return null;
  }

  constructor(
    private readonly ctx: ConnectorContext,
    readonly endpoints: Endpoints,
    credential: RenewableCredential,
    /**
     * The tenant's RU per 10 s and the time scale of Graph's windows (throttle.ts). Without a bucket,
     * the smallest tenants' is paced to until the tenant's size is learnt (`learnTenantUsers`).
     */
    throttling: { resourceUnitsPer10s?: number | undefined; timeScale: number } = { timeScale: 1 },
  ) {
    this.bucketKnown = throttling.resourceUnitsPer10s !== undefined;
    const auth = new TokenCredentialAuthenticationProvider(credential, { scopes: [endpoints.scope] });
    const { maxRetries, baseDelayMs } = ctx.http.retry;
    this.transport = new EngineTransport(ctx);
    this.pacer = new ResourceUnitPacer({
      perTenSeconds: throttling.resourceUnitsPer10s ?? tenantBucket(0),
      windowMs: 10_000 / throttling.timeScale,
      clock: ctx.clock,
      signal: ctx.signal,
      ...(this.bucketKnown ? {} : { learnRate: () => this.countTenantUsers() }),
    });
    this.client = Client.initWithMiddleware({
      baseUrl: `${endpoints.graphBaseUrl}/`,
      defaultVersion: this.version,
      // The client only attaches the token to Graph hosts; a custom endpoint (national cloud proxy,
      // emulator) must be declared. Hostname only: the port is not part of the match.
      customHosts: new Set([new URL(endpoints.graphBaseUrl).hostname]),
      middleware: [
        new TokenRenewal(credential, ctx),
        new AuthenticationHandler(auth),
        new RetryHandler(
          new RetryHandlerOptions(Math.min(180, baseDelayMs / 1000), Math.min(10, maxRetries)),
        ),
        new RedirectHandler(new RedirectHandlerOptions()),
        new TelemetryHandler(),
        new ResourceUnitPacing(this.pacer, endpoints.graphBaseUrl),
        this.transport,
      ],
    });
  }

  private toApiError(err: unknown, info: CallInfo, path: string): ApiError {
    if (err instanceof ApiError) return err;
    const transport =
      unreachableIn(err) ??
      (err instanceof GraphError && err.statusCode === -1 ? this.transport.unreachable : null);
    if (transport) return transport.during(GRAPH_API, 'GET', path);
    if (err instanceof GraphError) {
      const status = err.statusCode > 0 ? err.statusCode : null;
      const code = err.code ? `${err.code}: ` : '';
      return new ApiError(
        GRAPH_API,
        status,
        `${code}${err.message || 'request failed'}`,
        {
          method: 'GET',
          path,
          requiredPermission: info.requiredPermission,
        },
        { cause: err },
      );
    }
    return new ApiError(
      GRAPH_API,
      null,
      (err as Error)?.message ?? String(err),
      { method: 'GET', path },
      { cause: err },
    );
  }

  private parse<T>(schema: z.ZodType<T>, body: unknown, info: CallInfo): T {
    const r = schema.safeParse(body);
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    throw new ApiError(
      GRAPH_API,
      200,
      `unexpected response shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
      { method: 'GET', path: info.api.replace(/^GET /, '') },
    );
  }

  private async get(
    pathOrUrl: string,
    info: CallInfo,
    version?: string,
    eventual = false,
    /** Called once the request is out, or waits (for a slot of the limiter, or paced). */
    onWay?: () => void,
  ): Promise<unknown> {
    try {
      const req = this.client.api(pathOrUrl);
      if (version) req.version(version);
      if (eventual) req.header('ConsistencyLevel', 'eventual');
      if (onWay) {
        req.middlewareOptions([new OnItsWay(onWay)]);
        const { limit } = this.ctx;
        if (limit.activeCount + limit.pendingCount >= limit.concurrency) onWay();
      }
      return await this.ctx.limit(() => req.get());
    } catch (err) {
      throw this.toApiError(err, info, info.api.replace(/^GET /, ''));
    }
  }

  /**
   * Page through a collection following `@odata.nextLink` verbatim; yields each page's items. A
   * nextLink that leads back to a page already read fails the call instead of looping.
   *
   * Each next page is asked for as soon as a page's answer is in, before that page is validated and
   * handed to the caller: a list is a chain of round trips, and the CPU spent on each page (parsing,
   * the caller's work) then overlaps the next one's latency instead of adding to it. A caller that may
   * stop early says after how many pages (`mayStopAfter`): the page after those is asked only when it
   * is wanted, so no request is sent that a whole read would not send.
   */
  async *list<T>(
    path: string,
    schema: z.ZodType<T>,
    info: CallInfo,
    version?: string,
    /**
     * An advanced query (`$count=true`, …): every page is asked with `ConsistencyLevel: eventual`, and
     * `onCount` gets the first page's `@odata.count` ("present only in the first page",
     * https://learn.microsoft.com/graph/paging).
     */
    advanced?: { onCount?: (count: number) => void },
    paging: { mayStopAfter?: number } = {},
  ): AsyncGenerator<T[]> {
    const pageSchema = page(schema);
    let next: string | undefined = path;
    let first = true;
    let pages = 0;
    const seen = new Set<string>();
    const keyOf = (link: string) =>
      /^https?:/i.test(link)
        ? link
        : `${this.endpoints.graphBaseUrl}/${version ?? this.version}${link.startsWith('/') ? '' : '/'}${link}`;
    /** The request for `next`, when it was sent ahead. */
    let ahead: Promise<unknown> | null = null;
    while (next) {
      if (/^https?:/i.test(next)) this.assertSameOrigin(next, info);
      const key = keyOf(next);
      if (seen.has(key)) {
        throw new ApiError(
          GRAPH_API,
          200,
          `paging did not advance: @odata.nextLink leads back to a page already read, after ${seen.size} page(s); stopped instead of looping`,
          { method: 'GET', path: info.api.replace(/^GET /, '') },
        );
      }
      seen.add(key);
      const raw = await (ahead ?? this.get(next, info, first ? version : undefined, advanced !== undefined));
      pages += 1;
      const sent = this.askAhead(
        raw,
        pages,
        paging.mayStopAfter ?? 0,
        seen,
        keyOf,
        info,
        advanced !== undefined,
      );
      ahead = sent?.answer ?? null;
      // Out before this page is validated and handed on: the SDK's chain is asynchronous, so a request
      // only started would go out after that work, not during it. The turn after the transport took
      // it lets the HTTP client put it on a free connection (or open one).
      if (sent) {
        await sent.onWay;
        await nextMacrotask();
      }
      const body: z.infer<typeof pageSchema> = this.parse(pageSchema, raw, info);
      if (first && advanced?.onCount) {
        const count = (raw as Record<string, unknown>)['@odata.count'];
        if (typeof count === 'number' && Number.isInteger(count) && count >= 0) advanced.onCount(count);
      }
      first = false;
      yield body.value as T[];
      next = body['@odata.nextLink'];
    }
  }

  /**
   * The request for the page after `raw`, sent now (see `list`), or null: no nextLink, the caller may
   * stop after `pages`, or a link the paging loop refuses (another origin, a page already read), which
   * the loop then reports. Its failure, if it fails, is the loop's when it takes the answer; unused (the
   * page failed validation), it is dropped. `onWay` settles once the request is out (or waits for a slot
   * or for pacing, or has ended).
   */
  private askAhead(
    raw: unknown,
    pages: number,
    mayStopAfter: number,
    seen: ReadonlySet<string>,
    keyOf: (link: string) => string,
    info: CallInfo,
    eventual: boolean,
  ): { answer: Promise<unknown>; onWay: Promise<void> } | null {
    if (pages <= mayStopAfter || raw === null || typeof raw !== 'object') return null;
    const link = (raw as Record<string, unknown>)['@odata.nextLink'];
    if (typeof link !== 'string' || link === '' || seen.has(keyOf(link))) return null;
    if (/^https?:/i.test(link) && URL.parse(link)?.origin !== new URL(this.endpoints.graphBaseUrl).origin)
      return null;
    let onWay!: () => void;
    const out = new Promise<void>((resolve) => {
      onWay = resolve;
    });
    const answer = this.get(link, info, undefined, eventual, onWay);
    answer.then(onWay, onWay);
    return { answer, onWay: out };
  }

  /** `GET …/$count` (an advanced query: needs `ConsistencyLevel: eventual`). */
  async count(path: string, info: CallInfo): Promise<number> {
    let body: unknown;
    try {
      body = await this.ctx.limit(() => this.client.api(path).header('ConsistencyLevel', 'eventual').get());
    } catch (err) {
      throw this.toApiError(err, info, path);
    }
    const n = Number(typeof body === 'string' ? body.trim() : body);
    if (!Number.isInteger(n) || n < 0) {
      throw new ApiError(GRAPH_API, 200, `expected a count, got ${String(body).slice(0, 40)}`, {
        method: 'GET',
        path,
      });
    }
    return n;
  }

  async entity<T>(path: string, schema: z.ZodType<T>, info: CallInfo): Promise<T> {
    return this.parse(schema, await this.get(path, info), info);
  }

  /**
   * One GET of a path, or of a link Graph gave (a delta round's nextLink or deltaLink), parsed with
   * `schema`. A link must stay on the configured Graph origin, like a nextLink.
   */
  async read<T>(pathOrLink: string, schema: z.ZodType<T>, info: CallInfo): Promise<T> {
    if (/^https?:/i.test(pathOrLink)) this.assertSameOrigin(pathOrLink, info);
    return this.parse(schema, await this.get(pathOrLink, info), info);
  }

  /** A nextLink must stay on the configured Graph origin: the token is never sent anywhere else. */
  private assertSameOrigin(link: string, info: CallInfo) {
    if (new URL(link).origin !== new URL(this.endpoints.graphBaseUrl).origin) {
      throw new ApiError(GRAPH_API, 200, `nextLink points outside ${this.endpoints.graphBaseUrl}: ${link}`, {
        method: 'GET',
        path: info.api.replace(/^GET /, ''),
      });
    }
  }

  /**
   * Which parents, whose child collection (owners, appRoleAssignedTo) answered 404, are gone: a 404
   * there (Request_ResourceNotFound, "Resource '…' does not exist or one of its queried
   * reference-property objects are not present") is what a deleted parent gives, but also a replica
   * that has not caught up, or a transient error. Each parent is read by id (`?$select=id`, in
   * `$batch`): only one that answers 404 there too, twice, is gone; one that answers is present.
   */
  async gone(parents: ReadonlyArray<{ key: string; url: string }>, info: CallInfo): Promise<Set<string>> {
    const out = new Set<string>();
    if (parents.length === 0) return out;
    const results = await this.batch(
      parents.map((p) => ({ key: p.key, url: p.url, collection: false, schema: DirectoryObjectId })),
      info,
    );
    for (const p of parents) if (results.get(p.key)?.status === 404) out.add(p.key);
    return out;
  }

  /** A Retry-After header (seconds or an HTTP date) in ms; undefined when absent or unreadable. */
  private retryAfterMs(header: string | null): number | undefined {
    if (header === null || header.trim() === '') return undefined;
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
    const at = Date.parse(header);
    return Number.isNaN(at) ? undefined : Math.max(0, at - this.ctx.clock.now().getTime());
  }

  /** The ApiError of a failed inner request, with Graph's error code and message when it sent one. */
  private innerError(
    response: BatchInnerResponse,
    innerPath: string,
    info: CallInfo,
    suffix?: string,
  ): ApiError {
    const e = GraphErrorBody.safeParse(innerBody(response)).data?.error;
    const what =
      response.status === 429
        ? 'throttled inside $batch'
        : `${e?.code ? `${e.code}: ` : ''}${e?.message ?? 'inner request of $batch failed'}`;
    return new ApiError(GRAPH_API, response.status, `${what} (${innerPath})${suffix ? `; ${suffix}` : ''}`, {
      method: 'GET',
      path: info.api.replace(/^GET /, ''),
      requiredPermission: info.requiredPermission,
    });
  }

  /**
   * Run GETs in `$batch` requests of 20. An inner 429, 500, 502, 503 or 504 is retried (in a later
   * batch) after the longest Retry-After among its siblings, else exponential back-off, up to the
   * retry policy's limit per request: the SDK's RetryHandler and the transport only see the outer
   * 200. Inner collections are paged by following their nextLink. 404 is returned as such (for an
   * object looked up by id, after asking once more); any other inner error throws an ApiError for
   * that inner call. A 404 on a collection is not "empty": the caller asks `gone` about its parent.
   */
  async batch<T>(items: BatchItem<T>[], info: CallInfo): Promise<Map<string, BatchResult<T>>> {
    const results = new Map<string, BatchResult<T>>();
    const byKey = new Map(items.map((i) => [i.key, i]));
    const attempts = new Map<string, number>();
    const rechecked = new Set<string>();
    let pending = items.map((i) => i.key);
    const chunks: string[][] = [];
    while (pending.length > 0) {
      chunks.length = 0;
      for (let i = 0; i < pending.length; i += BATCH_SIZE) chunks.push(pending.slice(i, i + BATCH_SIZE));
      const retried: string[] = [];
      /** Asked again at once, without waiting: 404s of objects looked up by id. */
      const recheck: string[] = [];
      let wait = 0;
      const postChunk = async (keys: string[]) => {
        const content = batchRequestBody(keys.map((key) => byKey.get(key)!.url));
        let raw: unknown;
        try {
          raw = await this.ctx.limit(() => this.client.api('/$batch').post(content));
        } catch (err) {
          throw this.toApiError(err, { ...info, api: 'POST /$batch' }, '/$batch');
        }
        // The answer is read as parsed once by the SDK: its envelope checked here, each inner body with
        // its request's schema (the SDK's BatchResponseContent would serialise every inner body into a
        // Response to be parsed again).
        const answered = this.parse(BatchResponseBody, raw, { ...info, api: 'POST /$batch' });
        const byId = new Map(answered.responses.map((r) => [r.id, r]));
        for (const [n, key] of keys.entries()) {
          const response = byId.get(String(n + 1));
          if (response)
            this.pacer.observe(
              response.status,
              innerHeaders(response),
              innerResourceUnits('GET', byKey.get(key)!.url),
            );
        }
        for (const [n, key] of keys.entries()) {
          const item = byKey.get(key)!;
          const response = byId.get(String(n + 1));
          if (!response)
            throw new ApiError(GRAPH_API, 200, `batch response lacks id ${n + 1}`, {
              method: 'POST',
              path: '/$batch',
            });
          const innerPath = item.url.split('?')[0]!;
          if (RETRIED_INNER_STATUS.has(response.status)) {
            const tries = (attempts.get(key) ?? 0) + 1;
            attempts.set(key, tries);
            if (tries > this.ctx.http.retry.maxRetries) {
              throw this.innerError(response, innerPath, info, 'retries exhausted');
            }
            const backoff = this.ctx.http.retry.baseDelayMs * 2 ** (tries - 1);
            wait = Math.max(wait, this.retryAfterMs(innerHeaders(response).get('retry-after')) ?? backoff);
            retried.push(key);
            continue;
          }
          if (response.status === 404) {
            // An object looked up by id is asked once more before it counts as deleted: the
            // directory is eventually consistent, so one replica can miss an object another has
            // (msgraph-sdk-java#2575: a group just created or deleted answers GET by id
            // inconsistently for some seconds).
            if (!item.collection && !rechecked.has(key)) {
              rechecked.add(key);
              recheck.push(key);
              continue;
            }
            results.set(key, { status: 404 });
            continue;
          }
          if (response.status >= 400) throw this.innerError(response, innerPath, info);
          const body = innerBody(response);
          if (!item.collection) {
            results.set(key, {
              status: 200,
              value: [this.parse(item.schema, body, { ...info, api: `GET ${innerPath}` })],
            });
            continue;
          }
          const first = this.parse(page(item.schema), body, { ...info, api: `GET ${innerPath}` });
          const value = [...(first.value as T[])];
          if (first['@odata.nextLink']) {
            for await (const more of this.list(first['@odata.nextLink'], item.schema, {
              ...info,
              api: `GET ${innerPath}`,
            })) {
              value.push(...more);
            }
          }
          results.set(key, { status: 200, value });
        }
      };
      // At most as many posts at once as the limiter has slots, rather than all queued at once: the
      // limiter serves in arrival order, so a few hundred queued posts (the owners of a large tenant)
      // would hold back every other collector's next request, often a page of a nextLink chain, behind
      // all of them. postChunk takes the limiter itself (the post, then its answers' nextLink pages).
      await inTurns(chunks, this.ctx.limit.concurrency, postChunk);
      if (retried.length > 0) {
        this.ctx.logger.debug('throttled or transient failure inside $batch, retrying', {
          requests: retried.length,
          waitMs: wait,
        });
        await this.ctx.clock.sleep(Math.min(wait, this.ctx.http.retry.maxDelayMs), this.ctx.signal);
      }
      pending = [...retried, ...recheck];
    }
    return results;
  }
}
