import { admin, type admin_directory_v1, type admin_reports_v1, type GlobalOptions } from '@googleapis/admin';
import { cloudresourcemanager, type cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager';
import { iam, type iam_v1 } from '@googleapis/iam';
import type { gaxios } from 'google-auth-library';
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
  const paced = (pacer: QuotaPacer | null): Pick<GlobalOptions, 'adapter'> => {
    if (!pacer) return {};
    // gaxios' adapter hook wraps every attempt, retries included, so they are paced too.
    const adapter: gaxios.GaxiosOptions['adapter'] = async (options, next) => {
      await pacer.take();
      return next(options);
    };
    return { adapter } as unknown as Pick<GlobalOptions, 'adapter'>;
  };
  const directoryPacer = new QuotaPacer(config.directoryQuotaPerMinute, ctx.clock, ctx.signal);
  const reportsPacer = config.reportsQuotaPerMinute
    ? new QuotaPacer(config.reportsQuotaPerMinute, ctx.clock, ctx.signal)
    : null;
  const delegated = (scope: string) => jwtClient(key, transport, [scope], config.subject);
  return {
    usersDirectory: admin({
      version: 'directory_v1',
      auth: delegated(SCOPES.users),
      ...common,
      ...paced(directoryPacer),
    }),
    tokensDirectory: admin({
      version: 'directory_v1',
      auth: delegated(SCOPES.tokens),
      ...common,
      ...paced(directoryPacer),
    }),
    reports: admin({
      version: 'reports_v1',
      auth: delegated(SCOPES.audit),
      ...common,
      ...paced(reportsPacer),
    }),
    resourceManager: cloudresourcemanager({
      version: 'v3',
      auth: jwtClient(key, transport, [SCOPES.cloudRead]),
      ...common,
    }),
    iam: iam({ version: 'v1', auth: jwtClient(key, transport, [SCOPES.iam]), ...common }),
    directoryPacer,
    reportsPacer,
    scannerClientId: key.client_id ?? null,
    tokenUrl: transport.tokenUrl,
  };
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

function isGaxiosError(err: unknown): err is gaxios.GaxiosError {
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
