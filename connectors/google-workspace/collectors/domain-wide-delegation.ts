import { defineCollector } from '../../../src/connector/collector.js';
import { isAuthoritative } from '../../../src/connector/coverage.js';
import type { Tenant } from '../../../src/model/common.js';
import type { GrantInput, IdentityInput, PrincipalRef } from '../../../src/model/index.js';
import { SCOPES } from '../auth.js';
import { type CallSpec, callGoogle, eachPage } from '../client.js';
import {
  AUTHORIZE,
  type AuditedChange,
  changesIn,
  type Delegation,
  type DelegationState,
  REMOVE,
  replayDelegations,
} from '../delegation-replay.js';
import type { PreviousScan } from '../previous-scan.js';
import {
  type GcpProject,
  ownersJudged,
  projectNumber,
  projectOwners,
  type ServiceAccountInfo,
  type UserLookup,
} from '../records.js';
import { delegatedScopeRisk } from '../risk.js';
import { ActivitiesPage } from '../schema.js';
import { type GoogleSession, PLATFORM, previousForRecords, previousOverlapsWindow } from '../session.js';
import { gcpProjects } from './gcp-projects.js';
import { serviceAccounts } from './service-accounts.js';
import { directoryLookup, users } from './users.js';

const NAME = 'domain-wide-delegation';

export const ADMIN_EVENTS_SPEC: CallSpec = {
  api: 'Admin SDK Reports API',
  method: 'GET',
  path: '/admin/reports/v1/activity/users/all/applications/admin',
  requiredPermission:
    'domain-wide delegation of https://www.googleapis.com/auth/admin.reports.audit.readonly; the subject needs the Reports admin privilege',
};

const FIELDS =
  'nextPageToken,items(id(time,uniqueQualifier),actor(email,profileId),events(name,parameters(name,value,multiValue)))';
const MANAGE_URL = 'https://admin.google.com/ac/owl/domainwidedelegation';
const CONFIRM_IN_CONSOLE = 'Admin console → Security → API controls → Domain-wide delegation';
const KIND = 'domain-wide-delegation';
const MAX_LISTED = 10;

/**
 * Domain-wide delegation, rebuilt from the Admin audit log (delegation-replay.ts) on top of the previous
 * snapshot's delegations, so that one whose authorize event aged out of the ~6-month log is carried over.
 * Only the first scan of a tenant cannot see delegations older than the window; coverage says so.
 * Records join each delegation to its service account and project (waiting for those collectors; their
 * failure keeps the previous snapshot's join).
 */
export const domainWideDelegation = defineCollector<GoogleSession, DelegationState>({
  name: NAME,
  description: 'Domain-wide delegation grants, rebuilt from Admin audit events (the log covers ~6 months)',
  permissions: [`domain-wide delegation of ${SCOPES.audit}`, 'admin privilege Reports'],
  enrichedBy: [users.name, gcpProjects.name, serviceAccounts.name],
  async fetch(session, { name, ctx }) {
    // The replay starts from the previous snapshot: without it, there is nothing to replay on.
    if (!session.previous.ok) throw session.previous.error;
    const previous = session.previous.scan;
    const changes: AuditedChange[] = [];
    const list = (eventName: string) =>
      eachPage(
        ADMIN_EVENTS_SPEC,
        (pageToken) =>
          callGoogle(session.apis, ADMIN_EVENTS_SPEC, ActivitiesPage, () =>
            session.apis.reports.activities.list({
              userKey: 'all',
              applicationName: 'admin',
              eventName,
              startTime: session.windowStart.toISOString(),
              endTime: session.now.toISOString(),
              maxResults: 1000,
              pageToken,
              fields: FIELDS,
            }),
          ),
        (page) => {
          for (const a of page.items ?? []) changes.push(...changesIn(a));
        },
      );
    await Promise.all([list(AUTHORIZE), list(REMOVE)]);
    const earlier = new Map<string, Delegation>();
    for (const [clientId, d] of previous.delegations) if (d.state) earlier.set(clientId, d.state);
    const state = replayDelegations(earlier, changes, session.windowStart);
    for (const note of replayNotes(state, previous, session)) ctx.coverage.note(name, note);
    return state;
  },
  transform(state, session, run) {
    const previous = previousForRecords(session, run);
    if (!previous) return [];
    const directory = run.optional(users);
    return delegationRecords(state, {
      tenant: session.tenant,
      users: directory ? directoryLookup(directory) : previous.users,
      accountsByClientId: new Map((run.optional(serviceAccounts) ?? []).map((a) => [a.oauth2ClientId, a])),
      accountsComplete: isAuthoritative(run.status(serviceAccounts.name) ?? 'failed'),
      projects: new Map((run.optional(gcpProjects)?.projects ?? []).map((p) => [p.projectId, p])),
      previous,
      scannerClientId: session.apis.scannerClientId,
      domain: session.domain,
    });
  },
});

/** What coverage says about the replay: its window, what was carried over, and what cannot be seen. */
function replayNotes(state: DelegationState, previous: PreviousScan, session: GoogleSession): string[] {
  const from = session.windowStart.toISOString();
  const carried = [...state.active.values()].filter((d) => d.carried);
  const notes = [
    `rebuilt from Admin audit events ${AUTHORIZE}/${REMOVE} between ${from} and ${session.now.toISOString()} ` +
      `(${state.events} events; ${plural(state.active.size, 'delegation')} in force (${carried.length} carried over), ` +
      `${state.removed.length} removed). No API lists domain-wide delegation and the log reaches back about 180 days: ` +
      (previous.scanId === null
        ? `this is the first scan of this tenant, so a delegation authorized before ${from} and not changed since ` +
          `is not visible here (check ${CONFIRM_IN_CONSOLE}); later scans keep what this one saw.`
        : `delegations of scan #${previous.scanId} without an event in the window are carried over.`),
  ];
  if (carried.length > 0) {
    const ids = carried.map((d) => d.clientId).sort();
    notes.push(
      `${plural(carried.length, 'delegation')} ${carried.length === 1 ? 'was' : 'were'} carried over from earlier scans because ` +
        `${carried.length === 1 ? 'its' : 'their'} authorize event is older than ${from} and no removal followed ` +
        `(attribute visibleInAuditLog: false): ${ids.slice(0, MAX_LISTED).join(', ')}` +
        `${ids.length > MAX_LISTED ? ` and ${ids.length - MAX_LISTED} more` : ''}. ` +
        `No API can confirm them: confirm them in the ${CONFIRM_IN_CONSOLE}.`,
    );
  }
  if (previous.scanId !== null && !previousOverlapsWindow(previous, session.windowStart)) {
    notes.push(
      `the previous scan (#${previous.scanId}, ${previous.scannedAt ?? 'time unknown'}) is older than the ` +
        `window start ${from}: a delegation removed between the two cannot be seen and would still be carried over.`,
    );
  }
  return notes;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export interface DelegationJoin {
  tenant: Tenant;
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
  state: DelegationState,
  join: DelegationJoin,
): Array<IdentityInput | GrantInput> {
  const { tenant } = join;
  const out: Array<IdentityInput | GrantInput> = [];
  const retentionEnd = (t: string) => new Date(Date.parse(t) + 180 * 86_400_000).toISOString();
  for (const d of [...state.active.values()].sort((a, b) => a.clientId.localeCompare(b.clientId))) {
    const sa =
      join.accountsByClientId.get(d.clientId) ??
      (join.accountsComplete ? undefined : join.previous.serviceAccountsByClientId.get(d.clientId)?.info);
    const before = sa ? join.previous.serviceAccounts.get(sa.email) : undefined;
    const authorizer = adminRef(d.authorizedBy, join.users);
    const projectSide = sa
      ? projectOwners(sa, join.projects, join.users, before, join.domain)
      : { owners: [], known: true };
    const owners = dedupeOwners([authorizer, ...projectSide.owners]);
    const isScanner = d.clientId === join.scannerClientId;
    out.push({
      type: 'identity',
      platform: PLATFORM,
      tenant,
      kind: KIND,
      nativeId: d.clientId,
      displayName: sa ? (sa.displayName ?? sa.email) : `API client ${d.clientId}`,
      publisher: sa
        ? { name: sa.projectId, id: projectNumber(sa, join.projects, before), verified: null }
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
      collector: NAME,
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
        tenant,
        identity: { kind: KIND, nativeId: d.clientId },
        permission: { id: scope, name: scope, resource: null, nativeLevel: 'domain-wide-delegation', access },
        // Every user of the domain: no count, which would change the grant with every hire and leaver.
        target: {
          breadth: 'tenant',
          type: 'domain',
          id: tenant.id,
          label: tenant.name,
          resources: [],
          count: null,
        },
        grantedVia: 'delegation',
        grantedBy: authorizer,
        grantedAt: d.authorizedAt,
        principal: null,
        risk,
        attributes: {},
        collector: NAME,
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
