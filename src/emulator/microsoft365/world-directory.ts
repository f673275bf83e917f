import { WorldError } from '../world-error.js';
import {
  type AppRecord,
  type AssignmentRecord,
  arrayCollection,
  type Collection,
  derivedGuid,
  type GrantRecord,
  type M365Directory,
  type OwnerRecord,
  type SignInRecord,
  type SpRecord,
  type UserRecord,
  wellKnownResourceSps,
} from './directory.js';
import type { Microsoft365Section } from './schema.js';

type Issue = { path: string; line: null; message: string };

/** The directory of an explicit world: validates references between objects and indexes them. */
export function worldDirectory(section: Microsoft365Section, file: string): M365Directory {
  const issues: Issue[] = [];
  const issue = (path: string, message: string) =>
    issues.push({ path: `microsoft365.${path}`, line: null, message });

  const sps: SpRecord[] = section.servicePrincipals.map((sp) => ({
    ...sp,
    appDisplayName: sp.appDisplayName ?? sp.displayName,
    appRoles: sp.appRoles.map((r) => ({
      ...r,
      displayName: r.displayName ?? r.value,
      description: r.description ?? r.value,
    })),
    oauth2PermissionScopes: sp.oauth2PermissionScopes.map((s) => ({
      ...s,
      adminConsentDisplayName: s.adminConsentDisplayName ?? s.value,
    })),
  }));
  if (section.wellKnownResources) {
    for (const r of wellKnownResourceSps(section.tenant.id)) {
      if (!sps.some((s) => s.appId.toLowerCase() === r.appId)) sps.push(r);
    }
  }
  const users: UserRecord[] = section.users;
  const apps: AppRecord[] = section.applications.map(({ owners: _o, ...a }) => a);

  const checkUnique = (what: string, ids: string[]) => {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      const k = id.toLowerCase();
      if (seen.has(k)) issue(`${what}[${i}].id`, `duplicate id ${id}`);
      seen.add(k);
    });
  };
  checkUnique(
    'servicePrincipals',
    sps.map((s) => s.id),
  );
  checkUnique(
    'users',
    users.map((u) => u.id),
  );
  checkUnique(
    'applications',
    apps.map((a) => a.id),
  );
  checkUnique(
    'oauth2PermissionGrants',
    section.oauth2PermissionGrants.map((g) => g.id),
  );
  const appIds = new Set<string>();
  sps.forEach((s, i) => {
    if (appIds.has(s.appId.toLowerCase()))
      issue(`servicePrincipals[${i}].appId`, `two service principals for appId ${s.appId}`);
    appIds.add(s.appId.toLowerCase());
  });

  const spsCol = arrayCollection(sps);
  const usersCol = arrayCollection(users);
  const appsCol = arrayCollection(apps);
  const spByAppId = new Map(sps.map((s) => [s.appId.toLowerCase(), s]));
  const deleted = new Set(section.deletedUsers.map((u) => u.toLowerCase()));

  const resolveOwners = (ids: string[], path: string): OwnerRecord[] =>
    ids.flatMap((id, i): OwnerRecord[] => {
      const user = usersCol.get(id);
      if (user) return [{ type: 'user', user }];
      const sp = spsCol.get(id);
      if (sp) return [{ type: 'servicePrincipal', sp }];
      issue(`${path}[${i}]`, `owner ${id} is neither a user nor a service principal of this world`);
      return [];
    });
  const spOwners = new Map<string, OwnerRecord[]>();
  section.servicePrincipals.forEach((sp, i) => {
    spOwners.set(sp.id.toLowerCase(), resolveOwners(sp.owners, `servicePrincipals[${i}].owners`));
  });
  const appOwners = new Map<string, OwnerRecord[]>();
  section.applications.forEach((a, i) => {
    appOwners.set(a.id.toLowerCase(), resolveOwners(a.owners, `applications[${i}].owners`));
  });

  const resourceOf = (
    ref: { resourceId?: string; resourceAppId?: string },
    path: string,
  ): SpRecord | undefined => {
    const sp = ref.resourceId ? spsCol.get(ref.resourceId) : spByAppId.get(ref.resourceAppId!.toLowerCase());
    if (!sp)
      issue(
        path,
        `no service principal ${ref.resourceId ?? `with appId ${ref.resourceAppId}`} in this world`,
      );
    return sp;
  };

  const assignments: AssignmentRecord[] = [];
  section.appRoleAssignments.forEach((a, i) => {
    const path = `appRoleAssignments[${i}]`;
    const resource = resourceOf(a, `${path}.${a.resourceId ? 'resourceId' : 'resourceAppId'}`);
    let principalName: string | null = null;
    if (a.principalType === 'ServicePrincipal') {
      const p = spsCol.get(a.principalId);
      if (!p) issue(`${path}.principalId`, `no service principal ${a.principalId} in this world`);
      principalName = p?.displayName ?? null;
    } else if (a.principalType === 'User') {
      const u = usersCol.get(a.principalId);
      if (!u) issue(`${path}.principalId`, `no user ${a.principalId} in this world`);
      principalName = u?.displayName ?? null;
    }
    if (!resource) return;
    let appRoleId = a.appRoleId;
    if (a.appRole !== undefined) {
      appRoleId = resource.appRoles.find((r) => r.value === a.appRole)?.id;
      if (!appRoleId) issue(`${path}.appRole`, `${resource.displayName} has no app role '${a.appRole}'`);
    }
    if (!appRoleId) return;
    assignments.push({
      id:
        a.id ??
        Buffer.from(derivedGuid('assignment', a.principalId, resource.id, appRoleId))
          .toString('base64url')
          .slice(0, 43),
      appRoleId,
      createdDateTime: a.createdDateTime,
      principalId: a.principalId,
      principalType: a.principalType,
      principalDisplayName: principalName,
      resourceId: resource.id,
      resourceDisplayName: resource.displayName,
    });
  });

  const grants: GrantRecord[] = [];
  section.oauth2PermissionGrants.forEach((g, i) => {
    const path = `oauth2PermissionGrants[${i}]`;
    if (!spsCol.get(g.clientId))
      issue(`${path}.clientId`, `no service principal ${g.clientId} in this world`);
    if (g.principalId && !usersCol.get(g.principalId) && !deleted.has(g.principalId.toLowerCase())) {
      issue(`${path}.principalId`, `no user ${g.principalId} in users or deletedUsers`);
    }
    const resource = resourceOf(g, `${path}.${g.resourceId ? 'resourceId' : 'resourceAppId'}`);
    if (!resource) return;
    grants.push({
      id: g.id,
      clientId: g.clientId,
      consentType: g.consentType,
      principalId: g.principalId,
      resourceId: resource.id,
      scope: g.scope,
    });
  });

  const signIns: SignInRecord[] = section.servicePrincipals
    .filter((s) => s.lastSignIn != null)
    .map((s) => ({ appId: s.appId, lastSignInDateTime: s.lastSignIn! }));

  if (issues.length > 0) throw new WorldError(file, issues);

  const assignedTo = new Map<string, AssignmentRecord[]>();
  const assignmentsOf = new Map<string, AssignmentRecord[]>();
  for (const a of assignments) {
    const r = a.resourceId.toLowerCase();
    const p = a.principalId.toLowerCase();
    assignedTo.set(r, [...(assignedTo.get(r) ?? []), a]);
    assignmentsOf.set(p, [...(assignmentsOf.get(p) ?? []), a]);
  }
  const list = <T>(items: T[]): Collection<T> => ({ slots: items.length, at: (i) => items[i] });

  return {
    tenant: section.tenant,
    scanner: {
      appId: section.scanner.appId,
      displayName: section.scanner.displayName,
      permissions: new Set(section.scanner.permissions),
      credentials: new Set(section.scanner.credentials),
    },
    premium: section.licences.entraIdP1,
    servicePrincipals: { ...spsCol, byAppId: (appId) => spByAppId.get(appId.toLowerCase()) },
    applications: appsCol,
    users: usersCol,
    oauth2PermissionGrants: list(grants),
    signInActivities: list(signIns),
    ownersOfServicePrincipal: (id) => (spsCol.get(id) ? (spOwners.get(id.toLowerCase()) ?? []) : undefined),
    ownersOfApplication: (id) => (appsCol.get(id) ? (appOwners.get(id.toLowerCase()) ?? []) : undefined),
    appRoleAssignedTo: (resourceId) => list(assignedTo.get(resourceId.toLowerCase()) ?? []),
    appRoleAssignments: (principalId) => assignmentsOf.get(principalId.toLowerCase()) ?? [],
  };
}
