import { z } from 'zod';
import type { CollectorRun } from '../../src/connector/collector.js';
import type { ConnectorContext } from '../../src/connector/context.js';
import { ApiError } from '../../src/errors.js';
import type { PrincipalRef } from '../../src/model/common.js';
import type { Identity } from '../../src/model/identity.js';
import { select } from './client.js';
import { inTurns, type PreviousReads } from './previous-reads.js';
import type { Application, ServicePrincipal } from './schema.js';
import type { Session } from './session.js';

/**
 * Owners on a rescan: only the service principals whose owners may have changed since the previous
 * scan are read again; the others keep the owners that scan stored. What can change an identity's
 * owners, and how each is seen, from what Microsoft documents only:
 *
 * - an owner added to or removed from a service principal or an app registration: the directory audit
 *   log, "Add owner to service principal", "Remove owner from service principal", "Add owner to
 *   application", "Remove owner from application" (Microsoft Entra audit log categories and activities,
 *   https://learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities), read with
 *   `$filter` on activityDateTime (`ge`) and activityDisplayName (`eq`), the operators their
 *   descriptions list (https://learn.microsoft.com/graph/api/resources/directoryaudit);
 * - an owner user disabled, renamed, deleted or restored: users delta
 *   (https://learn.microsoft.com/graph/api/user-delta; `$deltatoken=latest` starts from now,
 *   https://learn.microsoft.com/graph/delta-query-overview), whose `@removed` says deleted;
 * - an owner service principal disabled, renamed or deleted: this scan's own service principal list;
 * - a service principal new since, or whose owners the previous scan did not know: read;
 * - a deleted owner restored (its owner links come back with it): remembered when its deletion is
 *   seen (`OWNERS_DELETED`), and the service principals it owned are read when it reappears.
 *
 * A full read instead (and a coverage note saying why): on a first scan, under `--full`, when the
 * state is from another scan than the previous one, when the audit cursor is older than the 7 days an
 * Entra ID Free tenant keeps audit logs ("Audit logs: 7 days", Free; 30 days P1/P2,
 * https://learn.microsoft.com/entra/identity/monitoring-health/reference-reports-data-retention), when
 * the audit log is refused (403: AuditLog.Read.All and Directory.Read.All are both needed,
 * directoryaudit-list#permissions) and when the users delta link expired (syncStateNotFound, 410).
 */
const DAY = 86_400_000;

export const OWNERS_AUDIT_CURSOR = 'owners.auditCursor';
export const OWNERS_USERS_DELTA_LINK = 'owners.usersDeltaLink';
/**
 * Owners that were deleted (a user users delta reported removed, a service principal gone from the
 * list), with the service principals they owned, as JSON: restoring one brings its owner links back
 * with no owner activity in the audit log ("Restore user"), so those service principals are read
 * again when it reappears. Kept for the 30 days a deleted object can be restored
 * (https://learn.microsoft.com/graph/api/directory-deleteditems-restore: "deleted items ... remain
 * available to restore for up to 30 days").
 */
export const OWNERS_DELETED = 'owners.deletedOwners';
const RESTORE_WINDOW_MS = 30 * DAY;

const DeletedOwners = z.record(
  z.string(),
  z.object({ at: z.string(), servicePrincipals: z.array(z.string()) }),
);
type DeletedOwners = z.infer<typeof DeletedOwners>;

function storedDeletedOwners(value: { value: string; scanId: number } | undefined, scanId: number | null) {
  if (!value || value.scanId !== scanId) return {};
  try {
    return DeletedOwners.parse(JSON.parse(value.value));
  } catch {
    return {};
  }
}

export const OWNER_ACTIVITIES = [
  'Add owner to service principal',
  'Remove owner from service principal',
  'Add owner to application',
  'Remove owner from application',
] as const;

/** The retention every tenant has (Entra ID Free). */
const AUDIT_RETENTION_MS = 7 * DAY;
/**
 * How far back of the scan's start the next audit read begins. An entry is written some time after
 * its activity (Microsoft gives typical audit log latencies of minutes, not a bound:
 * https://learn.microsoft.com/entra/identity/monitoring-health/reference-reports-latencies), and is
 * dated by the activity: an hour of overlap re-reads a few entries rather than missing a late one.
 */
export const AUDIT_OVERLAP_MS = 3_600_000;

const USER_FIELDS = ['id', 'accountEnabled', 'userPrincipalName', 'displayName'] as const;
const USERS_DELTA_INFO = { api: 'GET /users/delta', requiredPermission: 'User.Read.All' };
const AUDIT_INFO = { api: 'GET /auditLogs/directoryAudits', requiredPermission: 'AuditLog.Read.All' };

const DeltaPage = z.object({
  value: z.array(z.looseObject({ id: z.string(), '@removed': z.looseObject({}).optional() })),
  '@odata.nextLink': z.string().optional(),
  '@odata.deltaLink': z.string().optional(),
});

const AuditEntry = z.looseObject({
  activityDisplayName: z.string(),
  targetResources: z
    .array(z.looseObject({ id: z.string().nullable().optional() }))
    .nullable()
    .optional(),
});

/** What the owners collector reads and what it carries. */
export interface OwnerReadPlan {
  /** Owners kept from the previous snapshot, by service principal id (lower case). */
  carried: Map<string, PrincipalRef[]>;
}

function refused(err: unknown): boolean {
  return err instanceof ApiError && err.status === 403;
}

function expired(err: unknown): boolean {
  return (
    err instanceof ApiError &&
    (err.status === 410 || /syncStateNotFound|syncStateInvalid|resyncRequired/i.test(err.message))
  );
}

/** Ids of users changed or removed since the link, and the link for next time. */
async function readUserChanges(s: Session, link: string) {
  const changed = new Set<string>();
  const removed = new Set<string>();
  const seen = new Set<string>();
  let next: string | undefined = link;
  while (next) {
    if (seen.has(next)) {
      throw new ApiError('microsoft-graph', 200, 'delta paging did not advance: a nextLink repeated', {
        method: 'GET',
        path: '/users/delta',
      });
    }
    seen.add(next);
    const body: z.infer<typeof DeltaPage> = await s.graph.read(next, DeltaPage, USERS_DELTA_INFO);
    // An object may appear more than once in a round ("Replays"): the last word wins.
    for (const o of body.value) {
      const id = o.id.toLowerCase();
      changed.add(id);
      if (o['@removed']) removed.add(id);
      else removed.delete(id);
    }
    if (body['@odata.deltaLink']) return { changed, removed, deltaLink: body['@odata.deltaLink'] };
    next = body['@odata.nextLink'];
  }
  throw new ApiError('microsoft-graph', 200, 'a delta round ended without a deltaLink', {
    method: 'GET',
    path: '/users/delta',
  });
}

/** Ids named by owner activities since `cursor` (objects and owners alike, lower case). */
async function readOwnerAudits(s: Session, cursor: string): Promise<{ ids: Set<string>; entries: number }> {
  // `and` binds tighter than `or` (OData): one time bound per activity.
  const filter = OWNER_ACTIVITIES.map(
    (a) => `activityDateTime ge ${cursor} and activityDisplayName eq '${a}'`,
  ).join(' or ');
  const ids = new Set<string>();
  let entries = 0;
  for await (const page of s.graph.list(
    `/auditLogs/directoryAudits?$filter=${encodeURIComponent(filter)}`,
    AuditEntry,
    AUDIT_INFO,
  )) {
    for (const e of page) {
      entries += 1;
      for (const t of e.targetResources ?? []) if (t.id) ids.add(t.id.toLowerCase());
    }
  }
  return { ids, entries };
}

/** The fields of a stored identity that its kept owners are read from. */
export const OWNER_FIELDS = ['nativeId', 'ownersKnown', 'owners'] as const;

/** Adds the owners a stored identity (read with at least `OWNER_FIELDS`) knew to `out`. */
export function addKeptOwners(
  identity: Pick<Identity, 'nativeId' | 'ownersKnown' | 'owners'> | null,
  out: Map<string, PrincipalRef[]>,
): void {
  // Rebuilt in the order of a fresh read's fields (the store keeps them sorted by name): a record
  // carrying kept owners is then the same JSON as one of owners read again, and its records digest
  // (records-carry.ts) the same.
  if (identity?.ownersKnown)
    out.set(
      identity.nativeId.toLowerCase(),
      identity.owners.map((o) => ({ id: o.id, name: o.name, type: o.type, active: o.active })),
    );
}

/** Owners per service principal in the previous snapshot, for those whose owners it knew. */
async function previousOwners(run: Pick<CollectorRun, 'ctx'>): Promise<Map<string, PrincipalRef[]>> {
  const out = new Map<string, PrincipalRef[]>();
  // Three fields of each identity: the rest (its raw object, app roles) is not parsed.
  const filter = {
    kinds: ['service-principal'],
    types: ['identity' as const],
    fields: [...OWNER_FIELDS],
  };
  for await (const b of inTurns(run.ctx.previous.bundles(filter))) addKeptOwners(b.identity, out);
  return out;
}

/** Whether a kept owner still reads the same, as far as this scan can tell without asking. */
function ownerStillSame(
  o: PrincipalRef,
  changedUsers: ReadonlySet<string>,
  spsById: ReadonlyMap<string, ServicePrincipal>,
): boolean {
  if (o.type === 'user') return !changedUsers.has(o.id.toLowerCase());
  if (o.type === 'service') {
    const sp = spsById.get(o.id.toLowerCase());
    return sp !== undefined && sp.displayName === o.name && sp.accountEnabled === o.active;
  }
  return false;
}

/**
 * Which owners can be carried from the previous snapshot, and sets the state the next scan needs. Call
 * before reading any owner: a change made while they are read then shows next time.
 */
/**
 * Why this scan reads owners in full, from the stored state alone (no request), or null when it can
 * read the changes since the previous scan. Also null without a store behind the scan (nothing kept).
 */
export function ownersFullReadReason(s: Pick<Session, 'endpoints'>, ctx: ConnectorContext): string | null {
  const state = ctx.state;
  if (!state) return null;
  const link = state.get(OWNERS_USERS_DELTA_LINK);
  const cursor = state.get(OWNERS_AUDIT_CURSOR);
  if (state.fullResync) return '--full';
  if (!link || !cursor) return 'no audit cursor and users delta link from a previous scan';
  if (link.scanId !== ctx.previous.scanId || cursor.scanId !== ctx.previous.scanId)
    return `the owners state is from scan #${link.scanId}, not the previous scan #${ctx.previous.scanId}`;
  if (!link.value.startsWith(`${s.endpoints.graphBaseUrl}/`))
    return `the stored users delta link is not on ${s.endpoints.graphBaseUrl}`;
  if (!(Date.parse(cursor.value) > ctx.clock.now().getTime() - AUDIT_RETENTION_MS))
    return `the audit cursor ${cursor.value} is older than the 7 days every tenant keeps audit logs`;
  return null;
}

/**
 * The users delta link of now (`$deltatoken=latest`) for the next scan, or why there is none. On a
 * full read it is taken before any owner is read: a user changed while they are read then shows next
 * time.
 */
export async function latestUsersDeltaLink(s: Session): Promise<{ link: string | null; failure?: string }> {
  try {
    const latest = await s.graph.read(
      `/users/delta?$deltatoken=latest&${select(USER_FIELDS)}`,
      DeltaPage,
      USERS_DELTA_INFO,
    );
    return { link: latest['@odata.deltaLink'] ?? null };
  } catch (err) {
    // No link (not offered, refused): the next scan reads owners in full too.
    return { link: null, failure: err instanceof Error ? err.message : String(err) };
  }
}

/** The key under which the previous owners are read early (previous-reads.ts). */
export const PREVIOUS_OWNERS = 'owners.previous';

/**
 * On a rescan that will read only the owners that may have changed (`ownersFullReadReason`: no request),
 * start reading the previous snapshot's owners from the store now, for `planOwnerReads` to take.
 */
export function startPreviousOwners(
  s: Pick<Session, 'endpoints'>,
  ctx: ConnectorContext,
  reads: PreviousReads,
): void {
  // Started already with the previous service principals (`startPreviousServicePrincipals`).
  if (reads.has(PREVIOUS_OWNERS)) return;
  if (ownersKeepable(s, ctx)) reads.start(PREVIOUS_OWNERS, () => previousOwners({ ctx }));
}

/** Whether this scan may keep owners from the previous snapshot (reads them back), from the state alone. */
export function ownersKeepable(s: Pick<Session, 'endpoints'>, ctx: ConnectorContext): boolean {
  return !!ctx.state && ownersFullReadReason(s, ctx) === null;
}

export async function planOwnerReads(
  s: Session,
  run: Pick<CollectorRun, 'ctx' | 'name'>,
  wanted: readonly ServicePrincipal[],
  homeApps: readonly Application[],
  sps: readonly ServicePrincipal[],
  /** The users delta link taken before owners were read early (owners-early.ts), on a full read. */
  latestLink?: Promise<{ link: string | null; failure?: string }>,
  /** Where the previous owners may be read already (`startPreviousOwners`). */
  reads?: PreviousReads,
): Promise<OwnerReadPlan> {
  const { ctx, name } = run;
  const state = ctx.state;
  const carried = new Map<string, PrincipalRef[]>();
  // Without a store behind the scan nothing could be kept for next time, nor was anything kept.
  if (!state) return { carried };
  const now = ctx.clock.now().getTime();
  const nextCursor = new Date(now - AUDIT_OVERLAP_MS).toISOString();
  const link = state.get(OWNERS_USERS_DELTA_LINK);
  const cursor = state.get(OWNERS_AUDIT_CURSOR);
  let nextLink: string | null = null;
  let full = ownersFullReadReason(s, ctx);
  let deletedOwners: DeletedOwners = {};

  if (full === null) {
    try {
      // Independent reads, at once: the users delta and the audit log are in flight while the
      // previous snapshot is read from the store.
      const [users, audits, previous] = await Promise.all([
        readUserChanges(s, link!.value),
        readOwnerAudits(s, cursor!.value),
        reads ? reads.take(PREVIOUS_OWNERS, () => previousOwners(run)) : previousOwners(run),
      ]);
      const spsById = new Map(sps.map((sp) => [sp.id.toLowerCase(), sp]));
      const appOf = new Map(homeApps.map((a) => [a.appId.toLowerCase(), a.id.toLowerCase()]));
      // Deleted owners that are back: the service principals they owned are read again.
      deletedOwners = storedDeletedOwners(state.get(OWNERS_DELETED), ctx.previous.scanId);
      const restoredOf = new Set<string>();
      for (const [ownerId, entry] of Object.entries(deletedOwners)) {
        const back = (users.changed.has(ownerId) && !users.removed.has(ownerId)) || spsById.has(ownerId);
        if (back) for (const sp of entry.servicePrincipals) restoredOf.add(sp);
        if (back || !(Date.parse(entry.at) > now - RESTORE_WINDOW_MS)) delete deletedOwners[ownerId];
      }
      const deletedAt = new Date(now).toISOString();
      let fresh = 0;
      for (const sp of wanted) {
        const id = sp.id.toLowerCase();
        const before = previous.get(id);
        if (!before) {
          fresh += 1;
          continue;
        }
        for (const o of before) {
          const ownerId = o.id.toLowerCase();
          const deleted =
            (o.type === 'user' && users.removed.has(ownerId)) ||
            (o.type === 'service' && !spsById.has(ownerId));
          if (!deleted) continue;
          deletedOwners[ownerId] ??= { at: deletedAt, servicePrincipals: [] };
          const entry = deletedOwners[ownerId];
          if (!entry.servicePrincipals.includes(id)) entry.servicePrincipals.push(id);
        }
        const app = appOf.get(sp.appId.toLowerCase());
        if (audits.ids.has(id) || (app !== undefined && audits.ids.has(app))) continue;
        if (restoredOf.has(id)) continue;
        if (!before.every((o) => ownerStillSame(o, users.changed, spsById))) continue;
        carried.set(id, before);
      }
      nextLink = users.deltaLink;
      ctx.coverage.note(
        name,
        `incremental: owners since scan #${ctx.previous.scanId}: ${audits.entries} owner change(s) in the audit log, ${users.changed.size} user(s) changed or removed; ${wanted.length - carried.size} service principal(s) re-read (${fresh} new or with owners unknown before), ${carried.size} kept`,
      );
    } catch (err) {
      if (refused(err)) full = `the audit log or users delta was refused (${(err as Error).message})`;
      else if (expired(err)) full = `the users delta link expired (${(err as Error).message})`;
      else throw err;
      carried.clear();
      deletedOwners = {};
    }
  }
  if (full !== null) {
    ctx.coverage.note(name, `full read of owners: ${full}`);
    const latest = await (latestLink ?? latestUsersDeltaLink(s));
    nextLink = latest.link;
    if (latest.failure !== undefined)
      ctx.coverage.note(name, `no users delta link for the next scan: ${latest.failure}`);
  }
  state.set(OWNERS_USERS_DELTA_LINK, nextLink);
  state.set(OWNERS_AUDIT_CURSOR, nextLink === null ? null : nextCursor);
  // A full read sees every owner as it is: nothing deleted is pending.
  state.set(
    OWNERS_DELETED,
    nextLink !== null && Object.keys(deletedOwners).length > 0 ? JSON.stringify(deletedOwners) : null,
  );
  return { carried };
}
