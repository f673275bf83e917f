import { z } from 'zod';
import type { CollectorRun } from '../../src/connector/collector.js';
import { select } from './client.js';
import { latestDeltaLink, needsFullSync, readDeltaRound } from './delta-round.js';
import { inTurns, type PreviousReads } from './previous-reads.js';
import { OAuth2PermissionGrant, type ServicePrincipal } from './schema.js';
import type { Session } from './session.js';

/** The connector-state key of the oauth2PermissionGrants delta link. */
export const GRANTS_DELTA_LINK = 'oauth2PermissionGrants.deltaLink';

/**
 * The connector-state key of the grant objects that produce no record (a client not in the service
 * principal list, an empty scope), as JSON: the records cannot rebuild them, so the next scan takes
 * them from here. Kept with the link, and read only with it.
 */
export const GRANTS_UNRECORDED = 'oauth2PermissionGrants.unrecorded';

/** Beyond this many unrecorded grant objects the state would grow large: the next scan reads in full. */
const MAX_UNRECORDED = 500;

const DELTA_INFO = { api: 'GET /oauth2PermissionGrants/delta', requiredPermission: 'Directory.Read.All' };

/**
 * The unrecorded grant objects kept with the link (none when the key is absent: the scan that kept the
 * link had none); null when they cannot be used (from another scan, or not grant objects).
 */
function storedUnrecorded(
  value: { value: string; scanId: number } | undefined,
  linkScanId: number,
): OAuth2PermissionGrant[] | null {
  if (!value) return [];
  if (value.scanId !== linkScanId) return null;
  try {
    const parsed = z.array(OAuth2PermissionGrant).safeParse(JSON.parse(value.value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The grant objects the previous snapshot was built from: each grant record keeps its object as `raw`.
 * One object gives a record per scope (and per user of an all-users grant): it is checked once.
 */
async function previousGrants(
  run: Pick<CollectorRun, 'ctx' | 'name'>,
): Promise<Map<string, OAuth2PermissionGrant>> {
  const out = new Map<string, OAuth2PermissionGrant>();
  // The grant objects only: the rest of each record (one per scope) is not parsed.
  const filter = {
    kinds: ['service-principal'],
    types: ['grant' as const],
    collectors: [run.name],
    fields: ['collector', 'raw'],
  };
  for await (const bundle of inTurns(run.ctx.previous.bundles(filter))) {
    for (const g of bundle.grants) {
      if (g.collector !== run.name) continue;
      const id = (g.raw as { id?: unknown } | null)?.id;
      if (typeof id === 'string' && out.has(id)) continue;
      const raw = OAuth2PermissionGrant.safeParse(g.raw);
      if (raw.success) out.set(raw.data.id, raw.data);
    }
  }
  return out;
}

/** The key under which the previous grant objects are read early (previous-reads.ts). */
const PREVIOUS_GRANTS = 'oauth2PermissionGrants.previous';

/**
 * On a rescan that will apply a delta round to the previous grant objects (`readGrantObjects`' checks
 * of the stored state, no request): start reading those objects from the store now, for
 * `readGrantObjects` to take.
 */
export function startPreviousGrants(
  s: Session,
  run: Pick<CollectorRun, 'ctx' | 'name'>,
  reads: PreviousReads,
): void {
  const state = run.ctx.state;
  const stored = state?.get(GRANTS_DELTA_LINK);
  if (!state || state.fullResync || !stored || stored.scanId !== run.ctx.previous.scanId) return;
  if (!stored.value.startsWith(`${s.endpoints.graphBaseUrl}/`)) return;
  if (storedUnrecorded(state.get(GRANTS_UNRECORDED), stored.scanId) === null) return;
  reads.start(PREVIOUS_GRANTS, () => previousGrants(run));
}

/**
 * Every delegated grant of the tenant. With a delta link kept by the previous scan, only what changed
 * since is read, applied to the grant objects that scan stored; else the whole list, after asking for a
 * link to start from next time (`$deltatoken=latest`, "sync from now", read before the list so that a
 * change during the list shows again next time rather than not at all).
 *
 * A grant of a client that is not in the service principal list, or one without scopes, emits no
 * record, so the next scan could not rebuild it from the snapshot: those objects are kept in the
 * connector state with the link. The link is kept only if this collector completes (the engine drops
 * it otherwise).
 */
export async function readGrantObjects(
  s: Session,
  run: Pick<CollectorRun, 'ctx' | 'name'>,
  fields: readonly string[],
  sps: readonly ServicePrincipal[],
  /** Where the previous grant objects may be read already (`startPreviousGrants`). */
  reads?: PreviousReads,
): Promise<OAuth2PermissionGrant[]> {
  const { ctx, name } = run;
  const state = ctx.state;
  const stored = state?.get(GRANTS_DELTA_LINK);
  let grants: OAuth2PermissionGrant[] | null = null;
  let nextLink: string | null = null;
  if (state?.fullResync) ctx.coverage.note(name, 'full read: --full');
  const onOrigin = stored?.value.startsWith(`${s.endpoints.graphBaseUrl}/`) ?? false;
  if (stored && !onOrigin) {
    ctx.coverage.note(name, `full read: the stored delta link is not on ${s.endpoints.graphBaseUrl}`);
  } else if (stored && stored.scanId === ctx.previous.scanId) {
    const kept = storedUnrecorded(state?.get(GRANTS_UNRECORDED), stored.scanId);
    if (kept === null)
      ctx.coverage.note(name, 'full read: the grant objects kept with the delta link are unreadable');
    else
      try {
        // The delta round is in flight while the previous snapshot is read from the store.
        const [round, before] = await Promise.all([
          readDeltaRound(s, stored.value, DELTA_INFO),
          reads ? reads.take(PREVIOUS_GRANTS, () => previousGrants(run)) : previousGrants(run),
        ]);
        for (const g of kept) before.set(g.id, g);
        for (const id of round.removed) before.delete(id);
        for (const [id, o] of round.changed) {
          const merged = OAuth2PermissionGrant.parse({ ...(before.get(id) ?? {}), ...o });
          before.set(id, merged);
        }
        grants = [...before.values()];
        nextLink = round.deltaLink;
        ctx.coverage.note(
          name,
          `incremental: oauth2PermissionGrants delta since scan #${stored.scanId}: ${round.changed.size} changed, ${round.removed.size} removed`,
        );
      } catch (err) {
        if (!needsFullSync(err)) throw err;
        ctx.coverage.note(
          name,
          `full read: the delta link of scan #${stored.scanId} expired (${(err as Error).message})`,
        );
      }
  } else if (stored) {
    ctx.coverage.note(
      name,
      `full read: the delta link is from scan #${stored.scanId}, not the previous scan #${ctx.previous.scanId}`,
    );
  }
  if (grants === null) {
    // Without a store behind the scan (ctx.state absent) a link could not be kept: not asked for.
    if (state) {
      nextLink = await latestDeltaLink(s, run, 'oauth2PermissionGrants', select(fields), DELTA_INFO);
    }
    grants = [];
    for await (const p of s.graph.list(
      `/oauth2PermissionGrants?${select(fields)}&$top=${s.config.pageSize}`,
      OAuth2PermissionGrant,
      { api: 'GET /oauth2PermissionGrants', requiredPermission: 'Directory.Read.All' },
    )) {
      grants.push(...p);
    }
  }
  const known = new Set(sps.map((sp) => sp.id.toLowerCase()));
  // A second grant object for the same client, resource and principal writes over the first one's
  // records, which then cannot be rebuilt from them: Entra does not allow one (generated-directory.ts
  // cites why), so seeing one means reading in full next time.
  const pairs = new Set<string>();
  let repeated = 0;
  const unrecorded: OAuth2PermissionGrant[] = [];
  for (const g of grants) {
    const pair = `${g.clientId}|${g.resourceId}|${g.principalId ?? ''}`.toLowerCase();
    if (pairs.has(pair)) repeated += 1;
    pairs.add(pair);
    if (!known.has(g.clientId.toLowerCase()) || !(g.scope ?? '').trim()) unrecorded.push(g);
  }
  if (repeated > 0) {
    nextLink = null;
    ctx.coverage.note(
      name,
      `${repeated} grant object(s) repeat the client, resource and principal of another: the next scan reads the list in full`,
    );
  } else if (unrecorded.length > MAX_UNRECORDED) {
    nextLink = null;
    ctx.coverage.note(
      name,
      `${unrecorded.length} grant object(s) produce no record of their own (unknown client or no scope), more than the ${MAX_UNRECORDED} kept for the next scan: it reads the list in full`,
    );
  }
  state?.set(
    GRANTS_UNRECORDED,
    nextLink !== null && unrecorded.length > 0 ? JSON.stringify(unrecorded) : null,
  );
  state?.set(GRANTS_DELTA_LINK, nextLink);
  // List order on a full read. A rebuilt list may come in another order, which is harmless: the
  // link is kept only when no two grant objects give the same records (checked above).
  return grants;
}
