import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import {
  type AccessToken,
  AuthenticationError,
  ClientCertificateCredential,
  type ClientCertificateCredentialOptions,
  ClientSecretCredential,
  type GetTokenOptions,
  type TokenCredential,
} from '@azure/identity';
import type { ConnectorContext } from '../../src/connector/context.js';
import { unreachableIn } from '../../src/connector/http.js';
import { ApiError, CredentialSourceError, TenantNotFoundError } from '../../src/errors.js';
import type { Endpoints, Microsoft365Config } from './config.js';

/**
 * The client-credentials credential for grantscope's app registration: a certificate (preferred)
 * or a client secret, read from the file or env var the config names. Never DefaultAzureCredential:
 * it probes managed-identity endpoints the user did not ask for.
 */
export function createCredential(
  config: Microsoft365Config,
  endpoints: Endpoints,
  ctx: ConnectorContext,
): RenewableCredential {
  const options: ClientCertificateCredentialOptions = {
    authorityHost: endpoints.authorityHost,
    // Instance discovery would call login.microsoftonline.com whatever the authority host.
    disableInstanceDiscovery: true,
    // `ca` replaces the default trust store, so keep the public roots next to the extra CA.
    tlsOptions: ctx.http.ca ? { ca: [...rootCertificates, ctx.http.ca] } : undefined,
    retryOptions: { maxRetries: ctx.http.retry.maxRetries, maxRetryDelayInMs: ctx.http.retry.maxDelayMs },
    additionalPolicies: [
      {
        position: 'perRetry',
        // Token requests bypass ctx.http.fetch; count them for coverage here.
        policy: {
          name: 'grantscopeRequestCount',
          sendRequest: (req, next) => {
            ctx.coverage.countRequest();
            // The engine's timeout on MSAL's requests too (its own default is none).
            req.timeout = ctx.http.timeoutMs;
            return next(req);
          },
        },
      },
    ],
  };
  const path = (file: string) => (isAbsolute(file) ? file : resolve(ctx.configDir, file));

  if (config.certificateFile) {
    const file = path(config.certificateFile);
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CredentialSourceError(
        `microsoft365.certificateFile: cannot read ${file}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (!/-----BEGIN CERTIFICATE-----/.test(pem) || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
      throw new CredentialSourceError(
        `microsoft365.certificateFile: ${file} must hold a PEM private key and the PEM certificate registered on the app`,
      );
    }
    let certificatePassword: string | undefined;
    if (config.certificatePasswordEnv) {
      certificatePassword = process.env[config.certificatePasswordEnv];
      if (!certificatePassword) {
        throw new CredentialSourceError(
          `microsoft365.certificatePasswordEnv: environment variable ${config.certificatePasswordEnv} is not set`,
        );
      }
    }
    return new RenewableCredential(
      () =>
        new ClientCertificateCredential(
          config.tenantId,
          config.clientId,
          certificatePassword ? { certificate: pem, certificatePassword } : { certificate: pem },
          options,
        ),
    );
  }

  let secret: string | undefined;
  if (config.clientSecretFile) {
    const file = path(config.clientSecretFile);
    try {
      secret = readFileSync(file, 'utf8').split(/\r?\n/)[0]?.trim();
    } catch (err) {
      throw new CredentialSourceError(
        `microsoft365.clientSecretFile: cannot read ${file}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (!secret) throw new CredentialSourceError(`microsoft365.clientSecretFile: ${file} is empty`);
  } else if (config.clientSecretEnv) {
    secret = process.env[config.clientSecretEnv]?.trim();
    if (!secret) {
      throw new CredentialSourceError(
        `microsoft365.clientSecretEnv: environment variable ${config.clientSecretEnv} is not set`,
      );
    }
  }
  return new RenewableCredential(
    () => new ClientSecretCredential(config.tenantId, config.clientId, secret!, options),
  );
}

/**
 * The credential, renewable: @azure/identity keeps a token until shortly before it expires and has no
 * way to drop one Graph has refused (401 InvalidAuthenticationToken, e.g. revoked or expired early), so
 * renewing replaces the credential (and with it MSAL's token cache); the next request gets a new token.
 */
export class RenewableCredential implements TokenCredential {
  private current: TokenCredential;
  /** Bumped on every renewal, so that one 401 burst renews once. */
  generation = 0;
  /** The last token per scope list, handed out again while it is fresh (see `getToken`). */
  private readonly held = new Map<string, AccessToken>();

  constructor(private readonly create: () => TokenCredential) {
    this.current = create();
  }

  /**
   * The token of `scopes`. The SDK asks for one on every request, and each ask goes through MSAL's
   * cache lookup (about 1.7 ms of CPU on a scan of 300 requests, a tenth of the collection's): the last
   * token is handed out again itself while MSAL would still return it from its cache, that is until
   * its `refreshAfterTimestamp` and, like MSAL's `tokenRenewalOffsetSeconds`, five minutes before it
   * expires. An ask with claims or another tenant (a challenge) always goes to MSAL.
   */
  async getToken(
    scopes: string | string[],
    options?: GetTokenOptions,
  ): ReturnType<TokenCredential['getToken']> {
    const key = Array.isArray(scopes) ? scopes.join(' ') : scopes;
    const plain = !options?.claims && !options?.tenantId;
    const held = plain ? this.held.get(key) : undefined;
    const now = Date.now();
    if (
      held &&
      now < held.expiresOnTimestamp - TOKEN_RENEWAL_OFFSET_MS &&
      now < (held.refreshAfterTimestamp ?? Infinity)
    )
      return held;
    const generation = this.generation;
    const token = await this.current.getToken(scopes, options);
    // Not kept when the credential was renewed meanwhile: the token may be the one Graph refused.
    if (token && plain && generation === this.generation) this.held.set(key, token);
    return token;
  }

  /** Renew, unless a renewal already happened since `seen` (another request of the same burst did it). */
  renew(seen: number): void {
    if (seen !== this.generation) return;
    this.current = this.create();
    this.held.clear();
    this.generation += 1;
  }
}

/** MSAL's default `tokenRenewalOffsetSeconds`: a cached token is not used in its last five minutes. */
const TOKEN_RENEWAL_OFFSET_MS = 5 * 60_000;

/**
 * OAuth error codes and the status Entra answers them with (RFC 6749 5.2); server_error and
 * temporarily_unavailable stand for a 500 and a 503 (RFC 6749 4.1.2.1: "needed because a 500 Internal
 * Server Error [503 Service Unavailable] HTTP status code cannot be returned to the client via an HTTP
 * redirect").
 */
const OAUTH_STATUS: Record<string, number> = {
  invalid_client: 401,
  invalid_request: 400,
  unauthorized_client: 400,
  invalid_scope: 400,
  invalid_grant: 400,
  unsupported_grant_type: 400,
  server_error: 500,
  temporarily_unavailable: 503,
};

/**
 * @azure/identity reports token-endpoint failures as MSAL's message
 * (`invalid_client: Error(s): 7000215 - … - Description: AADSTS7000215: … Trace ID: …`), without the
 * HTTP status; keep the OAuth error and the AADSTS sentence, and map the error to its status.
 */
export function tokenError(err: unknown, tenantId: string): ApiError {
  const path = `/${tenantId}/oauth2/v2.0/token`;
  if (err instanceof AuthenticationError) {
    const detail = err.errorResponse;
    const first = (detail.errorDescription ?? '').split(/\r?\n| Trace ID:/)[0];
    return new ApiError(
      'entra-id',
      err.statusCode,
      `${detail.error}: ${first}`,
      { method: 'POST', path },
      { cause: err },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  const m = /^([a-z_]+): [\s\S]*?(AADSTS\d+: [\s\S]*?)(?: Trace ID:| - Correlation ID:|$)/.exec(message);
  if (m)
    return new ApiError(
      'entra-id',
      OAUTH_STATUS[m[1]!] ?? null,
      `${m[1]}: ${m[2]!.trim()}`,
      { method: 'POST', path },
      { cause: err },
    );
  return new ApiError(
    'entra-id',
    null,
    message.split('\n')[0] ?? 'token request failed',
    { method: 'POST', path },
    { cause: err },
  );
}

/**
 * Get one token before collecting, so that bad credentials become one clear error on every collector;
 * returns the access token or throws an ApiError naming the token endpoint. MSAL makes its requests
 * through its own HTTP client and reports a host it cannot reach as `endpoints_resolution_error` or a
 * network error without the cause; when the token request got no HTTP answer, one request to the same
 * login host through the engine's HTTP policy names the cause (connection refused, certificate not
 * trusted, …).
 */
export async function authenticate(
  config: Microsoft365Config,
  endpoints: Endpoints,
  credential: TokenCredential,
  ctx: ConnectorContext,
): Promise<string> {
  try {
    const token = await credential.getToken(endpoints.scope, { abortSignal: ctx.signal });
    return token?.token ?? '';
  } catch (err) {
    const error = tokenError(err, config.tenantId);
    const tokenPath = `/${config.tenantId}/oauth2/v2.0/token`;
    if (error.status === 400 && /AADSTS90002\b/.test(error.message)) {
      throw tenantNotFound(
        endpoints,
        'POST',
        tokenPath,
        error.message.replace(/^.*?: (?=[a-z_]+: AADSTS)/, ''),
        error,
      );
    }
    if (error.status !== null || ctx.signal.aborted) throw error;
    // MSAL reads the tenant's OpenID metadata first and, when that fails, says only
    // `endpoints_resolution_error`: ask for it once more to learn why.
    const metadataPath = `/${config.tenantId}/v2.0/.well-known/openid-configuration`;
    let probe: Response;
    try {
      probe = await ctx.http.fetch(`${endpoints.authorityHost}${metadataPath}`, { signal: ctx.signal });
    } catch (probeError) {
      const transport = unreachableIn(probeError);
      throw transport ? transport.during('entra-id', 'POST', tokenPath) : error;
    }
    const answer = probe.status === 400 ? await oauthErrorOf(probe) : null;
    await probe.body?.cancel().catch(() => {});
    if (answer && (answer.codes.includes(90002) || answer.error === 'invalid_tenant')) {
      throw tenantNotFound(endpoints, 'GET', metadataPath, `${answer.error}: ${answer.description}`, err);
    }
    // The host answers, the token request did not: MSAL says only "network_error".
    if (!/network_error/.test(error.message)) throw error;
    throw new ApiError(
      'entra-id',
      null,
      `no answer from ${new URL(endpoints.authorityHost).origin} to the token request (timed out after ${ctx.http.timeoutMs / 1000} s, or the connection dropped), though the host answers other requests`,
      { method: 'POST', path: `/${config.tenantId}/oauth2/v2.0/token` },
      { cause: err },
    );
  }
}

/**
 * An Entra tenant id or domain that does not exist: the login host answers 400 with AADSTS90002
 * (InvalidTenantName, "The tenant name wasn't found in the data store",
 * https://learn.microsoft.com/entra/identity-platform/reference-error-codes), as `invalid_tenant` from the
 * OpenID metadata and `invalid_request` from the token endpoint.
 */
function tenantNotFound(
  endpoints: Endpoints,
  method: string,
  path: string,
  said: string,
  cause: unknown,
): TenantNotFoundError {
  return new TenantNotFoundError(
    'tenant',
    'entra-id',
    400,
    `${new URL(endpoints.authorityHost).host} answered 400 to ${method} ${path}: ${said}`,
    'microsoft365.tenantId',
    '(and `microsoft365.authorityHost` if the tenant is in a national cloud)',
    { method, path },
    { cause },
  );
}

/** The OAuth error body of a login answer (`error`, the AADSTS sentence without trace ids, `error_codes`). */
async function oauthErrorOf(
  res: Response,
): Promise<{ error: string; description: string; codes: number[] } | null> {
  try {
    const body = (await res.json()) as {
      error?: unknown;
      error_description?: unknown;
      error_codes?: unknown;
    };
    if (typeof body.error !== 'string') return null;
    const description = typeof body.error_description === 'string' ? body.error_description : '';
    return {
      error: body.error,
      description: description.split(/\r?\n| Trace ID:/)[0]!.trim(),
      codes: Array.isArray(body.error_codes)
        ? body.error_codes.filter((c): c is number => typeof c === 'number')
        : [],
    };
  } catch {
    return null;
  }
}

/**
 * What the scanner's access token allows, from its `roles` claim (the application permissions
 * admin-consented to the app: https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference,
 * "roles"). Read without verifying the signature: Graph verifies it; this only explains what Graph answers.
 */
export function tokenRoles(accessToken: string): string[] | null {
  const payload = accessToken.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return null;
  }
}

/** "Allows the app to … manage only the applications that it creates or owns" (permissions reference). */
export const OWNED_BY = 'Application.ReadWrite.OwnedBy';

/**
 * Permissions that read every application and service principal with their owners and assignments
 * (the Application rows of serviceprincipal-list, application-list, serviceprincipal-list-owners and
 * serviceprincipal-list-approleassignedto).
 */
const READS_ALL_APPS = [
  'Application.Read.All',
  'Application.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];

/**
 * Whether the token reaches only the apps the scanner owns: with Application.ReadWrite.OwnedBy and none of
 * the tenant-wide permissions, Graph answers the lists with the owned objects only (often none), which
 * would read as a complete, empty tenant.
 */
export function ownedByOnly(roles: readonly string[] | null): boolean {
  if (!roles?.includes(OWNED_BY)) return false;
  return !roles.some((r) => READS_ALL_APPS.includes(r));
}
