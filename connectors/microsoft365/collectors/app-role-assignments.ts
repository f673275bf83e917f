import { defineCollector } from '../../../src/connector/collector.js';
import { type CarryDecision, checkCarry, emitUnlessCarried } from '../../../src/connector/records-carry.js';
import type { Tenant } from '../../../src/model/common.js';
import type { GrantInput } from '../../../src/model/grant.js';
import {
  ASSIGNMENTS_INFO,
  assignmentsItem,
  type EarlyAssignmentReads,
  isResource,
} from '../assignments-early.js';
import { type BatchResult, childListNotFound } from '../client.js';
import { DEFAULT_ACCESS_ROLE_ID, PermissionResolver } from '../permission-resolver.js';
import { timestamp } from '../records.js';
import { ratePermission } from '../risk.js';
import type { AppRoleAssignment, ServicePrincipal } from '../schema.js';
import { markOwnedByOnly, PLATFORM, type Session } from '../session.js';
import type { AppDirectory } from './service-principals.js';

const NAME = 'app-role-assignments';

/** What was read: the assignments of each resource service principal. */
export interface ResourceAssignments {
  /** How many resource service principals were asked. */
  resources: number;
  /** Resources whose assignments were read, in list order, each with its assignments. */
  read: Array<{ resourceId: string; assignments: AppRoleAssignment[] }>;
  /** Resources deleted while scanning (their assignments went with them). */
  gone: string[];
  /**
   * Whether these assignments give exactly the records the previous scan stored: then the transform
   * emits none and the store carries them forward (the collector is incremental, naming nothing removed).
   */
  carry?: CarryDecision<string[]>;
}

/**
 * The connector-state key of the digest of the application grant records a scan stored
 * (src/connector/records-carry.ts): the next scan compares its own records' digest with it.
 */
export const APP_ROLE_GRANTS_RECORDS_DIGEST = 'appRoleAssignments.recordsDigest';

/**
 * Application permissions, collected per *resource*: `appRoleAssignedTo` on the few service
 * principals that expose application roles (Microsoft Graph, Exchange, SharePoint, the tenant's own
 * APIs), first pages in `$batch`es of 20, instead of one `appRoleAssignments` call per client.
 * Each assignment to a service principal becomes one tenant-wide grant on that client.
 */
export const appRoleAssignments = defineCollector<Session, ResourceAssignments>({
  name: NAME,
  description:
    'Application permissions (app roles) held by service principals, read per resource API (appRoleAssignedTo) and resolved to names',
  permissions: ['Application.Read.All'],
  dependsOn: ['service-principals'],
  async fetch(s, run) {
    const { servicePrincipals: sps, earlyAssignments } = run.input<AppDirectory>('service-principals');
    let read = false;
    let out: ResourceAssignments;
    try {
      out = await readAssignments(s, sps, earlyAssignments ?? null);
      read = true;
    } finally {
      markOwnedByOnly(s, run, read);
    }
    // The same records as the previous scan stored: carried forward.
    const carry = await checkCarry(run, APP_ROLE_GRANTS_RECORDS_DIGEST, () =>
      applicationGrantsOf(s.tenant, sps, out),
    );
    return { ...out, carry };
  },
  *transform(assignments, s, run) {
    const sps = run.input<AppDirectory>('service-principals').servicePrincipals;
    const notes = yield* emitUnlessCarried(
      run,
      APP_ROLE_GRANTS_RECORDS_DIGEST,
      assignments.carry ?? { kind: 'not-compared' },
      () => applicationGrantsOf(s.tenant, sps, assignments),
    );
    for (const note of notes) run.ctx.coverage.note(NAME, note);
  },
});

async function readAssignments(
  s: Session,
  sps: readonly ServicePrincipal[],
  /** Assignments read while the list was paged (assignments-early.ts), on a rescan. */
  early: EarlyAssignmentReads | null,
): Promise<ResourceAssignments> {
  const resources = sps.filter(isResource);
  const info = ASSIGNMENTS_INFO;
  const items = resources.map((r) => assignmentsItem(s, r));
  // Those read while the list was paged are taken as if asked here (the first failure there fails
  // this collector); the rest are read meanwhile.
  const [readEarly, readNow] = await Promise.allSettled([
    early ? early.answers() : new Map<string, BatchResult<AppRoleAssignment>>(),
    s.graph.batch(
      items.filter((i) => !early?.covers(i.key)),
      info,
    ),
  ]);
  if (readEarly.status === 'rejected') throw readEarly.reason;
  if (readNow.status === 'rejected') throw readNow.reason;
  const results = readNow.value;
  for (const i of items) {
    const r = readEarly.value.get(i.key);
    if (r) results.set(i.key, r);
  }
  // A 404 is not "no assignments": only a resource that is gone takes its assignments with it.
  const notFound = resources.filter((r) => results.get(r.id)?.status === 404).map((r) => r.id);
  const gone = await s.graph.gone(
    notFound.map((id) => ({ key: id, url: `/servicePrincipals/${id}?$select=id` })),
    { ...info, api: 'GET /servicePrincipals/{id}' },
  );
  const present = notFound.filter((id) => !gone.has(id));
  if (present.length > 0) throw childListNotFound(info, present, 'app role assignments');
  const read: ResourceAssignments['read'] = [];
  for (const r of resources) {
    const result = results.get(r.id);
    // Otherwise the resource was deleted since it was listed (checked above).
    if (result?.status === 200) read.push({ resourceId: r.id, assignments: result.value });
  }
  return { resources: resources.length, read, gone: [...gone] };
}

/**
 * One tenant-wide application grant per assignment of an app role to a service principal, resolved
 * through the resource's app roles and rated from the catalog by (resource, GUID); and the coverage
 * notes about what was left out.
 */
export function applicationGrants(
  tenant: Tenant,
  sps: readonly ServicePrincipal[],
  assignments: ResourceAssignments,
): { grants: GrantInput[]; notes: string[] } {
  const grants: GrantInput[] = [];
  const it = applicationGrantsOf(tenant, sps, assignments);
  for (let r = it.next(); ; r = it.next()) {
    if (r.done) return { grants, notes: r.value };
    grants.push(r.value);
  }
}

/** The grants one at a time (the runner stores them in batches), then the coverage notes. */
function* applicationGrantsOf(
  tenant: Tenant,
  sps: readonly ServicePrincipal[],
  { resources, read, gone }: ResourceAssignments,
): Generator<GrantInput, string[]> {
  const known = new Set(sps.map((sp) => sp.id.toLowerCase()));
  const resolver = new PermissionResolver();
  for (const sp of sps) if (sp.appRoles.length > 0) resolver.addAppRoles(sp);
  let defaultAccess = 0;
  let unknownPrincipals = 0;
  let unresolved = 0;
  for (const { assignments } of read) {
    for (const a of assignments) {
      if (a.principalType !== 'ServicePrincipal') continue; // user/group assignments are not app permissions
      if (a.appRoleId === DEFAULT_ACCESS_ROLE_ID) {
        defaultAccess += 1;
        continue;
      }
      if (!known.has(a.principalId.toLowerCase())) {
        unknownPrincipals += 1;
        continue;
      }
      const p = resolver.appRole(a.resourceId, a.appRoleId)!;
      if (p.name === null) unresolved += 1;
      const rating = ratePermission(p.resourceAppId, p.id, 'application', p.name ?? '');
      yield {
        type: 'grant',
        platform: PLATFORM,
        tenant,
        identity: { kind: 'service-principal', nativeId: a.principalId },
        permission: {
          id: p.id,
          name: p.name ?? `app role ${p.id}`,
          resource: p.resourceAppId,
          nativeLevel: 'application',
          access: rating.access,
        },
        target: {
          breadth: 'tenant',
          type: 'tenant',
          id: tenant.id,
          label: `${p.resourceDisplayName ?? p.resourceAppId} in ${tenant.name ?? tenant.id}`,
        },
        grantedVia: 'admin-consent',
        grantedAt: timestamp(a.createdDateTime),
        risk: rating.risk,
        attributes: {
          resourceId: a.resourceId,
          resourceDisplayName: p.resourceDisplayName,
          assignmentId: a.id,
          permissionResolved: p.name !== null,
        },
        collector: NAME,
        raw: a,
      };
    }
  }
  const notes = [`read assignments of ${resources} resource service principal(s)`];
  if (defaultAccess > 0)
    notes.push(`${defaultAccess} default-access assignment(s) (all-zero role id) are not permissions`);
  if (unresolved > 0)
    notes.push(`${unresolved} assignment(s) of app roles their resource no longer declares`);
  if (gone.length > 0)
    notes.push(
      `${gone.length} resource service principal(s) deleted while scanning: ${gone.slice(0, 5).join(', ')}`,
    );
  if (unknownPrincipals > 0)
    notes.push(`${unknownPrincipals} assignment(s) to service principals created after the list was read`);
  return notes;
}
