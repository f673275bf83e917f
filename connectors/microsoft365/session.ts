import type { CollectorRun } from '../../src/connector/collector.js';
import type { ConnectorContext } from '../../src/connector/context.js';
import type { Tenant } from '../../src/model/common.js';
import { authenticate, createCredential, OWNED_BY, ownedByOnly, tokenRoles } from './auth.js';
import { GraphApi } from './client.js';
import { type Endpoints, endpointsOf, type Microsoft365Config } from './config.js';
import { PreviousReads } from './previous-reads.js';
import { firstPartyTenants } from './records.js';
import { startPreviousServicePrincipals } from './service-principals-delta.js';

export const PLATFORM = 'microsoft365';

/** What every collector of one scan of a tenant shares. */
export interface Session {
  readonly config: Microsoft365Config;
  readonly endpoints: Endpoints;
  readonly graph: GraphApi;
  readonly tenant: Tenant;
  /** Owner tenant ids counted as Microsoft first-party. */
  readonly microsoft: ReadonlySet<string>;
  /**
   * Why the application lists are not the tenant's, when the scanner's token holds only
   * Application.ReadWrite.OwnedBy (Graph then lists the scanner's own apps only); null otherwise.
   */
  readonly ownedByOnly: string | null;
  /**
   * Reads of the previous snapshot started before the collectors run (the previous service principals,
   * started while the token is asked); the service principal collector takes them.
   */
  readonly previous?: PreviousReads;
}

/**
 * Open a scan of one tenant: the credential, the Graph client, and one token, so that bad credentials
 * or an unreachable login host fail every collector once with one clear error (see `authenticate`).
 */
export async function connect(config: Microsoft365Config, ctx: ConnectorContext): Promise<Session> {
  const endpoints = endpointsOf(config);
  const credential = createCredential(config, endpoints, ctx);
  // On a rescan that follows the service principals' delta link, reading the previous service principals
  // back from the store is CPU work that the list's collector waits for: started now, it fills the wait
  // on the token endpoint instead of following it. It needs no request.
  const previous = new PreviousReads();
  startPreviousServicePrincipals({ endpoints }, { ctx, name: SERVICE_PRINCIPALS }, previous);
  let token: Awaited<ReturnType<typeof authenticate>>;
  try {
    token = await authenticate(config, endpoints, credential, ctx);
  } catch (err) {
    // No collector will take the read: not left running on the store after the scan is given up.
    await previous.settled();
    throw err;
  }
  return {
    config,
    endpoints,
    graph: new GraphApi(ctx, endpoints, credential, {
      resourceUnitsPer10s: config.resourceUnitsPer10s,
      timeScale: config.quotaTimeScale,
    }),
    tenant: { id: config.tenantId, name: config.tenantName ?? null },
    microsoft: firstPartyTenants(config.firstPartyTenantIds),
    ownedByOnly: ownedByOnly(tokenRoles(token))
      ? `the scanner's token holds ${OWNED_BY} and no tenant-wide read permission: Graph lists only the applications the scanner owns, so these lists are not the tenant's; grant Application.Read.All (and Directory.Read.All)`
      : null,
    previous,
  };
}

/** The service principal collector's name (collectors/service-principals.ts), whose records the early read selects. */
const SERVICE_PRINCIPALS = 'service-principals';

/**
 * For the collectors whose lists an OwnedBy-only token cuts down to the scanner's own apps: say so,
 * and mark the collector `unavailable` when it listed them (its records are then not compared, so the
 * rest of the tenant is not reported removed). `listed`: the collector read its list.
 */
export function markOwnedByOnly(s: Session, run: CollectorRun, listed: boolean): void {
  if (!s.ownedByOnly) return;
  if (listed && run.ctx.coverage.status(run.name) === 'complete') {
    run.ctx.coverage.unavailable(run.name, s.ownedByOnly);
  }
  run.ctx.coverage.note(run.name, s.ownedByOnly);
}
