import { AuthenticationError } from '@azure/identity';
import type { ConnectorContext } from '../../src/connector/context.js';
import { unreachableIn } from '../../src/connector/http.js';
import { defineLegacyConnector as defineConnector } from '../../src/connector/legacy.js';
import { ApiError } from '../../src/errors.js';
import type { PrincipalRef, UsageSignal } from '../../src/model/common.js';
import type { ModelRecordInput } from '../../src/model/record.js';
import { firstPartyTenants, originOf } from './classify.js';
import { appRoleAssignmentsCollector, collectAppRoleAssignments } from './collectors/app-role-assignments.js';
import {
  applicationCredentials,
  applicationCredentialsCollector,
  listApplications,
} from './collectors/application-credentials.js';
import { collectDelegatedGrants, delegatedGrantsCollector } from './collectors/oauth2-permission-grants.js';
import { collectOwners, ownersCollector } from './collectors/owners.js';
import {
  listServicePrincipals,
  servicePrincipalIdentity,
  servicePrincipalsCollector,
} from './collectors/service-principals.js';
import {
  collectSignInActivity,
  SIGN_IN_SOURCE,
  signInActivityCollector,
} from './collectors/sign-in-activity.js';
import { endpointsOf, Microsoft365Config } from './config.js';
import { COLLECTORS, PLATFORM, type ScanContext } from './context.js';
import { createCredential } from './credential.js';
import { GraphApi } from './graph.js';
import { PermissionResolver } from './permissions.js';
import { vocabulary } from './risk.js';
import { OWNED_BY, ownedByOnly, tokenRoles } from './token-roles.js';

const ALL_COLLECTORS = [
  servicePrincipalsCollector,
  appRoleAssignmentsCollector,
  delegatedGrantsCollector,
  ownersCollector,
  applicationCredentialsCollector,
  signInActivityCollector,
] as const;

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
 * Get one token before collecting: bad credentials become one clear error on every collector. MSAL
 * makes its requests through its own HTTP client and reports a host it cannot reach as
 * `endpoints_resolution_error` or a network error without the cause; when the token request got no HTTP
 * answer, one request to the same login host through the engine's HTTP policy names the cause
 * (connection refused, certificate not trusted, …).
 */
async function authenticate(
  s: ScanContext,
  credential: ReturnType<typeof createCredential>,
): Promise<{ token: string } | ApiError> {
  try {
    const token = await credential.getToken(s.endpoints.scope, { abortSignal: s.ctx.signal });
    return { token: token?.token ?? '' };
  } catch (err) {
    const error = tokenError(err, s.config.tenantId);
    if (error.status !== null || s.ctx.signal.aborted) return error;
    const metadata = `${s.endpoints.authorityHost}/${s.config.tenantId}/v2.0/.well-known/openid-configuration`;
    try {
      const probe = await s.ctx.http.fetch(metadata, { signal: s.ctx.signal });
      await probe.body?.cancel();
      // The host answers, the token request did not: MSAL says only "network_error".
      if (!/network_error/.test(error.message)) return error;
      return new ApiError(
        'entra-id',
        null,
        `no answer from ${new URL(s.endpoints.authorityHost).origin} to the token request (timed out after ${s.ctx.http.timeoutMs / 1000} s, or the connection dropped), though the host answers other requests`,
        { method: 'POST', path: `/${s.config.tenantId}/oauth2/v2.0/token` },
        { cause: err },
      );
    } catch (probeError) {
      const transport = unreachableIn(probeError);
      return transport
        ? transport.during('entra-id', 'POST', `/${s.config.tenantId}/oauth2/v2.0/token`)
        : error;
    }
  }
}

function lastUsedOf(
  origin: string,
  appId: string,
  signIns: Map<string, string | null> | undefined,
): UsageSignal | null {
  if (!signIns) return null;
  const at = signIns.get(appId.toLowerCase());
  if (at !== undefined) return { at, source: SIGN_IN_SOURCE };
  // Absent from the report = no sign-in recorded. First-party apps are not judged on that: their
  // usage is often recorded under other app ids.
  return origin === 'platform' ? null : { at: null, source: SIGN_IN_SOURCE };
}

async function* scan(config: Microsoft365Config, ctx: ConnectorContext): AsyncGenerator<ModelRecordInput> {
  const endpoints = endpointsOf(config);
  const credential = createCredential(config, endpoints, ctx);
  const s: ScanContext = {
    config,
    endpoints,
    ctx,
    graph: new GraphApi(ctx, endpoints, credential),
    tenant: { id: config.tenantId, name: config.tenantName ?? null },
    microsoft: firstPartyTenants(config.firstPartyTenantIds),
  };
  const auth = await authenticate(s, credential);
  if (auth instanceof ApiError) {
    for (const c of ALL_COLLECTORS) ctx.coverage.fail(c.name, auth);
    return;
  }
  // Only Application.ReadWrite.OwnedBy: Graph lists the scanner's own apps only, and "complete" would
  // report the rest of the tenant as removed. Those collectors' records are not compared.
  const ownedOnly = ownedByOnly(tokenRoles(auth.token));

  const cov = ctx.coverage;
  const [sps, apps, signIns] = await Promise.all([
    cov.run(COLLECTORS.servicePrincipals, () => listServicePrincipals(s)),
    cov.run(COLLECTORS.applicationCredentials, () => listApplications(s)),
    cov.run(COLLECTORS.signInActivity, () => collectSignInActivity(s)),
  ]);
  if (!sps) {
    const err = new Error('needs the service principal list, which failed');
    for (const c of [
      COLLECTORS.appRoleAssignments,
      COLLECTORS.delegatedGrants,
      COLLECTORS.owners,
      COLLECTORS.applicationCredentials,
    ]) {
      cov.fail(c, err);
    }
    return;
  }

  const resolver = new PermissionResolver();
  for (const sp of sps) if (sp.appRoles.length > 0) resolver.addAppRoles(sp);
  const spIds = new Set(sps.map((sp) => sp.id.toLowerCase()));
  const [appGrants, delegated, owners] = await Promise.all([
    cov.run(COLLECTORS.appRoleAssignments, () => collectAppRoleAssignments(s, sps, resolver)),
    cov.run(COLLECTORS.delegatedGrants, () => collectDelegatedGrants(s, spIds, resolver)),
    cov.run(COLLECTORS.owners, () => collectOwners(s, sps, apps)),
  ]);

  if (ownedOnly) {
    const reason = `the scanner's token holds ${OWNED_BY} and no tenant-wide read permission: Graph lists only the applications the scanner owns, so these lists are not the tenant's; grant Application.Read.All (and Directory.Read.All)`;
    for (const c of [
      COLLECTORS.servicePrincipals,
      COLLECTORS.appRoleAssignments,
      COLLECTORS.owners,
      COLLECTORS.applicationCredentials,
    ]) {
      if (cov.status(c) === 'complete') cov.unavailable(c, reason);
      cov.note(c, reason);
    }
  }

  // An identity depends only on the service principal list, owners and sign-ins, and says which of
  // those it lacks (ownersKnown, lastUsed null): another collector failing must not rewrite it.
  for (const sp of sps) {
    const origin = originOf(sp, s.tenant.id, s.microsoft);
    const spOwners: PrincipalRef[] | null =
      owners && origin !== 'platform' ? (owners.get(sp.id) ?? null) : null;
    yield servicePrincipalIdentity(s, sp, {
      owners: spOwners,
      lastUsed: lastUsedOf(origin, sp.appId, signIns),
    });
  }
  yield* appGrants ?? [];
  yield* delegated ?? [];
  if (apps) yield* applicationCredentials(s, apps, sps);
}

/** Microsoft 365 / Entra ID: enterprise apps, their application and delegated permissions, owners, credentials, last sign-in. */
const microsoft365Connector = defineConnector<Microsoft365Config>({
  id: 'microsoft365',
  platform: PLATFORM,
  title: 'Microsoft 365 / Entra ID',
  vocabulary,
  configSchema: Microsoft365Config,
  collectors: ALL_COLLECTORS,
  tenantOf: (config) => config.tenantId,
  scan,
});

export default microsoft365Connector;
export { Microsoft365Config } from './config.js';
