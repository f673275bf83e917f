import type { LegacyCollectorDescriptor as CollectorDescriptor } from '../../../src/connector/legacy.js';
import type { GrantInput } from '../../../src/model/grant.js';
import { COLLECTORS, PLATFORM, type ScanContext, select, timestamp } from '../context.js';
import { childListNotFound } from '../graph.js';
import { DEFAULT_ACCESS_ROLE_ID, type PermissionResolver } from '../permissions.js';
import { ratePermission } from '../risk.js';
import { APP_ROLE_ASSIGNMENT_SELECT, AppRoleAssignment, type ServicePrincipal } from '../schema.js';

export const appRoleAssignmentsCollector: CollectorDescriptor = {
  name: COLLECTORS.appRoleAssignments,
  description:
    'Application permissions (app roles) held by service principals, read per resource API (appRoleAssignedTo) and resolved to names',
  requires: 'Application.Read.All',
};

/** A resource whose app roles a service principal (not only a user) can hold. */
function isResource(sp: ServicePrincipal): boolean {
  return sp.appRoles.some((r) => r.allowedMemberTypes.includes('Application'));
}

/**
 * Application permissions, collected per *resource*: `appRoleAssignedTo` on the few service
 * principals that expose application roles (Microsoft Graph, Exchange, SharePoint, the tenant's own
 * APIs), first pages in `$batch`es of 20, instead of one `appRoleAssignments` call per client.
 * Each assignment to a service principal becomes one tenant-wide grant on that client.
 */
export async function collectAppRoleAssignments(
  s: ScanContext,
  sps: ServicePrincipal[],
  resolver: PermissionResolver,
): Promise<GrantInput[]> {
  const name = COLLECTORS.appRoleAssignments;
  const known = new Set(sps.map((sp) => sp.id.toLowerCase()));
  const resources = sps.filter(isResource);
  const info = {
    api: 'GET /servicePrincipals/{id}/appRoleAssignedTo',
    requiredPermission: appRoleAssignmentsCollector.requires!,
  };
  const results = await s.graph.batch(
    resources.map((r) => ({
      key: r.id,
      url: `/servicePrincipals/${r.id}/appRoleAssignedTo?${select(APP_ROLE_ASSIGNMENT_SELECT)}&$top=${s.config.pageSize}`,
      collection: true,
      schema: AppRoleAssignment,
    })),
    info,
  );
  // A 404 is not "no assignments": only a resource that is gone takes its assignments with it.
  const notFound = resources.filter((r) => results.get(r.id)?.status === 404).map((r) => r.id);
  const gone = await s.graph.gone(
    notFound.map((id) => ({ key: id, url: `/servicePrincipals/${id}?$select=id` })),
    { ...info, api: 'GET /servicePrincipals/{id}' },
  );
  const present = notFound.filter((id) => !gone.has(id));
  if (present.length > 0) throw childListNotFound(info, present, 'app role assignments');

  const grants: GrantInput[] = [];
  let defaultAccess = 0;
  let unknownPrincipals = 0;
  let unresolved = 0;
  for (const resource of resources) {
    const result = results.get(resource.id);
    if (result?.status !== 200) continue; // resource deleted since it was listed (checked above)
    for (const a of result.value) {
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
      grants.push({
        type: 'grant',
        platform: PLATFORM,
        tenant: s.tenant,
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
          id: s.tenant.id,
          label: `${p.resourceDisplayName ?? p.resourceAppId} in ${s.tenant.name ?? s.tenant.id}`,
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
        collector: name,
        raw: a,
      });
    }
  }
  s.ctx.coverage.countItems(name, grants.length);
  s.ctx.coverage.note(name, `read assignments of ${resources.length} resource service principal(s)`);
  if (defaultAccess > 0)
    s.ctx.coverage.note(
      name,
      `${defaultAccess} default-access assignment(s) (all-zero role id) are not permissions`,
    );
  if (unresolved > 0)
    s.ctx.coverage.note(name, `${unresolved} assignment(s) of app roles their resource no longer declares`);
  if (gone.size > 0) {
    s.ctx.coverage.note(
      name,
      `${gone.size} resource service principal(s) deleted while scanning: ${[...gone].slice(0, 5).join(', ')}`,
    );
  }
  if (unknownPrincipals > 0) {
    s.ctx.coverage.note(
      name,
      `${unknownPrincipals} assignment(s) to service principals created after the list was read`,
    );
  }
  return grants;
}
