import { createHmac, randomBytes, timingSafeEqual, verify } from 'node:crypto';
import type { EmulatorContext } from '../platform.js';
import type { EmuRequest, EmuResponse } from '../router.js';
import type { UserRec, WorkspaceData } from './data.js';
import { type ApiFamily, googleError } from './google-errors.js';

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const MAX_ASSERTION_LIFETIME_S = 3600;
const CLOCK_SKEW_S = 300;
export const ACCESS_TOKEN_LIFETIME_S = 3599;

/** What an access token minted by the emulator carries (HMAC-signed, so no token table is kept). */
export interface AccessGrant {
  /** The service account (JWT `iss`). */
  iss: string;
  /** The impersonated user (JWT `sub`), or null for the service account itself. */
  sub: string | null;
  scopes: string[];
  /** Expiry, epoch seconds. */
  exp: number;
  /** Unique per token, as Google's are: two tokens minted in one second still differ (one can expire alone). */
  jti: string;
}

function oauthError(status: number, error: string, description: string): EmuResponse {
  return { status, body: { error, error_description: description } };
}

function b64urlJson(part: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v && typeof v === 'object' ? v : null;
  } catch {
    return null;
  }
}

function signAccess(ctx: EmulatorContext, payload: string): string {
  return createHmac('sha256', ctx.keys.secret('google-access-token')).update(payload).digest('base64url');
}

/**
 * `POST /token`: the JWT-bearer grant of "Using OAuth 2.0 for Server to Server Applications"
 * (https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests):
 * `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and `assertion`; the JWT header
 * `{"alg":"RS256","typ":"JWT"}`; claims `iss` (the service account's email), `scope` (space-delimited),
 * `aud` (always `https://oauth2.googleapis.com/token`), `exp` ("a maximum of 1 hour after the issued
 * time") and `iat`; `sub` for domain-wide delegation ("The email address of the user for which the
 * application is requesting delegated access"), where every requested scope must be among those the
 * admin authorised for the service account's client id (Admin console → Security → API controls →
 * Domain-wide delegation). Error codes and descriptions: the page's "Addressing JWT access token
 * errors" table; the delegation ones as quoted by GAM-team/GAM src/gam/gapi/errors.py
 * (`invalid_grant: Invalid email or User ID`, `invalid_grant: Not a valid email`, `unauthorized_client:
 * Client is unauthorized to retrieve access tokens using this method, or client not authorized for any
 * of the scopes requested`).
 */
export function tokenEndpoint(data: () => WorkspaceData | undefined, ctx: EmulatorContext) {
  return (req: EmuRequest): EmuResponse => {
    const world = data();
    if (!world) return oauthError(404, 'not_found', 'no Google world loaded');
    const form = new URLSearchParams(req.body.toString('utf8'));
    if (form.get('grant_type') !== JWT_BEARER) {
      return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${form.get('grant_type') ?? ''}`);
    }
    const assertion = form.get('assertion') ?? '';
    const parts = assertion.split('.');
    const header = parts.length === 3 ? b64urlJson(parts[0]!) : null;
    const claims = parts.length === 3 ? b64urlJson(parts[1]!) : null;
    if (!header || !claims)
      return oauthError(400, 'invalid_grant', 'Invalid JWT: could not parse the assertion.');
    if (header.alg !== 'RS256') return oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    const { scanner } = world;
    if (claims.iss !== scanner.serviceAccount) {
      return oauthError(400, 'invalid_grant', 'Invalid grant: account not found');
    }
    const ok = verify(
      'RSA-SHA256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      ctx.keys.rsa('google-sa').publicKeyPem,
      Buffer.from(parts[2]!, 'base64url'),
    );
    if (!ok) return oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    // `aud` is Google's token URL whatever endpoint the grant is posted to (google-auth-library posts to
    // the emulator through its interceptor and keeps this `aud`).
    if (claims.aud !== GOOGLE_TOKEN_URL) {
      return oauthError(400, 'invalid_grant', 'Invalid JWT: Failed audience check.');
    }
    // Wall-clock time: the client signs with its own clock, not the world's fixed one.
    const nowS = Math.floor(Date.now() / 1000);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (
      !Number.isFinite(iat) ||
      !Number.isFinite(exp) ||
      exp <= iat ||
      exp - iat > MAX_ASSERTION_LIFETIME_S ||
      iat > nowS + CLOCK_SKEW_S ||
      exp < nowS - CLOCK_SKEW_S
    ) {
      return oauthError(
        400,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
    if (scopes.length === 0) return oauthError(400, 'invalid_scope', 'Empty or missing scope not allowed.');
    const sub = typeof claims.sub === 'string' && claims.sub ? claims.sub : null;
    if (sub && !/^[^@\s]+@[^@\s]+$/.test(sub)) return oauthError(400, 'invalid_grant', 'Not a valid email.');
    if (sub) {
      const user = world.findUser(sub);
      if (!user || user.suspended || user.archived)
        return oauthError(400, 'invalid_grant', 'Invalid email or User ID');
      const delegated = new Set(scanner.delegatedScopes);
      if (!scopes.every((s) => delegated.has(s))) {
        return oauthError(
          401,
          'unauthorized_client',
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
        );
      }
    }
    const grant: AccessGrant = {
      iss: scanner.serviceAccount,
      sub,
      scopes,
      exp: nowS + ACCESS_TOKEN_LIFETIME_S,
      jti: randomBytes(9).toString('base64url'),
    };
    const payload = Buffer.from(JSON.stringify(grant)).toString('base64url');
    return {
      status: 200,
      body: {
        access_token: `ya29.emu.${payload}.${signAccess(ctx, payload)}`,
        expires_in: ACCESS_TOKEN_LIFETIME_S,
        token_type: 'Bearer',
      },
      headers: { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' },
    };
  };
}

/** Parse and check a bearer token; undefined when absent or not valid. */
function accessGrant(req: EmuRequest, ctx: EmulatorContext): AccessGrant | 'missing' | 'invalid' {
  const h = req.headers.authorization;
  if (!h) return 'missing';
  const m = /^Bearer ya29\.emu\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(h);
  if (!m) return 'invalid';
  const expected = Buffer.from(signAccess(ctx, m[1]!));
  const got = Buffer.from(m[2]!);
  if (expected.length !== got.length || !timingSafeEqual(expected, got)) return 'invalid';
  const grant = b64urlJson(m[1]!) as AccessGrant | null;
  if (!grant || grant.exp < Math.floor(Date.now() / 1000)) return 'invalid';
  return grant;
}

export interface AccessCheck {
  /** Any one of these scopes suffices (as in the discovery document). */
  scopes: readonly string[];
  /** Admin SDK: the token must act for (impersonate) an admin of the domain. */
  admin?: boolean;
  api: ApiFamily;
}

/** The caller's grant, or the error Google would answer with. */
export function checkAccess(
  req: EmuRequest,
  ctx: EmulatorContext,
  world: WorkspaceData,
  check: AccessCheck,
): { grant: AccessGrant; user: UserRec | null } | EmuResponse {
  const g = accessGrant(req, ctx);
  if (g === 'missing') {
    return googleError(
      401,
      'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      {
        legacy: check.api.legacy,
        reason: 'required',
        detailMessage: 'Login Required.',
        location: { location: 'Authorization', locationType: 'header' },
        errorInfo: { reason: 'CREDENTIALS_MISSING', service: check.api.service, method: check.api.method },
      },
    );
  }
  if (g === 'invalid') {
    return googleError(
      401,
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      {
        legacy: check.api.legacy,
        reason: 'authError',
        detailMessage: 'Invalid Credentials',
        location: { location: 'Authorization', locationType: 'header' },
        errorInfo: {
          reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED',
          service: check.api.service,
          method: check.api.method,
        },
      },
    );
  }
  if (!check.scopes.some((s) => g.scopes.includes(s))) {
    return googleError(403, 'Request had insufficient authentication scopes.', {
      legacy: check.api.legacy,
      reason: 'insufficientPermissions',
      detailMessage: 'Insufficient Permission',
      errorInfo: {
        reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
        service: check.api.service,
        method: check.api.method,
      },
    });
  }
  const user = g.sub ? (world.findUser(g.sub) ?? null) : null;
  if (check.admin && (!user?.admin || user.suspended)) {
    return googleError(403, 'Not Authorized to access this resource/api', {
      legacy: check.api.legacy,
      reason: 'forbidden',
    });
  }
  return { grant: g, user };
}
