import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type gaxios, JWT } from 'google-auth-library';
import { z } from 'zod';
import type { ConnectorContext } from '../../src/connector/context.js';
import { unreachableIn } from '../../src/connector/http.js';
import { ConfigError, CredentialSourceError } from '../../src/errors.js';
import type { GoogleWorkspaceConfig } from './config.js';

// gaxios types as google-auth-library (CommonJS) sees them; the ESM copy's types do not match.
type GaxiosOptions = gaxios.GaxiosOptions;
type GaxiosError = gaxios.GaxiosError;
type RetryConfig = gaxios.RetryConfig;

/** The token URL google-auth-library (gtoken) sends every JWT-bearer grant to, whatever the key file says. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

const SCOPE = 'https://www.googleapis.com/auth/';
/**
 * Scopes, one token per collector group so that a scope missing from the delegation fails only the
 * collectors that need it; each the narrowest the method's reference page lists. All are read-only except
 * `admin.directory.user.security`, the only scope `tokens.list` accepts (it would also allow revoking
 * tokens; grantscope never calls tokens.delete), and `iam`, the narrowest scope IAM v1 lists for
 * `serviceAccounts.list` and `serviceAccounts.keys.list` (`iam` or `cloud-platform`; IAM has no read-only
 * scope). What the GCP tokens can do is bounded by the service account's IAM roles.
 */
export const SCOPES = {
  users: `${SCOPE}admin.directory.user.readonly`,
  tokens: `${SCOPE}admin.directory.user.security`,
  audit: `${SCOPE}admin.reports.audit.readonly`,
  cloudRead: `${SCOPE}cloud-platform.read-only`,
  iam: `${SCOPE}iam`,
} as const;
export type ScopeName = keyof typeof SCOPES;

const ServiceAccountKey = z.looseObject({
  type: z.literal('service_account', { message: "expected type 'service_account'" }),
  client_email: z.email(),
  private_key: z.string().includes('PRIVATE KEY', { message: 'not a PEM private key' }),
  private_key_id: z.string().optional(),
  client_id: z.string().optional(),
  // The JWT assertion is posted there: https only, like the config's tokenUri.
  token_uri: z
    .url({
      protocol: /^https$/,
      message: 'must be an https:// URL (the signed JWT assertion is only sent over HTTPS)',
    })
    .optional(),
  project_id: z.string().optional(),
});
export type ServiceAccountKey = z.infer<typeof ServiceAccountKey>;

/** Read and check the key file. Errors name the file and the problem, never the key. */
export function readServiceAccountKey(config: GoogleWorkspaceConfig, configDir: string): ServiceAccountKey {
  const file = isAbsolute(config.keyFile) ? config.keyFile : resolve(configDir, config.keyFile);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CredentialSourceError(
      `google-workspace.keyFile: cannot read ${file} (${code === 'ENOENT' ? 'file not found' : code})`,
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CredentialSourceError(
      `google-workspace.keyFile: ${file} is not JSON (expected a service-account key file)`,
    );
  }
  const parsed = ServiceAccountKey.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), line: null, message: i.message })),
    );
  }
  return parsed.data;
}

/** Transport options shared by token requests and API calls: TLS/CA and request counting come from ctx.http. */
export interface GoogleTransport {
  /** gaxios options for every request: ctx.http's fetch (trusts the configured CA, counts requests), timeout, retries. */
  readonly gaxios: GaxiosOptions;
  /** Where token requests go (the key file's token_uri, or the config's tokenUri). */
  readonly tokenUrl: string;
}

const RATE_LIMIT_REASONS = new Set([
  'userRateLimitExceeded',
  'rateLimitExceeded',
  'quotaExceeded',
  'RATE_LIMIT_EXCEEDED',
]);

/** The Google `reason` of an error response, if any (legacy `errors[0].reason` or ErrorInfo). */
export function googleReason(err: GaxiosError): string | undefined {
  const body = err.response?.data as
    | {
        error?: {
          errors?: Array<{ reason?: string }>;
          details?: Array<{ reason?: string }>;
          status?: string;
        };
      }
    | undefined;
  if (!body || typeof body !== 'object' || !body.error || typeof body.error !== 'object') return undefined;
  return body.error.errors?.[0]?.reason ?? body.error.details?.[0]?.reason ?? body.error.status;
}

function retryAfterMs(err: GaxiosError): number | undefined {
  const h = err.response?.headers?.get?.('retry-after');
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return s * 1000;
  const t = Date.parse(h);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

/**
 * gaxios retry settings from the engine's retry policy: 429, 5xx, 408 and connection errors, plus the 403s
 * Google uses for rate limits (`userRateLimitExceeded`, `quotaExceeded`), with exponential back-off that
 * honours Retry-After. Waiting goes through ctx.clock, so it respects cancellation and tests do not sleep.
 */
export function retryConfig(ctx: ConnectorContext): RetryConfig {
  const policy = ctx.http.retry;
  return {
    retry: policy.maxRetries,
    noResponseRetries: policy.maxRetries,
    // The token POST and getIamPolicy (a read despite being a POST) are safe to repeat.
    httpMethodsToRetry: ['GET', 'POST'],
    shouldRetry: (err) => {
      const attempt = err.config?.retryConfig?.currentRetryAttempt ?? 0;
      if (attempt >= policy.maxRetries || ctx.signal.aborted) return false;
      const status = err.response?.status;
      // No HTTP answer: retried, unless retrying cannot help (an untrusted certificate, no HTTPS).
      if (status === undefined) return err.code !== 'AbortError' && !unreachableIn(err)?.failure.permanent;
      if (status === 408 || status === 429 || status >= 500) return true;
      return status === 403 && RATE_LIMIT_REASONS.has(googleReason(err) ?? '');
    },
    retryBackoff: async (err) => {
      const attempt = Math.max(1, err.config?.retryConfig?.currentRetryAttempt ?? 1);
      const wait = Math.min(policy.maxDelayMs, retryAfterMs(err) ?? policy.baseDelayMs * 2 ** (attempt - 1));
      ctx.logger.debug('google: retrying', {
        status: err.response?.status ?? err.code,
        attempt,
        waitMs: wait,
      });
      await ctx.clock.sleep(wait, ctx.signal);
    },
  };
}

export function createTransport(
  config: GoogleWorkspaceConfig,
  key: ServiceAccountKey,
  ctx: ConnectorContext,
): GoogleTransport {
  return {
    tokenUrl: config.tokenUri ?? key.token_uri ?? GOOGLE_TOKEN_URL,
    gaxios: {
      fetchImplementation: ctx.http.fetch,
      timeout: ctx.http.timeoutMs,
      signal: ctx.signal,
      retryConfig: retryConfig(ctx),
    },
  };
}

/**
 * A JWT client for one set of scopes. With `subject` it uses domain-wide delegation (impersonates that admin);
 * without, it acts as the service account itself (GCP APIs).
 *
 * Token endpoint hook: google-auth-library (gtoken) posts the JWT-bearer grant to the hard-coded
 * https://oauth2.googleapis.com/token and ignores the key file's `token_uri`. We register a request
 * interceptor on the JWT client's own gaxios transporter — a supported extension point
 * (`AuthClient.transporter.interceptors`) — that sends that one URL to the configured token URI instead.
 * Nothing inside the library is patched; the assertion's `aud` stays the Google URL, as Google expects.
 */
export function jwtClient(
  key: ServiceAccountKey,
  transport: GoogleTransport,
  scopes: readonly string[],
  subject?: string,
): JWT {
  const jwt = new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: [...scopes],
    subject,
    transporterOptions: transport.gaxios,
  });
  if (transport.tokenUrl !== GOOGLE_TOKEN_URL) {
    jwt.transporter.interceptors.request.add({
      resolved: async (options) => {
        if (String(options.url) === GOOGLE_TOKEN_URL) options.url = new URL(transport.tokenUrl);
        return options;
      },
    });
  }
  return jwt;
}
