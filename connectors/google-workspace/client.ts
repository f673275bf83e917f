import { admin, type admin_directory_v1, type admin_reports_v1, type GlobalOptions } from '@googleapis/admin';
import { cloudresourcemanager, type cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager';
import { iam, type iam_v1 } from '@googleapis/iam';
import type { gaxios, JWT } from 'google-auth-library';
import type { z } from 'zod';
import type { ConnectorContext } from '../../src/connector/context.js';
import { unreachableIn } from '../../src/connector/http.js';
import { ApiError, describeError } from '../../src/errors.js';
import {
  createTransport,
  GOOGLE_TOKEN_URL,
  googleReason,
  jwtClient,
  readServiceAccountKey,
  SCOPES,
} from './auth.js';
import type { GoogleWorkspaceConfig } from './config.js';
import { QuotaPacer } from './pacer.js';

/** One API call, described for error messages and coverage (`GET /admin/directory/v1/users`). */
export interface CallSpec {
  api: string;
  method: 'GET' | 'POST';
  path: string;
  requiredPermission: string;
}

/**
 * The Google API clients a scan uses, each with its own token (scopes per collector group) over the same
 * transport: ctx.http's fetch (configured CA, per-collector request counting), timeouts, retries. The
 * Directory clients are paced to the impersonated admin's quota.
 */
export interface GoogleApis {
  readonly usersDirectory: admin_directory_v1.Admin;
  readonly tokensDirectory: admin_directory_v1.Admin;
  readonly reports: admin_reports_v1.Admin;
  readonly resourceManager: cloudresourcemanager_v3.Cloudresourcemanager;
  readonly iam: iam_v1.Iam;
  readonly directoryPacer: QuotaPacer;
  readonly reportsPacer: QuotaPacer | null;
  /** The scanner's own OAuth client id (from the key file), to recognise its own delegation. */
  readonly scannerClientId: string | null;
  readonly tokenUrl: string;
  /** The users.list client's credentials: the first token a scan asks for (`firstDirectoryToken`). */
  readonly usersAuth: JWT;
}

export function createGoogleApis(config: GoogleWorkspaceConfig, ctx: ConnectorContext): GoogleApis {
  const key = readServiceAccountKey(config, ctx.configDir);
  const transport = createTransport(config, key, ctx);
  // rootUrl must go to each API factory: google.options({rootUrl}) is ignored, and a path prefix is dropped.
  // The cast: googleapis-common types its options with its own pinned gaxios (7.1.3) while the requests run
  // on google-auth-library's transporter (gaxios 7.3.x); the shapes are the same, the class brands differ.
  const common = {
    ...transport.gaxios,
    ...(config.apiRoot ? { rootUrl: config.apiRoot } : {}),
  } as unknown as GlobalOptions;
  /**
   * gaxios' adapter hook wraps every attempt, retries included: each is paced, and a 401 (the access
   * token expired or was revoked before its time) renews that client's token once and sends the request
   * again. google-auth-library refreshes on a 401 only without an expiry date or with
   * forceRefreshOnFailure, which would also refresh on every 403 and for each request of a burst.
   */
  const attempts = (pacer: QuotaPacer | null, auth: JWT): Pick<GlobalOptions, 'adapter'> => {
    const renewal = new TokenRenewal(auth, ctx);
    const adapter: gaxios.GaxiosOptions['adapter'] = async (options, next) => {
      await pacer?.take();
      const seen = renewal.generation;
      const res = await next(options);
      if (res.status !== 401) return res;
      const token = await renewal.renew(seen);
      (options.headers as Headers).set('authorization', `Bearer ${token}`);
      await pacer?.take();
      return next(options);
    };
    return { adapter } as unknown as Pick<GlobalOptions, 'adapter'>;
  };
  const client = <T>(auth: JWT, pacer: QuotaPacer | null, make: (o: GlobalOptions) => T): T =>
    make({ auth, ...common, ...attempts(pacer, auth) } as GlobalOptions);
  // Directory calls of every collector share the impersonated admin's one quota (Directory API limits:
  // "per user per Google Cloud project"), so one pacer serves the whole fan-out.
  const minuteMs = 60_000 / config.quotaTimeScale;
  const directoryPacer = new QuotaPacer(config.directoryQuotaPerMinute, ctx.clock, ctx.signal, minuteMs);
  const reportsPacer = config.reportsQuotaPerMinute
    ? new QuotaPacer(config.reportsQuotaPerMinute, ctx.clock, ctx.signal, minuteMs)
    : null;
  const delegated = (scope: string) => jwtClient(key, transport, [scope], config.subject);
  const usersAuth = delegated(SCOPES.users);
  return {
    usersAuth,
    usersDirectory: client(usersAuth, directoryPacer, (o) => admin({ version: 'directory_v1', ...o })),
    tokensDirectory: client(delegated(SCOPES.tokens), directoryPacer, (o) =>
      admin({ version: 'directory_v1', ...o }),
    ),
    reports: client(delegated(SCOPES.audit), reportsPacer, (o) => admin({ version: 'reports_v1', ...o })),
    resourceManager: client(jwtClient(key, transport, [SCOPES.cloudRead]), null, (o) =>
      cloudresourcemanager({ version: 'v3', ...o }),
    ),
    iam: client(jwtClient(key, transport, [SCOPES.iam]), null, (o) => iam({ version: 'v1', ...o })),
    directoryPacer,
    reportsPacer,
    scannerClientId: key.client_id ?? null,
    tokenUrl: transport.tokenUrl,
  };
}

/**
 * Get the users.list token before any collector runs: a token endpoint that cannot be reached (refused,
 * untrusted certificate, DNS) is then met once, with one request, rather than by every collector at once,
 * and thrown (the whole scan of the tenant fails with it). Any other failure (the scope not delegated, the
 * key refused) is the users collector's alone: returned for it to report, so that the token is not asked
 * for twice. A token that was issued is kept for the first call.
 */
export async function firstDirectoryToken(apis: GoogleApis): Promise<{ refused: unknown } | null> {
  try {
    await apis.usersAuth.getAccessToken();
    return null;
  } catch (err) {
    const transport = unreachableIn(err);
    if (transport)
      throw transport.during('Google OAuth token endpoint', 'POST', new URL(apis.tokenUrl).pathname);
    return { refused: err };
  }
}

/** One client's access token, renewed at most once per burst of 401s. */
class TokenRenewal {
  generation = 0;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly auth: JWT,
    private readonly ctx: ConnectorContext,
  ) {}

  /** A new token, unless a renewal happened since `seen` (then the current one). */
  async renew(seen: number): Promise<string> {
    if (seen !== this.generation) return this.pending ?? this.current();
    this.generation += 1;
    this.ctx.logger.info('google: access token refused (401); renewing it once');
    // An expiry in the past makes the library fetch a new token (getAccessToken refreshes an expiring one).
    this.auth.setCredentials({ ...this.auth.credentials, expiry_date: 1 });
    this.pending = this.current();
    return this.pending;
  }

  private async current(): Promise<string> {
    const { token } = await this.auth.getAccessToken();
    if (!token) throw new Error('no access token after renewal');
    return token;
  }
}

/** Run one SDK call, turning failures into ApiError and the body into the schema's type. */
export async function callGoogle<S extends z.ZodType>(
  apis: Pick<GoogleApis, 'tokenUrl'>,
  spec: CallSpec,
  schema: S,
  fn: () => Promise<{ data: unknown; status?: number }>,
): Promise<z.infer<S>> {
  let res: { data: unknown; status?: number };
  try {
    res = await fn();
  } catch (err) {
    throw toApiError(err, spec, apis.tokenUrl);
  }
  const parsed = schema.safeParse(res.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const what =
      typeof res.data === 'string'
        ? 'body is not JSON'
        : `${issue?.path.join('.') || 'body'}: ${issue?.message}`;
    throw new ApiError(spec.api, res.status ?? null, `malformed response (${what})`, {
      method: spec.method,
      path: spec.path,
      requiredPermission: spec.requiredPermission,
    });
  }
  return parsed.data;
}

export function isGaxiosError(err: unknown): err is gaxios.GaxiosError {
  return err instanceof Error && 'config' in err && typeof (err as { config?: unknown }).config === 'object';
}

export function toApiError(err: unknown, spec: CallSpec, tokenUrl: string): ApiError {
  if (err instanceof ApiError) return err;
  const transport = unreachableIn(err);
  if (transport) {
    const url = isGaxiosError(err) ? String(err.config?.url ?? '') : '';
    return url.split('?')[0] === tokenUrl || url === GOOGLE_TOKEN_URL
      ? transport.during('Google OAuth token endpoint', 'POST', new URL(url).pathname)
      : transport.during(spec.api, spec.method, spec.path);
  }
  if (!isGaxiosError(err)) {
    return new ApiError(
      spec.api,
      null,
      describeError(err),
      { method: spec.method, path: spec.path },
      { cause: err },
    );
  }
  const status = err.response?.status ?? null;
  const url = String(err.config?.url ?? '');
  if (url.split('?')[0] === tokenUrl || url === GOOGLE_TOKEN_URL) {
    // gtoken puts `error: error_description` from the token endpoint into the message.
    return new ApiError(
      'Google OAuth token endpoint',
      status,
      `${err.message} (needed for ${spec.method} ${spec.path})`,
      { method: 'POST', path: new URL(url).pathname, requiredPermission: spec.requiredPermission },
      { cause: err },
    );
  }
  const body = err.response?.data as { error?: { message?: string } } | undefined;
  const message = (body && typeof body === 'object' && body.error?.message) || err.message;
  const reason = googleReason(err);
  return new ApiError(
    spec.api,
    status,
    `${message}${reason && !message.includes(reason) ? ` [${reason}]` : ''}`,
    { method: spec.method, path: spec.path, requiredPermission: spec.requiredPermission },
    { cause: err },
  );
}

/** Follow `nextPageToken` until the last page; a token seen twice is a server bug, not a reason to loop. */
export async function eachPage<P extends { nextPageToken?: string }>(
  spec: CallSpec,
  fetchPage: (pageToken: string | undefined) => Promise<P>,
  /** Returning `false` stops after this page (the caller has read enough). */
  onPage: (page: P) => undefined | boolean,
): Promise<number> {
  const seen = new Set<string>();
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await fetchPage(token);
    pages += 1;
    const more = onPage(page);
    token = page.nextPageToken || undefined;
    if (more === false) break;
    if (token && seen.has(token)) {
      throw new ApiError(spec.api, 200, `paging did not advance (page token repeated after ${pages} pages)`, {
        method: spec.method,
        path: spec.path,
      });
    }
    if (token) seen.add(token);
  } while (token);
  return pages;
}
