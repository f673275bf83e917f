import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { z } from 'zod';
import type { ConnectorContext } from '../../src/connector/context.js';
import { activeCollector, attributeTo } from '../../src/connector/coverage.js';
import { type EndpointUnreachableError, isEndpointWide, unreachableIn } from '../../src/connector/http.js';
import { ApiError } from '../../src/errors.js';
import { AUTH_ROUTE, InstallationTokenRenewal, readPrivateKey, readToken } from './auth.js';
import type { GithubConfig } from './config.js';
import { laterPages, PAGES_AHEAD, readInOrder } from './pages-ahead.js';
import { RateBudget, RateBudgetExhausted, type RateResource, SecondaryPacer } from './rate-budget.js';
import { OrgInstallation } from './schema.js';

/**
 * The connector's way to GitHub: @octokit/rest with plugin-throttling and plugin-retry, App auth
 * through @octokit/auth-app (or a token), the context's fetch (so the extra CA and request counting
 * apply), a rate budget, and zod parsing of every response at the boundary.
 *
 * Waiting is done through `ctx.clock.sleep` wherever this code decides to wait (secondary limits,
 * Retry-After on 429, primary-limit resets), so tests run without real sleeps and can assert the
 * waits. plugin-retry's own back-off for 5xx uses `ctx.http.retry.baseDelayMs`.
 */
// Annotated: the inferred plugin type cannot be named in declarations (TS2883). The plugins' options
// (`throttle`, `retry`) reach the constructor through their module augmentation of OctokitOptions.
const ScannerOctokit: typeof Octokit = Octokit.plugin(throttling, retry);
export type ScannerOctokit = Octokit;

export const GITHUB_API_VERSION = '2022-11-28';
/** A 4xx that plugin-retry must leave alone; 429 is retried here, honouring Retry-After. */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];
/** Server errors retried (with back-off, or Retry-After) by the request hook. */
const RETRIED_STATUS: ReadonlySet<number> = new Set([500, 502, 503, 504]);

export interface ListOptions {
  /**
   * The operation takes `page`/`per_page` but its response declares no `Link` header: after a full page
   * that came without one, ask for the next page number until a short page.
   */
  pagesWithoutLink?: boolean;
}

/** Page size asked of every REST list (GitHub's maximum for these operations). */
export const PER_PAGE = 100;

/**
 * A page's URL as a key, so that a `Link` pointing back to a page already read is recognised: query
 * parameters sorted, and `page=1` where the first request named no page.
 */
export function pageKey(url: string): string {
  const u = new URL(url, 'https://github.invalid');
  if (!u.searchParams.has('page') && !u.searchParams.has('after') && !u.searchParams.has('before')) {
    u.searchParams.set('page', '1');
  }
  u.searchParams.sort();
  return `${u.pathname}?${u.searchParams.toString()}`;
}

export interface GraphqlIssue {
  type?: string;
  path?: Array<string | number>;
  message: string;
}

export interface GithubClient {
  readonly octokit: ScannerOctokit;
  readonly budget: RateBudget;
  readonly auth: 'app' | 'token';
  /** Every item of a paged REST list (per_page=100), each parsed with `item`. */
  list<T>(
    route: string,
    params: Record<string, unknown>,
    item: z.ZodType<T>,
    options?: ListOptions,
  ): AsyncGenerator<T>;
  /** One REST object, parsed with `schema`. */
  get<T>(route: string, params: Record<string, unknown>, schema: z.ZodType<T>): Promise<T>;
  /** A GraphQL query; partial errors (e.g. NOT_FOUND for one alias) come back next to the data. */
  graphql<T>(
    query: string,
    variables: Record<string, unknown>,
    schema: z.ZodType<T>,
  ): Promise<{ data: T; errors: GraphqlIssue[] }>;
}

let instances = 0;

/**
 * The endpoint a request path belongs to, for the secondary limit's points "per endpoint": a route
 * template has its parameters as `x` already; a URL followed verbatim (a `Link`, a `*_url` field)
 * has the owner, repository, org, user or app in it, which are parameters of one endpoint.
 */
export function endpointOf(pathname: string): string {
  return pathname
    .replace(/^\/api\/v3(?=\/)/, '')
    .replace(/^\/repos\/[^/]+\/[^/]+/, '/repos/x/x')
    .replace(/^\/(orgs|users|apps|organizations|app\/installations)\/[^/]+/, '/$1/x');
}

/**
 * A stand-in for a Bottleneck group that runs every job at once: plugin-throttling only calls
 * `group.key(id).schedule(options, job, ...args)` on it.
 */
const UNPACED_GROUP = {
  key: () => ({
    schedule: <A extends unknown[], R>(_options: unknown, job: (...args: A) => Promise<R>, ...args: A) =>
      job(...args),
  }),
} as unknown as NonNullable<NonNullable<ConstructorParameters<typeof Octokit>[0]>['throttle']>['write'];

/**
 * A successful answer's body as Octokit's own reading gives it (`getResponseData` of @octokit/request),
 * but with `JSON.parse`: Octokit parses JSON with json-with-bigint, which on Node 20 (no JSON.parse
 * source access) runs a regular expression over the whole text and then JSON.parse with a reviver,
 * ~10x the CPU of JSON.parse (0.2-0.3 s for the 3.3 MB a 500-repository organisation answers, much of
 * it while the scan starts and the next requests wait on the answers). GitHub's ids are integers far
 * below 2^53, which a double holds exactly; a BigInt would fail the schemas, which read numbers.
 * Unparseable JSON stays text, as Octokit leaves it (MalformedResponse below).
 */
export async function successBody(
  body: ReadableStream<Uint8Array> | null,
  contentType: string | undefined,
): Promise<unknown> {
  // Read here, not through a `Response`: the global one loads Node's own copy of undici (~50 ms of
  // CPU on the scan's first answer), beside the one the scanner's fetch bundles.
  const bytes = readAll(body);
  // A body that cannot be read whole reads as nothing, as Octokit has it.
  const text = () => bytes.then((b) => new TextDecoder().decode(b)).catch(() => '');
  if (!contentType) return text();
  const [type = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (type === 'application/json' || type === 'application/scim+json') {
    const json = await text();
    try {
      return JSON.parse(json);
    } catch {
      return json;
    }
  }
  if (
    type.startsWith('text/') ||
    (parameters.some((p) => p.replace(/[\s"]/g, '') === 'charset=utf-8') &&
      type !== 'application/octet-stream')
  )
    return text();
  return bytes
    .then((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
    .catch(() => new ArrayBuffer(0));
}

async function readAll(body: ReadableStream<Uint8Array> | null): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  const reader = body.getReader();
  for (let step = await reader.read(); !step.done; step = await reader.read()) chunks.push(step.value);
  return Buffer.concat(chunks);
}

/** A JSON response whose body did not parse (Octokit then hands the raw text on as `data`). */
class MalformedResponse extends Error {
  constructor(readonly status: number) {
    super('malformed JSON response');
  }
}

interface RequestErrorLike {
  name: string;
  status: number;
  message: string;
  request?: { method?: string; url?: string };
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

function isRequestError(err: unknown): err is RequestErrorLike {
  return (
    err instanceof Error &&
    err.name === 'HttpError' &&
    typeof (err as { status?: unknown }).status === 'number'
  );
}

/** `GET /orgs/{org}/installations` → method + path for messages. */
function split(route: string): { method: string; path: string } {
  const [method, path] = route.includes(' ') ? route.split(' ', 2) : ['GET', route];
  return { method: method!, path: path! };
}

/** Turn what Octokit threw into an ApiError that names the API call, its status and the missing permission. */
export function toApiError(err: unknown, route: string, api = 'GitHub REST'): ApiError {
  const { method, path } = split(route);
  if (err instanceof RateBudgetExhausted) {
    return new RateBudgetExhausted(
      err.api,
      err.status,
      err.message.replace(/^.*?: /, ''),
      { method, path },
      { cause: err },
    );
  }
  if (err instanceof ApiError) return err;
  // The token request itself failed (bad key, wrong app id, unreachable): say so rather than blame
  // the list call.
  const url = isRequestError(err) ? (err.request?.url ?? '') : '';
  const authPath = AUTH_ROUTE.exec(new URL(url, 'http://x').pathname)?.[0];
  const where = authPath
    ? {
        method: (isRequestError(err) && err.request?.method) || 'POST',
        path: authPath
          .replace(/^\/app\/installations\/[^/]+/, '/app/installations/{installation_id}')
          .replace(/^\/orgs\/[^/]+\/installation$/, '/orgs/{org}/installation'),
      }
    : { method, path };
  const transport = unreachableIn(err);
  if (transport) return transport.during(api, where.method, where.path);
  if (isRequestError(err)) {
    const headers = err.response?.headers ?? {};
    const data = err.response?.data as { message?: string } | string | undefined;
    const serverMessage = typeof data === 'object' && data?.message ? data.message : err.message;
    const requiredPermission = headers['x-accepted-github-permissions']?.toString() || undefined;
    let message = serverMessage;
    if (requiredPermission) message += ` (the GitHub App needs ${requiredPermission.replace(/=/g, ': ')})`;
    if ((err.status === 403 || err.status === 429) && headers['x-ratelimit-remaining'] === '0') {
      message = `rate limit exhausted (resets at ${new Date(Number(headers['x-ratelimit-reset']) * 1000).toISOString()}): ${serverMessage}`;
    }
    return new ApiError(
      api,
      err.status,
      message,
      { ...where, ...(requiredPermission ? { requiredPermission } : {}) },
      { cause: err },
    );
  }
  if (err instanceof MalformedResponse) {
    return new ApiError(
      api,
      err.status,
      'the response body is not valid JSON',
      { method, path },
      { cause: err },
    );
  }
  if (err instanceof Error && err.name === 'GraphqlResponseError') {
    return new ApiError('GitHub GraphQL', null, err.message, { method, path }, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(api, null, message, { method, path }, { cause: err });
}

/**
 * The failure behind `err` when it means GitHub cannot be reached at all (refused, TLS, DNS; after
 * retries): nothing else will reach it either. Null for anything else, a page that stalls or a
 * connection cut mid-answer included: those fail their request only.
 */
export function githubUnreachable(err: unknown): EndpointUnreachableError | null {
  const transport = unreachableIn(err);
  return transport && isEndpointWide(transport.failure) ? transport : null;
}

/** The scan's interrupt reason as the `AbortError` fetch and Octokit recognise. */
function abortError(reason: unknown): DOMException {
  const message =
    reason instanceof Error ? reason.message : reason ? String(reason) : 'the scan was interrupted';
  return new DOMException(message, 'AbortError');
}

export async function createGithubClient(config: GithubConfig, ctx: ConnectorContext): Promise<GithubClient> {
  const maxWaitMs = config.rateLimit.maxWaitSeconds * 1000;
  const budget = new RateBudget({
    reserve: config.rateLimit.reserve,
    maxWaitMs,
    windowMs: 3_600_000 / config.rateLimit.timeScale,
    now: () => ctx.clock.now(),
    sleep: (ms) => ctx.clock.sleep(ms, ctx.signal),
  });
  const secondary = new SecondaryPacer({
    restPointsPerMinute: config.rateLimit.secondaryRestPointsPerMinute,
    graphqlPointsPerMinute: config.rateLimit.secondaryGraphqlPointsPerMinute,
    minuteMs: 60_000 / config.rateLimit.timeScale,
    now: () => ctx.clock.now().getTime(),
    sleep: (ms) => ctx.clock.sleep(ms, ctx.signal),
  });
  const retryPolicy = ctx.http.retry;
  /**
   * The controllers of the requests under way, aborted from one listener on the scan's signal, with an
   * `AbortError`: Octokit passes that through as is, where any other rejection becomes an HTTP 500
   * that plugin-retry would retry (and report as a server error). A listener per request on the
   * scan's signal would number the requests in flight and queued (Node warns past 10).
   */
  const inFlight = new Set<AbortController>();
  if (!ctx.signal.aborted)
    ctx.signal.addEventListener(
      'abort',
      () => {
        for (const controller of inFlight) controller.abort(abortError(ctx.signal.reason));
      },
      { once: true },
    );
  const log = {
    debug: (msg: string) => ctx.logger.debug(msg),
    info: (msg: string) => ctx.logger.debug(msg),
    warn: (msg: string) => ctx.logger.warn(msg),
    // plugin-request-log reports every 4xx as an error; collectors report failures through coverage.
    error: (msg: string) => ctx.logger.debug(msg),
  };

  const build = (
    auth: Record<string, unknown> | string,
    strategy?: typeof createAppAuth,
    fetch: typeof globalThis.fetch = ctx.http.fetch,
  ): ScannerOctokit => {
    instances += 1;
    const octokit = new ScannerOctokit({
      baseUrl: config.baseUrl,
      userAgent: `${ctx.http.userAgent} (github connector)`,
      ...(strategy ? { authStrategy: strategy } : {}),
      auth,
      log,
      request: { fetch },
      throttle: {
        // Bottleneck groups are module-global: a distinct id keeps concurrent scans apart.
        id: `grantscope-github-${process.pid}-${instances}`,
        // Waits happen in the handlers (through ctx.clock), so the plugin adds none of its own.
        retryAfterBaseValue: 0,
        // The plugin sends every GraphQL POST through its `write` group, one at a time and 1 s apart
        // (its pacing of "content-generating" writes). A GraphQL query is a read, and GitHub limits it
        // by points per minute (2,000 secondary, the hourly primary budget), which the secondary pacer
        // and the rate budget below keep: the group is replaced by one that does not pace.
        write: UNPACED_GROUP,
        // Its `global` group runs at most 10 requests at once, queueing the rest: concurrency is this
        // scanner's own (the context's request limit for fan-outs, a few pages ahead per list,
        // pages-ahead.ts), well under GitHub's documented 100 concurrent requests.
        // (`global` is read by the plugin like `write`, though its options type does not name it.)
        ...({ global: UNPACED_GROUP } as Record<string, unknown>),
        onSecondaryRateLimit: async (
          retryAfter: number,
          options: { method: string; url: string },
          _o: unknown,
          retryCount: number,
        ) => {
          const ms = retryAfter * 1000;
          if (retryCount >= retryPolicy.maxRetries || ms > maxWaitMs) return false;
          ctx.logger.warn('GitHub secondary rate limit; waiting', {
            seconds: retryAfter,
            route: `${options.method} ${options.url}`,
          });
          await ctx.clock.sleep(ms, ctx.signal);
          return true;
        },
        onRateLimit: async (
          retryAfter: number,
          options: { method: string; url: string },
          _o: unknown,
          retryCount: number,
        ) => {
          const ms = retryAfter * 1000;
          if (retryCount >= 1 || ms > maxWaitMs) return false;
          ctx.logger.warn('GitHub rate limit reached; waiting for the reset', {
            seconds: retryAfter,
            route: `${options.method} ${options.url}`,
          });
          await ctx.clock.sleep(ms, ctx.signal);
          return true;
        },
      },
      retry: {
        retries: retryPolicy.maxRetries,
        retryAfterBaseValue: retryPolicy.baseDelayMs,
        doNotRetry: DO_NOT_RETRY,
      },
    });
    octokit.hook.before('request', (options) => {
      options.headers['x-github-api-version'] = GITHUB_API_VERSION;
    });
    // Outermost hook: the rate budget, and Retry-After on a plain 429 (neither plugin honours it).
    octokit.hook.wrap('request', async (request, options) => {
      const url = new URL(String(options.url).replace(/\{[^}]+\}/g, 'x'), 'http://github.invalid');
      const isAuth = AUTH_ROUTE.test(url.pathname);
      const resource: RateResource = /\/graphql$/.test(url.pathname) ? 'graphql' : 'core';
      const endpoint = `${options.method} ${endpointOf(url.pathname)}`;
      const points = SecondaryPacer.points(options.method, resource === 'graphql');
      const attempts = async () => {
        for (let attempt = 0; ; attempt++) {
          try {
            // The secondary limit's points stay held until a minute after the answer (rate-budget.ts).
            const answered = isAuth
              ? undefined
              : await secondary.take(endpoint, points, resource === 'graphql');
            let response: Awaited<ReturnType<typeof request>>;
            try {
              response = await request(options);
              // Octokit handed the body over unread (`parseSuccessResponseBody: false`, set below).
              if (readsBody && response.data instanceof ReadableStream)
                response.data = await successBody(response.data, response.headers['content-type']);
            } finally {
              answered?.();
            }
            budget.observe(response.headers as Record<string, string>);
            if (typeof response.data === 'string' && /json/.test(String(response.headers['content-type']))) {
              throw new MalformedResponse(response.status);
            }
            return response;
          } catch (err) {
            // A body cut off or garbled on the way (a connection reset mid-body) is worth another try;
            // one that stays malformed fails the collector once the retries are spent.
            if (err instanceof MalformedResponse && attempt < retryPolicy.maxRetries) {
              ctx.logger.debug('GitHub answer was not valid JSON; retrying', { attempt });
              await ctx.clock.sleep(
                Math.min(retryPolicy.baseDelayMs * 2 ** attempt, retryPolicy.maxDelayMs),
                ctx.signal,
              );
              continue;
            }
            if (!isRequestError(err)) throw err;
            const headers = err.response?.headers;
            budget.observe(headers);
            const retryAfter = Number(headers?.['retry-after']);
            const backoff = Math.min(retryPolicy.baseDelayMs * 2 ** attempt, retryPolicy.maxDelayMs);
            // No HTTP answer (Octokit reports it as a 500): retried unless retrying cannot help.
            const transport = unreachableIn(err);
            if (transport) {
              if (transport.failure.permanent || attempt >= retryPolicy.maxRetries) throw err;
              ctx.logger.debug('GitHub unreachable; retrying', { cause: transport.failure.cause, attempt });
              await ctx.clock.sleep(backoff, ctx.signal);
              continue;
            }
            if (RETRIED_STATUS.has(err.status) && err.response) {
              if (attempt >= retryPolicy.maxRetries) throw err;
              const ms = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : backoff;
              if (ms > Math.max(maxWaitMs, retryPolicy.maxDelayMs)) throw err;
              ctx.logger.debug('GitHub server error; retrying', { status: err.status, afterMs: ms, attempt });
              await ctx.clock.sleep(ms, ctx.signal);
              continue;
            }
            const plain429 =
              err.status === 429 &&
              headers?.['x-ratelimit-remaining'] !== '0' &&
              !/secondary rate/i.test(err.message);
            if (!plain429 || attempt >= retryPolicy.maxRetries) throw err;
            const ms = Number.isFinite(retryAfter)
              ? retryAfter * 1000
              : retryPolicy.baseDelayMs * 2 ** attempt;
            if (ms > Math.max(maxWaitMs, retryPolicy.maxDelayMs)) throw err;
            ctx.logger.warn('GitHub answered 429; retrying', {
              afterMs: ms,
              route: `${options.method} ${options.url}`,
            });
            await ctx.clock.sleep(ms, ctx.signal);
          }
        }
      };
      if (!isAuth) await budget.take(resource, { method: options.method, path: String(options.url) });
      // A signal per request, tied to the scan's: fetch leaves its abort listener on the signal it is
      // given until that signal is collected, so thousands of requests must not share one. The scan's
      // signal reaches it through `inFlight` (one listener for them all, not one per open request).
      const abort = new AbortController();
      if (ctx.signal.aborted) abort.abort(abortError(ctx.signal.reason));
      else inFlight.add(abort);
      // Retries are this loop's (through ctx.clock, and none where retrying cannot help): plugin-retry
      // would retry every "500", a refused connection or an untrusted certificate included.
      // The request is counted for the collector that made it (coverage), which is known here, in
      // the caller's async context: below this hook the plugins' Bottleneck queues start requests
      // from other requests' callbacks, in those requests' contexts, so the fetch re-enters it.
      const collector = activeCollector();
      const send: typeof globalThis.fetch = collector
        ? (input, init) => attributeTo(collector, () => fetch(input, init))
        : fetch;
      // The body of a success is read here (successBody), unless the caller asked for it unread.
      const readsBody = options.request?.parseSuccessResponseBody !== false;
      options.request = {
        ...options.request,
        fetch: send,
        signal: abort.signal,
        retries: 0,
        parseSuccessResponseBody: false,
      };
      try {
        return await attempts();
      } finally {
        inFlight.delete(abort);
      }
    });
    return octokit;
  };

  let octokit: ScannerOctokit;
  if (config.app) {
    const privateKey = await readPrivateKey(config.app, ctx);
    const appId = config.app.id;
    let installationId = config.app.installationId;
    if (installationId == null) {
      // The app's JWT finds its installation on the org.
      const appOctokit = build({ appId, privateKey }, createAppAuth);
      try {
        const res = await appOctokit.request('GET /orgs/{org}/installation', { org: config.org });
        installationId = OrgInstallation.parse(res.data).id;
      } catch (err) {
        throw toApiError(err, 'GET /orgs/{org}/installation');
      }
    }
    const renewal = new InstallationTokenRenewal(() => octokit, ctx);
    octokit = build({ appId, privateKey, installationId }, createAppAuth, renewal.fetch);
    // The installation token first, once: a wrong key, an unreachable host or a failing token
    // endpoint stops the tenant here with one message, instead of every collector asking again.
    try {
      await octokit.auth({ type: 'installation' });
    } catch (err) {
      throw toApiError(err, 'POST /app/installations/{installation_id}/access_tokens');
    }
  } else {
    octokit = build(readToken(config));
  }
  const malformed = (route: string, api: string, error: z.ZodError) => {
    const issue = error.issues[0];
    const at = issue?.path.length ? issue.path.join('.') : '(root)';
    return new ApiError(
      api,
      200,
      `unexpected response shape at ${at}: ${issue?.message ?? 'invalid'}`,
      split(route),
    );
  };

  return {
    octokit,
    budget,
    auth: config.app ? 'app' : 'token',
    async *list<T>(
      route: string,
      params: Record<string, unknown>,
      item: z.ZodType<T>,
      options: ListOptions = {},
    ) {
      const page = (item as z.ZodType<T>).array();
      const seen = new Set<string>();
      let pages = 0;
      /** Each page once: a `Link` (or a page number) that leads back to a page already read is refused. */
      const notAdvancing = (what: string) =>
        new ApiError(
          'GitHub REST',
          200,
          `paging did not advance: ${what}, after ${pages} page(s); stopped instead of looping`,
          split(route),
        );
      const checkAdvanced = (url: string) => {
        const key = pageKey(url);
        if (seen.has(key)) throw notAdvancing(`the next page (${key}) is one already read`);
        seen.add(key);
        pages += 1;
      };
      const parse = (data: unknown) => {
        const parsed = page.safeParse(data);
        if (!parsed.success) throw malformed(route, 'GitHub REST', parsed.error);
        return parsed.data;
      };
      try {
        let last: { items: number; link: boolean } = { items: 0, link: true };
        let previous = '';
        type Page = { url: string; data: unknown; headers: { link?: string | undefined } };
        const read = (res: Page) => {
          checkAdvanced(res.url);
          const items = parse(res.data);
          last = { items: items.length, link: Boolean(res.headers.link) };
          if (options.pagesWithoutLink) previous = JSON.stringify(items);
          return items;
        };
        const pagesIn = octokit.paginate.iterator(route, { per_page: PER_PAGE, ...params });
        const pager = pagesIn[Symbol.asyncIterator]();
        const first = await pager.next();
        const ahead = first.done ? null : laterPages(first.value.url, first.value.headers.link);
        if (first.done) {
          // An empty iterator: nothing was read.
        } else if (ahead) {
          // Every page's URL is known: read them a few at a time (pages-ahead.ts). The paginator
          // normalises each page as it does when it follows `next` (a `{ total_count, items }` body).
          await pager.return?.();
          const firstItems = read(first.value);
          const later = readInOrder(ahead, PAGES_AHEAD, async (url) => {
            const one = octokit.paginate.iterator(`GET ${url}`)[Symbol.asyncIterator]();
            const step = await one.next();
            await one.return?.();
            if (step.done) throw notAdvancing(`no answer for ${url}`);
            return step.value as Page;
          });
          const firstLater = later.next();
          yield* firstItems;
          for (let step = await firstLater; !step.done; step = await later.next()) yield* read(step.value);
        } else {
          yield* read(first.value);
          for (let step = await pager.next(); !step.done; step = await pager.next()) yield* read(step.value);
        }
        // No Link on a full page: the operation may still have more (see ListOptions).
        if (options.pagesWithoutLink && !last.link && last.items >= PER_PAGE) {
          for (let n = pages + 1; ; n++) {
            const res = await octokit.request(route, { per_page: PER_PAGE, ...params, page: n });
            checkAdvanced(res.url);
            const items = parse(res.data);
            // A server that ignores `page` answers the same page again: stop rather than loop.
            const fingerprint = JSON.stringify(items);
            if (items.length > 0 && fingerprint === previous)
              throw notAdvancing(`page ${n} repeats page ${n - 1}`);
            previous = fingerprint;
            yield* items;
            if (items.length < PER_PAGE) break;
          }
        }
      } catch (err) {
        throw toApiError(err, route);
      }
    },
    async get<T>(route: string, params: Record<string, unknown>, schema: z.ZodType<T>) {
      try {
        const res = await octokit.request(route, params);
        const parsed = schema.safeParse(res.data);
        if (!parsed.success) throw malformed(route, 'GitHub REST', parsed.error);
        return parsed.data;
      } catch (err) {
        throw toApiError(err, route);
      }
    },
    async graphql<T>(query: string, variables: Record<string, unknown>, schema: z.ZodType<T>) {
      const route = 'POST /graphql';
      let data: unknown;
      let errors: GraphqlIssue[] = [];
      try {
        data = await octokit.graphql(query, variables);
      } catch (err) {
        if (err instanceof Error && err.name === 'GraphqlResponseError') {
          const e = err as Error & { data?: unknown; errors?: GraphqlIssue[] };
          if (e.errors?.some((x) => x.type === 'RATE_LIMITED')) {
            throw new ApiError('GitHub GraphQL', null, `rate limit exhausted: ${e.message}`, split(route), {
              cause: err,
            });
          }
          data = e.data;
          errors = e.errors ?? [];
          if (data == null) throw toApiError(err, route, 'GitHub GraphQL');
        } else {
          throw toApiError(err, route, 'GitHub GraphQL');
        }
      }
      const parsed = schema.safeParse(data);
      if (!parsed.success) throw malformed(route, 'GitHub GraphQL', parsed.error);
      return { data: parsed.data, errors };
    },
  };
}
