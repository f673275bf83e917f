import { z } from 'zod';
import type { GrantInput, IdentityInput, PrincipalRef } from '../../../src/model/index.js';
import type { IdentityBundle } from '../../../src/store/store.js';
import { type CallSpec, callGoogle } from '../api.js';
import type { PreviousScan } from '../previous-scan.js';
import { delegatedScopeRisk } from '../risk.js';
import { COLLECTOR, eachPage, type GoogleScan, PLATFORM, previousOverlapsWindow } from '../scan-context.js';
import { ActivitiesPage, type Activity, parameterValues } from '../schema.js';
import type { GcpProject } from './gcp-projects.js';
import { projectNumber, projectOwners, type ServiceAccountInfo } from './service-accounts.js';
import { ownersJudged, type UserLookup } from './users.js';

export const ADMIN_EVENTS_SPEC: CallSpec = {
  api: 'Admin SDK Reports API',
  method: 'GET',
  path: '/admin/reports/v1/activity/users/all/applications/admin',
  requiredPermission:
    'domain-wide delegation of https://www.googleapis.com/auth/admin.reports.audit.readonly; the subject needs the Reports admin privilege',
};

const AUTHORIZE = 'AUTHORIZE_API_CLIENT_ACCESS';
const REMOVE = 'REMOVE_API_CLIENT_ACCESS';
const FIELDS =
  'nextPageToken,items(id(time,uniqueQualifier),actor(email,profileId),events(name,parameters(name,value,multiValue)))';
const MANAGE_URL = 'https://admin.google.com/ac/owl/domainwidedelegation';
const CONFIRM_IN_CONSOLE = 'Admin console → Security → API controls → Domain-wide delegation';
const KIND = 'domain-wide-delegation';
const MAX_LISTED = 10;

interface DelegationChange {
  at: string;
  action: 'authorize' | 'remove';
  by: { email: string | null; id: string | null };
  scopes: string[];
}

/** A client id that holds domain-wide delegation at the end of the replay. */
export interface Delegation {
  clientId: string;
  scopes: string[];
  /** The authorization in force (the latest `AUTHORIZE_API_CLIENT_ACCESS`). */
  authorizedAt: string;
  authorizedBy: { email: string | null; id: string | null };
  /** First authorization since the client was last removed (or since the audit log was first read). */
  since: string;
  /** Changes seen in this window, after those earlier scans saw that have aged out of it. */
  history: DelegationChange[];
  /** Set when this window has no event of it: carried over from the previous snapshot. */
  carried: CarriedFrom | null;
}

/** Where a carried delegation was last seen in the audit log. Fixed once set, so carried records stay equal. */
export interface CarriedFrom {
  /** The last scan whose window still held its authorize event. */
  scanId: number | null;
  /** When that scan ran. */
  lastSeenInAuditLog: string | null;
}

export interface DelegationState {
  /** In force at the end of the replay: seen in this window, or carried over from the previous snapshot. */
  active: Map<string, Delegation>;
  removed: Array<{ clientId: string; at: string }>;
  events: number;
}

/** API_SCOPES arrives as a multiValue, or as one comma/space separated string. */
function scopesOf(params: Parameters<typeof parameterValues>[0]): string[] {
  return parameterValues(params, 'API_SCOPES')
    .flatMap((v) => v.split(/[,\s]+/))
    .filter(Boolean);
}

/**
 * No Google API lists domain-wide delegations (they exist only in the Admin console), so they are rebuilt by
 * replaying the Admin audit events AUTHORIZE_API_CLIENT_ACCESS / REMOVE_API_CLIENT_ACCESS of the window,
 * oldest first: an authorize sets the client's scopes (a later one replaces them), a remove ends it.
 *
 * The log reaches back about six months, so a delegation authorized once and never changed drops out of
 * the window although it is still in force. The replay therefore starts from the delegations of the
 * previous snapshot: one with no event in this window is carried over as it was (nothing says it was
 * removed), one removed in the window ends, one re-authorized takes the fresh data. Only the first scan
 * of a tenant cannot see delegations older than the window; coverage says so.
 */
export async function collectDelegations(scan: GoogleScan): Promise<DelegationState> {
  const { apis, windowStart, now, ctx } = scan;
  const earlier = await previousDelegations(scan);
  const changes: Array<DelegationChange & { clientId: string; q: string }> = [];
  const list = (eventName: string) =>
    eachPage(
      ADMIN_EVENTS_SPEC,
      (pageToken) =>
        callGoogle(apis, ADMIN_EVENTS_SPEC, ActivitiesPage, () =>
          apis.reports.activities.list({
            userKey: 'all',
            applicationName: 'admin',
            eventName,
            startTime: windowStart.toISOString(),
            endTime: now.toISOString(),
            maxResults: 1000,
            pageToken,
            fields: FIELDS,
          }),
        ),
      (page) => {
        for (const a of page.items ?? []) collect(a);
      },
    );
  const seen = new Set<string>();
  const collect = (a: Activity) => {
    for (const e of a.events ?? []) {
      if (e.name !== AUTHORIZE && e.name !== REMOVE) continue;
      const clientId = parameterValues(e.parameters, 'API_CLIENT_NAME')[0];
      if (!clientId) continue;
      const q = `${a.id.time}|${a.id.uniqueQualifier ?? ''}|${e.name}|${clientId}`;
      if (seen.has(q)) continue;
      seen.add(q);
      changes.push({
        clientId,
        q,
        at: a.id.time,
        action: e.name === AUTHORIZE ? 'authorize' : 'remove',
        by: { email: a.actor?.email ?? null, id: a.actor?.profileId ?? null },
        scopes: e.name === AUTHORIZE ? scopesOf(e.parameters) : [],
      });
    }
  };
  await Promise.all([list(AUTHORIZE), list(REMOVE)]);

  changes.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : x.q.localeCompare(y.q)));
  // Start from the previous snapshot; the window's events, replayed on top, win wherever they say something.
  const active = new Map(earlier);
  const from = windowStart.toISOString();
  // History: what earlier scans saw before this window, then this window's events.
  const history = new Map<string, DelegationChange[]>(
    [...earlier.values()].map((d) => [
      d.clientId,
      d.history.filter((h) => Date.parse(h.at) < windowStart.getTime()),
    ]),
  );
  const removed: Array<{ clientId: string; at: string }> = [];
  for (const { clientId, q: _q, ...change } of changes) {
    const h = history.get(clientId) ?? [];
    h.push(change);
    history.set(clientId, h);
    if (change.action === 'authorize') {
      const prev = active.get(clientId);
      active.set(clientId, {
        clientId,
        scopes: [...new Set(change.scopes)],
        authorizedAt: change.at,
        authorizedBy: change.by,
        since: prev?.since ?? change.at,
        history: h,
        carried: null,
      });
    } else {
      active.delete(clientId);
      removed.push({ clientId, at: change.at });
    }
  }
  const carried = [...active.values()].filter((d) => d.carried);
  ctx.coverage.countItems(COLLECTOR.delegation, changes.length);
  ctx.coverage.note(
    COLLECTOR.delegation,
    `rebuilt from Admin audit events ${AUTHORIZE}/${REMOVE} between ${from} and ${now.toISOString()} ` +
      `(${changes.length} events; ${plural(active.size, 'delegation')} in force (${carried.length} carried over), ` +
      `${removed.length} removed). No API lists domain-wide delegation and the log reaches back about 180 days: ` +
      (ctx.previous.scanId === null
        ? `this is the first scan of this tenant, so a delegation authorized before ${from} and not changed since ` +
          `is not visible here (check ${CONFIRM_IN_CONSOLE}); later scans keep what this one saw.`
        : `delegations of scan #${ctx.previous.scanId} without an event in the window are carried over.`),
  );
  if (carried.length > 0) {
    const ids = carried.map((d) => d.clientId).sort();
    ctx.coverage.note(
      COLLECTOR.delegation,
      `${plural(carried.length, 'delegation')} ${carried.length === 1 ? 'was' : 'were'} carried over from earlier scans because ` +
        `${carried.length === 1 ? 'its' : 'their'} authorize event is older than ${from} and no removal followed ` +
        `(attribute visibleInAuditLog: false): ${ids.slice(0, MAX_LISTED).join(', ')}` +
        `${ids.length > MAX_LISTED ? ` and ${ids.length - MAX_LISTED} more` : ''}. ` +
        `No API can confirm them: confirm them in the ${CONFIRM_IN_CONSOLE}.`,
    );
  }
  if (ctx.previous.scanId !== null && !previousOverlapsWindow(scan)) {
    ctx.coverage.note(
      COLLECTOR.delegation,
      `the previous scan (#${ctx.previous.scanId}, ${ctx.previous.scannedAt ?? 'time unknown'}) is older than the ` +
        `window start ${from}: a delegation removed between the two cannot be seen and would still be carried over.`,
    );
  }
  return { active, removed, events: changes.length };
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The parts of a stored delegation the replay starts from; each falls back to the model fields. */
const StoredDelegation = z.object({
  attributes: z.object({
    scopes: z.array(z.string()).optional().catch(undefined),
    authorizedAt: z.iso.datetime({ offset: true }).optional().catch(undefined),
    authorizedBy: z.string().nullable().optional().catch(undefined),
    history: z
      .array(
        z.object({
          at: z.iso.datetime({ offset: true }),
          action: z.enum(['authorize', 'remove']),
          by: z.string().nullable(),
          scopes: z.array(z.string()),
        }),
      )
      .optional()
      .catch(undefined),
    visibleInAuditLog: z.boolean().optional().catch(undefined),
    carriedFromScan: z.number().int().nullable().optional().catch(undefined),
    lastSeenInAuditLog: z.string().nullable().optional().catch(undefined),
  }),
  raw: z
    .object({
      scopes: z.array(z.string()).optional().catch(undefined),
      authorizedById: z.string().nullable().optional().catch(undefined),
    })
    .catch({}),
});

/**
 * The delegations of the previous snapshot, as the replay's starting point, each marked as carried from
 * where it was last seen in the audit log (kept when it was already carried then).
 */
async function previousDelegations(scan: GoogleScan): Promise<Map<string, Delegation>> {
  const { previous } = scan.ctx;
  const out = new Map<string, Delegation>();
  for await (const bundle of previous.bundles({ kinds: [KIND] })) {
    const d = storedDelegation(bundle, { scanId: previous.scanId, lastSeenInAuditLog: previous.scannedAt });
    if (d) out.set(d.clientId, d);
  }
  return out;
}

function storedDelegation(bundle: IdentityBundle, seenIn: CarriedFrom): Delegation | undefined {
  const identity = bundle.identity;
  if (!identity || identity.kind !== KIND || identity.collector !== COLLECTOR.delegation) return undefined;
  const { attributes: a, raw } = StoredDelegation.parse({
    attributes: identity.attributes,
    raw: identity.raw ?? {},
  });
  const grants = bundle.grants.filter((g) => g.collector === COLLECTOR.delegation);
  const authorizedAt = a.authorizedAt ?? grants[0]?.grantedAt ?? identity.createdAt;
  if (!authorizedAt) return undefined;
  return {
    clientId: identity.nativeId,
    scopes: raw.scopes ?? a.scopes ?? grants.map((g) => g.permission.id),
    authorizedAt,
    authorizedBy: {
      email: a.authorizedBy ?? grants[0]?.grantedBy?.name ?? null,
      id: raw.authorizedById ?? null,
    },
    since: identity.createdAt ?? authorizedAt,
    history: (a.history ?? []).map((h) => ({
      at: h.at,
      action: h.action,
      by: { email: h.by, id: null },
      scopes: h.scopes,
    })),
    carried:
      a.visibleInAuditLog === false
        ? { scanId: a.carriedFromScan ?? null, lastSeenInAuditLog: a.lastSeenInAuditLog ?? null }
        : seenIn,
  };
}

export interface DelegationJoin {
  /** Who is active: this scan's directory, or the previous snapshot's statuses when users failed. */
  users: UserLookup;
  /** Service accounts by OAuth client id (= uniqueId). */
  accountsByClientId: Map<string, ServiceAccountInfo>;
  /** Whether every visible service account was listed (else an unmatched client id may still be ours). */
  accountsComplete: boolean;
  projects: Map<string, GcpProject>;
  /** For the joined fields whose source failed this time. */
  previous: PreviousScan;
  scannerClientId: string | null;
  /** The Workspace primary domain (to tell deleted users from outside accounts). */
  domain: string;
}

/**
 * One `domain-wide-delegation` identity per client id (native id: the OAuth client id), joined to the GCP
 * service account whose `oauth2ClientId` it is, with one tenant-wide grant per delegated scope. Owners: the
 * admin who authorized it, and the owners of the service account's project when the account is ours.
 *
 * When the service accounts could not all be listed, a client id not among those listed is joined to the
 * service account the previous snapshot has for it, and otherwise keeps its previous origin; when a
 * project's owners could not be read, the previous ones stay (see `projectOwners`). So a delegation does
 * not change — name, origin, owners — only because a GCP collector failed.
 */
export function delegationRecords(
  scan: GoogleScan,
  state: DelegationState,
  join: DelegationJoin,
): Array<IdentityInput | GrantInput> {
  const out: Array<IdentityInput | GrantInput> = [];
  const retentionEnd = (t: string) => new Date(Date.parse(t) + 180 * 86_400_000).toISOString();
  for (const d of [...state.active.values()].sort((a, b) => a.clientId.localeCompare(b.clientId))) {
    const sa =
      join.accountsByClientId.get(d.clientId) ??
      (join.accountsComplete ? undefined : join.previous.serviceAccountsByClientId.get(d.clientId)?.info);
    const authorizer = adminRef(d.authorizedBy, join.users);
    const projectSide = sa
      ? projectOwners(sa, join.projects, join.users, join.previous, join.domain)
      : { owners: [], known: true };
    const owners = dedupeOwners([authorizer, ...projectSide.owners]);
    const isScanner = d.clientId === join.scannerClientId;
    out.push({
      type: 'identity',
      platform: PLATFORM,
      tenant: scan.tenant,
      kind: KIND,
      nativeId: d.clientId,
      displayName: sa ? (sa.displayName ?? sa.email) : `API client ${d.clientId}`,
      publisher: sa
        ? { name: sa.projectId, id: projectNumber(sa, join.projects, join.previous), verified: null }
        : { name: null, id: null, verified: null },
      // Our own service account (found in our projects) or the scanner itself; otherwise someone else's
      // client — unless the service accounts could not all be listed, when it cannot be told now.
      origin:
        sa || isScanner
          ? 'internal'
          : join.accountsComplete
            ? 'third-party'
            : (join.previous.delegations.get(d.clientId)?.origin ?? 'unknown'),
      createdAt: d.since,
      enabled: sa ? !sa.disabled : null,
      lastUsed: null,
      owners,
      ownersKnown: projectSide.known && ownersJudged(owners, join.users),
      manageUrl: MANAGE_URL,
      attributes: {
        clientId: d.clientId,
        serviceAccount: sa?.email ?? null,
        projectId: sa?.projectId ?? null,
        scopes: [...d.scopes].sort(),
        authorizedAt: d.authorizedAt,
        authorizedBy: d.authorizedBy.email,
        isScanner,
        history: d.history.map((h) => ({ at: h.at, action: h.action, by: h.by.email, scopes: h.scopes })),
        // After this the authorize event ages out of the audit log and the delegation can no longer be seen.
        visibleInAuditLogUntil: retentionEnd(d.authorizedAt),
        // Carried over: still in force as far as anyone can tell, but only the Admin console can confirm it.
        ...(d.carried
          ? {
              visibleInAuditLog: false,
              lastSeenInAuditLog: d.carried.lastSeenInAuditLog,
              carriedFromScan: d.carried.scanId,
            }
          : { visibleInAuditLog: true }),
      },
      collector: COLLECTOR.delegation,
      raw: {
        clientId: d.clientId,
        scopes: d.scopes,
        authorizedAt: d.authorizedAt,
        authorizedBy: d.authorizedBy.email,
        authorizedById: d.authorizedBy.id,
      },
    });
    for (const scope of d.scopes) {
      const { access, risk } = delegatedScopeRisk(scope);
      out.push({
        type: 'grant',
        platform: PLATFORM,
        tenant: scan.tenant,
        identity: { kind: KIND, nativeId: d.clientId },
        permission: { id: scope, name: scope, resource: null, nativeLevel: 'domain-wide-delegation', access },
        // Every user of the domain: no count, which would change the grant with every hire and leaver.
        target: {
          breadth: 'tenant',
          type: 'domain',
          id: scan.tenant.id,
          label: scan.tenant.name,
          resources: [],
          count: null,
        },
        grantedVia: 'delegation',
        grantedBy: authorizer,
        grantedAt: d.authorizedAt,
        principal: null,
        risk,
        attributes: {},
        collector: COLLECTOR.delegation,
        raw: { clientId: d.clientId, scope },
      });
    }
  }
  return out;
}

function adminRef(by: { email: string | null; id: string | null }, users: UserLookup): PrincipalRef {
  const u = (by.id ? users.byId(by.id) : undefined) ?? (by.email ? users.byEmail(by.email) : undefined);
  return {
    id: u?.id ?? by.id ?? by.email ?? 'unknown',
    name: u?.email ?? by.email,
    type: 'user',
    // Not in the directory any more (deleted) → inactive; not in last-known statuses → unknown.
    active: u ? u.active : users.complete ? false : null,
  };
}

function dedupeOwners(owners: PrincipalRef[]): PrincipalRef[] {
  return [...new Map(owners.map((o) => [o.id, o] as const)).values()];
}
