import type { GrantInput, IdentityInput, PrincipalRef } from '../../../src/model/index.js';
import { type CallSpec, callGoogle } from '../api.js';
import { delegatedScopeRisk } from '../risk.js';
import { COLLECTOR, eachPage, type GoogleScan, PLATFORM } from '../scan-context.js';
import { ActivitiesPage, type Activity, parameterValues } from '../schema.js';
import type { GcpProject } from './gcp-projects.js';
import { ownerRefs } from './gcp-projects.js';
import type { ServiceAccountInfo } from './service-accounts.js';
import type { UserDirectory } from './users.js';

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
  /** First authorization since the client was last removed (or since the window start). */
  since: string;
  history: DelegationChange[];
}

export interface DelegationState {
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
 * oldest first: an authorize sets the client's scopes (a later one replaces them), a remove ends it. The
 * log reaches back about six months, so a delegation granted earlier and never changed is not visible;
 * coverage says so.
 */
export async function collectDelegations(scan: GoogleScan): Promise<DelegationState> {
  const { apis, windowStart, now, ctx } = scan;
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
  const active = new Map<string, Delegation>();
  const history = new Map<string, DelegationChange[]>();
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
      });
    } else {
      active.delete(clientId);
      removed.push({ clientId, at: change.at });
    }
  }
  ctx.coverage.countItems(COLLECTOR.delegation, changes.length);
  ctx.coverage.note(
    COLLECTOR.delegation,
    `rebuilt from Admin audit events ${AUTHORIZE}/${REMOVE} between ${windowStart.toISOString()} and ${now.toISOString()} ` +
      `(${changes.length} events; ${active.size} delegations in force, ${removed.length} removed). ` +
      `No API lists domain-wide delegation and the log reaches back about 180 days: a delegation authorized before ` +
      `${windowStart.toISOString()} and not changed since is not visible here (check Admin console → Security → API controls → Domain-wide delegation).`,
  );
  return { active, removed, events: changes.length };
}

export interface DelegationJoin {
  users: UserDirectory | undefined;
  /** Service accounts by OAuth client id (= uniqueId). */
  accountsByClientId: Map<string, ServiceAccountInfo>;
  /** Whether every visible service account was listed (else an unmatched client id may still be ours). */
  accountsComplete: boolean;
  projects: Map<string, GcpProject>;
  scannerClientId: string | null;
  /** The Workspace primary domain (to tell deleted users from outside accounts). */
  domain: string;
}

/**
 * One `domain-wide-delegation` identity per client id (native id: the OAuth client id), joined to the GCP
 * service account whose `oauth2ClientId` it is, with one tenant-wide grant per delegated scope. Owners: the
 * admin who authorized it, and the owners of the service account's project when the account is ours.
 */
export function delegationRecords(
  scan: GoogleScan,
  state: DelegationState,
  join: DelegationJoin,
): Array<IdentityInput | GrantInput> {
  const out: Array<IdentityInput | GrantInput> = [];
  const retentionEnd = (t: string) => new Date(Date.parse(t) + 180 * 86_400_000).toISOString();
  for (const d of [...state.active.values()].sort((a, b) => a.clientId.localeCompare(b.clientId))) {
    const sa = join.accountsByClientId.get(d.clientId);
    const project = sa ? join.projects.get(sa.projectId) : undefined;
    const authorizer = adminRef(d.authorizedBy, join.users);
    const owners: PrincipalRef[] = [
      authorizer,
      ...(project ? ownerRefs(project.owners, join.users, join.domain) : []),
    ];
    out.push({
      type: 'identity',
      platform: PLATFORM,
      tenant: scan.tenant,
      kind: 'domain-wide-delegation',
      nativeId: d.clientId,
      displayName: sa ? (sa.displayName ?? sa.email) : `API client ${d.clientId}`,
      publisher: sa
        ? { name: sa.projectId, id: project?.number ?? null, verified: null }
        : { name: null, id: null, verified: null },
      // Our own service account (found in our projects) or the scanner itself; otherwise someone else's
      // client — unless the service accounts could not all be listed, when it cannot be told.
      origin:
        sa || d.clientId === join.scannerClientId
          ? 'internal'
          : join.accountsComplete
            ? 'third-party'
            : 'unknown',
      createdAt: d.since,
      enabled: sa ? !sa.disabled : null,
      lastUsed: null,
      owners: dedupeOwners(owners),
      manageUrl: MANAGE_URL,
      attributes: {
        clientId: d.clientId,
        serviceAccount: sa?.email ?? null,
        projectId: sa?.projectId ?? null,
        scopes: [...d.scopes].sort(),
        authorizedAt: d.authorizedAt,
        authorizedBy: d.authorizedBy.email,
        isScanner: d.clientId === join.scannerClientId,
        history: d.history.map((h) => ({ at: h.at, action: h.action, by: h.by.email, scopes: h.scopes })),
        // After this the authorize event ages out of the audit log and the delegation can no longer be seen.
        visibleInAuditLogUntil: retentionEnd(d.authorizedAt),
      },
      collector: COLLECTOR.delegation,
      raw: {
        clientId: d.clientId,
        scopes: d.scopes,
        authorizedAt: d.authorizedAt,
        authorizedBy: d.authorizedBy.email,
      },
    });
    for (const scope of d.scopes) {
      const { access, risk } = delegatedScopeRisk(scope);
      out.push({
        type: 'grant',
        platform: PLATFORM,
        tenant: scan.tenant,
        identity: { kind: 'domain-wide-delegation', nativeId: d.clientId },
        permission: { id: scope, name: scope, resource: null, nativeLevel: 'domain-wide-delegation', access },
        target: {
          breadth: 'tenant',
          type: 'domain',
          id: scan.tenant.id,
          label: scan.tenant.name,
          resources: [],
          count: join.users?.list.length ?? null,
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

function adminRef(
  by: { email: string | null; id: string | null },
  users: UserDirectory | undefined,
): PrincipalRef {
  const u = (by.id ? users?.byId.get(by.id) : undefined) ?? (by.email ? users?.byEmail(by.email) : undefined);
  return {
    id: u?.id ?? by.id ?? by.email ?? 'unknown',
    name: u?.email ?? by.email,
    type: 'user',
    // Not in the directory any more (deleted) → inactive; no directory at all → unknown.
    active: users ? (u?.active ?? false) : null,
  };
}

function dedupeOwners(owners: PrincipalRef[]): PrincipalRef[] {
  return [...new Map(owners.map((o) => [o.id, o] as const)).values()];
}
