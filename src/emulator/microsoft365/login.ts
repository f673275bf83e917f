import { createHash, createPublicKey, randomUUID } from 'node:crypto';
import type { EmulatorContext } from '../platform.js';
import type { EmuRequest, EmuResponse, Route } from '../router.js';
import { type ClientCertificate, selfSignedCertificate } from './certificate.js';
import type { M365Directory } from './directory.js';
import { decodeJwt, signJwt, verifyJwtSignature } from './jwt.js';

export const CLIENT_SECRET_KEY = 'm365-client-secret';
export const CLIENT_CERT_KEY = 'm365-client-cert';
const TOKEN_SIGNING_KEY = 'm365-token-signing';
const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const TOKEN_LIFETIME_S = 3599;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface LoginState {
  dir: M365Directory;
}

/** The certificate registered on the scanner's app (key from `ctx.keys`, stable across world switches). */
export function scannerCertificate(ctx: EmulatorContext): ClientCertificate {
  const day = 86_400_000;
  const from = new Date(Math.floor(ctx.now.getTime() / day) * day - 30 * day);
  return selfSignedCertificate(
    ctx.keys.rsa(CLIENT_CERT_KEY),
    'grantscope scanner',
    from,
    new Date(from.getTime() + 395 * day),
  );
}

function tokenSigningKid(ctx: EmulatorContext): string {
  const spki = createPublicKey(ctx.keys.rsa(TOKEN_SIGNING_KEY).publicKeyPem).export({
    type: 'spki',
    format: 'der',
  });
  return createHash('sha1').update(spki).digest('base64url');
}

/** AAD's OAuth error body (`error`, `error_description` with AADSTS code, trace ids, …). */
function aadError(
  req: EmuRequest,
  status: number,
  error: string,
  code: number,
  message: string,
): EmuResponse {
  const traceId = randomUUID();
  const correlationId = (req.headers['client-request-id'] as string | undefined) ?? randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${req.origin}/error?code=${code}`,
    },
  };
}

function knownTenant(dir: M365Directory, tenant: string): boolean {
  const t = tenant.toLowerCase();
  return t === dir.tenant.id.toLowerCase() || t === dir.tenant.defaultDomain.toLowerCase();
}

const verified = new Map<string, Record<string, unknown>>();

export type TokenCheck = { ok: true; roles: ReadonlySet<string> } | { ok: false; message: string };

/** Validate a Graph bearer token issued by this emulator for the current world's tenant and scanner app. */
export function verifyAccessToken(
  ctx: EmulatorContext,
  dir: M365Directory,
  authorization: unknown,
): TokenCheck {
  if (typeof authorization !== 'string' || !/^Bearer\s+\S/i.test(authorization)) {
    return { ok: false, message: 'Access token is empty.' };
  }
  const raw = authorization.replace(/^Bearer\s+/i, '').trim();
  // A scan reuses one token for thousands of calls: verify its signature once.
  let p = verified.get(raw);
  if (!p) {
    const jwt = decodeJwt(raw);
    if (!jwt) return { ok: false, message: 'IDX14100: JWT is not well formed.' };
    if (
      !verifyJwtSignature(jwt, ctx.keys.rsa(TOKEN_SIGNING_KEY).publicKeyPem) ||
      jwt.header.alg !== 'RS256'
    ) {
      return { ok: false, message: 'Access token validation failure. Invalid signature.' };
    }
    p = jwt.payload;
    if (verified.size > 100) verified.clear();
    verified.set(raw, p);
  }
  if (typeof p.exp !== 'number' || p.exp * 1000 < Date.now())
    return { ok: false, message: 'Lifetime validation failed, the token is expired.' };
  if (p.aud !== GRAPH_RESOURCE)
    return { ok: false, message: 'Access token validation failure. Invalid audience.' };
  if (
    String(p.tid).toLowerCase() !== dir.tenant.id.toLowerCase() ||
    String(p.appid).toLowerCase() !== dir.scanner.appId.toLowerCase()
  ) {
    return { ok: false, message: 'Access token validation failure. Invalid issuer or application.' };
  }
  // Permissions are checked against the world as served now, so a test can withdraw one.
  return { ok: true, roles: dir.scanner.permissions };
}

function issueToken(ctx: EmulatorContext, dir: M365Directory): string {
  const iat = Math.floor(Date.now() / 1000);
  return signJwt(
    { kid: tokenSigningKid(ctx), x5t: tokenSigningKid(ctx) },
    {
      aud: GRAPH_RESOURCE,
      iss: `https://sts.windows.net/${dir.tenant.id}/`,
      iat,
      nbf: iat,
      exp: iat + TOKEN_LIFETIME_S,
      app_displayname: dir.scanner.displayName,
      appid: dir.scanner.appId,
      appidacr: '1',
      idtyp: 'app',
      roles: [...dir.scanner.permissions],
      sub: dir.scanner.appId,
      tid: dir.tenant.id,
      uti: randomUUID(),
      ver: '1.0',
    },
    ctx.keys.rsa(TOKEN_SIGNING_KEY).privateKeyPem,
  );
}

function verifyClientAssertion(
  ctx: EmulatorContext,
  req: EmuRequest,
  dir: M365Directory,
  tenant: string,
  assertion: string,
): EmuResponse | null {
  const cert = scannerCertificate(ctx);
  const jwt = decodeJwt(assertion);
  if (!jwt) return aadError(req, 401, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
  const thumb = jwt.header['x5t#S256'] ?? jwt.header.x5t;
  const matches = jwt.header['x5t#S256'] === cert.x5tS256 || jwt.header.x5t === cert.x5t;
  if (!matches || !verifyJwtSignature(jwt, cert.publicKeyPem)) {
    return aadError(
      req,
      401,
      'invalid_client',
      700027,
      `Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '${String(thumb)}']`,
    );
  }
  const p = jwt.payload;
  const now = Date.now() / 1000;
  if (typeof p.exp !== 'number' || p.exp < now - 300 || (typeof p.nbf === 'number' && p.nbf > now + 300)) {
    return aadError(
      req,
      401,
      'invalid_client',
      700024,
      'Client assertion is not within its valid time range.',
    );
  }
  const endpoints = [tenant, dir.tenant.id].map((t) => `${req.origin}/${t}/oauth2/v2.0/token`);
  if (typeof p.aud !== 'string' || !endpoints.includes(p.aud.split('?')[0]!)) {
    return aadError(
      req,
      401,
      'invalid_client',
      700021,
      `Client assertion audience claim does not match Realm issuer. Review the documentation at https://aka.ms/certCreds.`,
    );
  }
  if (String(p.iss).toLowerCase() !== dir.scanner.appId.toLowerCase() || p.sub !== p.iss) {
    return aadError(
      req,
      401,
      'invalid_client',
      700023,
      'Client assertion issuer and subject must be the client id.',
    );
  }
  return null;
}

/** Entra ID (login.microsoftonline.com) endpoints used by the client-credentials flow of @azure/identity. */
export function loginRoutes(state: () => LoginState | undefined, ctx: EmulatorContext): Route[] {
  /**
   * A tenant id or domain Entra does not know: 400 with AADSTS90002 (InvalidTenantName, "The tenant name
   * wasn't found in the data store", learn.microsoft.com/entra/identity-platform/reference-error-codes).
   * The OAuth `error` differs by endpoint: `invalid_tenant` from the OpenID metadata
   * (microsoftgraph/windowsupdates-webapplication-sample#6, james-gould/azure-keyvault-emulator#324 quote
   * the body), `invalid_request` from the token endpoint (microsoftarchive/BatchAI#31:
   * "(invalid_request) AADSTS90002: Tenant … not found").
   */
  const withTenant = (
    unknownTenantError: 'invalid_tenant' | 'invalid_request',
    handler: (req: EmuRequest, dir: M365Directory, tenant: string) => EmuResponse,
  ): ((req: EmuRequest) => EmuResponse) => {
    return (req) => {
      const s = state();
      const tenant = req.params.tenant!;
      if (!s) return { status: 404, body: { message: 'no microsoft365 section in this world' } };
      if (!knownTenant(s.dir, tenant)) {
        return aadError(
          req,
          400,
          unknownTenantError,
          90002,
          `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
        );
      }
      return handler(req, s.dir, tenant);
    };
  };
  return [
    {
      service: 'login',
      method: 'GET',
      pattern: '/{tenant}/v2.0/.well-known/openid-configuration',
      handler: withTenant('invalid_tenant', (req, dir) => {
        const base = `${req.origin}/${dir.tenant.id}`;
        return {
          status: 200,
          body: {
            token_endpoint: `${base}/oauth2/v2.0/token`,
            token_endpoint_auth_methods_supported: [
              'client_secret_post',
              'private_key_jwt',
              'client_secret_basic',
            ],
            jwks_uri: `${req.origin}/${dir.tenant.id}/discovery/v2.0/keys`,
            response_modes_supported: ['query', 'fragment', 'form_post'],
            subject_types_supported: ['pairwise'],
            id_token_signing_alg_values_supported: ['RS256'],
            response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
            scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
            // MSAL validates that the issuer is on the authority's own host.
            issuer: `${base}/v2.0`,
            request_uri_parameter_supported: false,
            userinfo_endpoint: `${req.origin}/oidc/userinfo`,
            authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
            device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
            http_logout_supported: true,
            frontchannel_logout_supported: true,
            end_session_endpoint: `${base}/oauth2/v2.0/logout`,
            claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'ver'],
            kerberos_endpoint: `${base}/kerberos`,
            tenant_region_scope: 'EU',
            cloud_instance_name: 'microsoftonline.com',
            cloud_graph_host_name: 'graph.windows.net',
            msgraph_host: 'graph.microsoft.com',
          },
        };
      }),
    },
    {
      service: 'login',
      method: 'GET',
      pattern: '/{tenant}/discovery/v2.0/keys',
      handler: withTenant('invalid_tenant', () => {
        const jwk = createPublicKey(ctx.keys.rsa(TOKEN_SIGNING_KEY).publicKeyPem).export({ format: 'jwk' });
        const kid = tokenSigningKid(ctx);
        return {
          status: 200,
          body: { keys: [{ kty: 'RSA', use: 'sig', kid, x5t: kid, n: jwk.n, e: jwk.e }] },
        };
      }),
    },
    {
      service: 'login',
      method: 'POST',
      pattern: '/{tenant}/oauth2/v2.0/token',
      handler: withTenant('invalid_request', (req, dir, tenant) => {
        const form = new URLSearchParams(req.body.toString('utf8'));
        const grantType = form.get('grant_type');
        if (grantType !== 'client_credentials') {
          return aadError(
            req,
            400,
            'unsupported_grant_type',
            70003,
            `The app requested an unsupported grant type '${grantType ?? ''}'.`,
          );
        }
        const clientId = form.get('client_id') ?? '';
        if (clientId.toLowerCase() !== dir.scanner.appId.toLowerCase()) {
          return aadError(
            req,
            400,
            'unauthorized_client',
            700016,
            `Application with identifier '${clientId}' was not found in the directory '${dir.tenant.displayName}'.`,
          );
        }
        const scope = form.get('scope') ?? '';
        const resource = scope.replace(/\/\.default$/, '');
        if (!scope.endsWith('/.default') || (resource !== GRAPH_RESOURCE && resource !== req.origin)) {
          return aadError(
            req,
            400,
            'invalid_scope',
            1002012,
            `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
          );
        }
        const secret = form.get('client_secret');
        const assertion = form.get('client_assertion');
        if (secret !== null) {
          if (!dir.scanner.credentials.has('secret') || secret !== ctx.keys.secret(CLIENT_SECRET_KEY)) {
            return aadError(
              req,
              401,
              'invalid_client',
              7000215,
              `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
            );
          }
        } else if (assertion !== null) {
          if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
            return aadError(
              req,
              401,
              'invalid_client',
              50027,
              `client_assertion_type must be ${ASSERTION_TYPE}.`,
            );
          }
          if (!dir.scanner.credentials.has('certificate')) {
            return aadError(
              req,
              401,
              'invalid_client',
              700027,
              'Client assertion failed signature validation. [Reason - The key was not found.]',
            );
          }
          const bad = verifyClientAssertion(ctx, req, dir, tenant, assertion);
          if (bad) return bad;
        } else {
          return aadError(
            req,
            401,
            'invalid_client',
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
          );
        }
        return {
          status: 200,
          body: {
            token_type: 'Bearer',
            expires_in: TOKEN_LIFETIME_S,
            ext_expires_in: TOKEN_LIFETIME_S,
            access_token: issueToken(ctx, dir),
          },
        };
      }),
    },
  ];
}
