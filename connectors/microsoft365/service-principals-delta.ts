import type { CollectorRun } from '../../src/connector/collector.js';
import type { PrincipalRef } from '../../src/model/common.js';
import { select } from './client.js';
import { type DeltaRound, latestDeltaLink, needsFullSync, readDeltaRound } from './delta-round.js';
import { addKeptOwners, OWNER_FIELDS, ownersKeepable, PREVIOUS_OWNERS } from './owners-incremental.js';
import { inTurns, type PreviousReads } from './previous-reads.js';
import { ServicePrincipal } from './schema.js';
import type { Session } from './session.js';

/** The connector-state key of the servicePrincipals delta link. */
export const SERVICE_PRINCIPALS_DELTA_LINK = 'servicePrincipals.deltaLink';

/**
 * serviceprincipal-delta (https://learn.microsoft.com/graph/api/serviceprincipal-delta) permissions:
 * Application.Read.All is among those it accepts, as the list does.
 */
const DELTA_INFO = { api: 'GET /servicePrincipals/delta', requiredPermission: 'Application.Read.All' };

/**
 * The service principal objects the previous snapshot's identities were built from: each identity
 * keeps its object as `raw` (appRoles reduced to what the scan uses: id, value, allowedMemberTypes),
 * by lower-cased id. Null when one cannot be read back (a snapshot of an older build, whose raw lacks
 * a role's member types): the list is then read in full.
 */
async function previousServicePrincipals(
  run: Pick<CollectorRun, 'ctx' | 'name'>,
  /** Where the owners the identities knew go too (read in the same pass), if given. */
  owners?: Map<string, PrincipalRef[]>,
): Promise<Map<string, ServicePrincipal> | null> {
  const out = new Map<string, ServicePrincipal>();
  // The store selects this collector's records: `raw` is the one field parsed of each (and the owner
  // fields, for the owners collector).
  const filter = {
    kinds: ['service-principal'],
    types: ['identity' as const],
    collectors: [run.name],
    fields: owners ? ['raw', ...OWNER_FIELDS] : ['raw'],
  };
  let unreadable = false;
  for await (const b of inTurns(run.ctx.previous.bundles(filter))) {
    if (owners) addKeptOwners(b.identity, owners);
    const raw = b.identity?.raw ?? null;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) continue;
    const roles = (raw as { appRoles?: unknown }).appRoles;
    if (Array.isArray(roles) && roles.some((r) => !Array.isArray(r?.allowedMemberTypes))) unreadable = true;
    const sp = ServicePrincipal.safeParse(raw);
    if (!sp.success) unreadable = true;
    if (unreadable) continue;
    out.set(sp.data!.id.toLowerCase(), sp.data!);
  }
  return unreadable ? null : out;
}

/** The key under which the previous service principals are read early (previous-reads.ts). */
export const PREVIOUS_SERVICE_PRINCIPALS = 'servicePrincipals.previous';

/** The stored link this scan can follow, or why not (null: no link, the first scan or `--full`). */
function usableLink(
  s: Pick<Session, 'endpoints'>,
  run: Pick<CollectorRun, 'ctx'>,
): { link: string; scanId: number } | { fullReason: string | null } {
  const { state, previous } = run.ctx;
  if (state?.fullResync) return { fullReason: '--full' };
  const stored = state?.get(SERVICE_PRINCIPALS_DELTA_LINK);
  if (!stored) return { fullReason: null };
  if (!stored.value.startsWith(`${s.endpoints.graphBaseUrl}/`))
    return { fullReason: `the stored delta link is not on ${s.endpoints.graphBaseUrl}` };
  // The link goes with the snapshot it was applied to: one kept by an earlier scan is not.
  if (stored.scanId !== previous.scanId)
    return {
      fullReason: `the delta link is from scan #${stored.scanId}, not the previous scan #${previous.scanId}`,
    };
  return { link: stored.value, scanId: stored.scanId };
}

/**
 * On a rescan that will follow a delta link (`readServicePrincipalObjects`' checks of the stored state,
 * no request): start reading the previous service principals from the store now, unless `reads` holds
 * that read already (started by `connect`). Whether it is started.
 */
export function startPreviousServicePrincipals(
  s: Pick<Session, 'endpoints'>,
  run: Pick<CollectorRun, 'ctx' | 'name'>,
  reads: PreviousReads,
): boolean {
  if (!('link' in usableLink(s, run))) return false;
  if (reads.has(PREVIOUS_SERVICE_PRINCIPALS)) return true;
  // The owners collector reads the same stored identities (their kept owners): one pass serves both.
  if (!reads.has(PREVIOUS_OWNERS) && ownersKeepable(s, run.ctx)) {
    const owners = new Map<string, PrincipalRef[]>();
    const both = previousServicePrincipals(run, owners);
    reads.start(PREVIOUS_SERVICE_PRINCIPALS, () => both);
    reads.start(PREVIOUS_OWNERS, () => both.then(() => owners));
  } else reads.start(PREVIOUS_SERVICE_PRINCIPALS, () => previousServicePrincipals(run));
  return true;
}

/**
 * Every service principal of the tenant. With a delta link kept by the previous scan, only what changed
 * since is read (an unchanged tenant: one request), applied to the objects that scan stored; else the
 * whole list (`list`), after asking for a link to start from next time. That link comes from
 * `$deltatoken=latest` ("sync from now", offered for Microsoft Entra ID resources, delta-query-overview:
 * one request, no resource data): cheaper than an initial delta round, whose pages are smaller than the
 * list's `$top=999`. It is read before the list, so that a change made while the list is paged shows
 * again next time rather than not at all. The `$select` goes in that first request: "If you use any
 * query parameter (other than $deltatoken and $skiptoken), you must specify it in the initial delta
 * request" (serviceprincipal-delta), and the links carry it.
 *
 * The link is kept only if the collector completes (the engine drops it otherwise), and any doubt (an
 * expired link, an object the round names that cannot be rebuilt, a snapshot of an older build) reads
 * the list in full: a delta never hides a removal or a change.
 */
export async function readServicePrincipalObjects(
  s: Session,
  run: Pick<CollectorRun, 'ctx' | 'name'>,
  fields: readonly string[],
  list: () => Promise<ServicePrincipal[]>,
  reads?: PreviousReads,
): Promise<{ servicePrincipals: ServicePrincipal[]; incremental: boolean }> {
  const { ctx, name } = run;
  const state = ctx.state;
  const plan = usableLink(s, run);
  if ('link' in plan) {
    const rebuilt = await applyRound(s, run, plan, reads);
    if (rebuilt) return { servicePrincipals: rebuilt, incremental: true };
  } else if (plan.fullReason) {
    ctx.coverage.note(name, `full read of service principals: ${plan.fullReason}`);
  }
  let nextLink: string | null = null;
  // Without a store behind the scan (ctx.state absent) a link could not be kept: not asked for.
  if (state) {
    nextLink = await latestDeltaLink(s, run, 'servicePrincipals', select(fields), DELTA_INFO);
  }
  const servicePrincipals = await list();
  state?.set(SERVICE_PRINCIPALS_DELTA_LINK, nextLink);
  return { servicePrincipals, incremental: false };
}

/** The previous objects with the round since `plan.link` applied; null when it must be read in full. */
async function applyRound(
  s: Session,
  run: Pick<CollectorRun, 'ctx' | 'name'>,
  plan: { link: string; scanId: number },
  reads?: PreviousReads,
): Promise<ServicePrincipal[] | null> {
  const { ctx, name } = run;
  const full = (why: string) => {
    ctx.coverage.note(name, `full read of service principals: ${why}`);
    return null;
  };
  let round: DeltaRound;
  let before: Map<string, ServicePrincipal> | null;
  try {
    // The round is in flight while the previous snapshot is read from the store.
    [round, before] = await Promise.all([
      readDeltaRound(s, plan.link, DELTA_INFO),
      reads
        ? reads.take(PREVIOUS_SERVICE_PRINCIPALS, () => previousServicePrincipals(run))
        : previousServicePrincipals(run),
    ]);
  } catch (err) {
    if (!needsFullSync(err)) throw err;
    return full(`the delta link of scan #${plan.scanId} expired (${(err as Error).message})`);
  }
  if (before === null)
    return full(`the service principals of scan #${plan.scanId} cannot be read back from the store`);
  for (const id of round.removed) before.delete(id.toLowerCase());
  for (const [id, props] of round.changed) {
    const key = id.toLowerCase();
    // An update may hold only the properties that changed: laid over the stored object.
    const merged = ServicePrincipal.safeParse({ ...(before.get(key) ?? {}), ...props });
    if (!merged.success) return full(`the delta names service principal ${id}, which cannot be rebuilt`);
    before.set(key, merged.data);
  }
  ctx.state?.set(SERVICE_PRINCIPALS_DELTA_LINK, round.deltaLink);
  ctx.coverage.note(
    name,
    `incremental: servicePrincipals delta since scan #${plan.scanId}: ${round.changed.size} changed, ${round.removed.size} removed`,
  );
  return [...before.values()];
}
