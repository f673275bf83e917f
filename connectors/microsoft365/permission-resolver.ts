import type { AppRole, PermissionScope, ResourceScopes, ServicePrincipal } from './schema.js';

/** The all-zero app role id: "default access" to the resource, not a permission. */
export const DEFAULT_ACCESS_ROLE_ID = '00000000-0000-0000-0000-000000000000';

export interface ResolvedPermission {
  /** GUID of the app role or scope. */
  id: string;
  /** Its value (`Mail.Read`), or null if the resource does not declare it (any more). */
  name: string | null;
  resourceAppId: string;
  resourceDisplayName: string | null;
}

/**
 * Resolves permission GUIDs through the resource service principals of *this* tenant: app roles
 * by (resource object id, GUID), delegated scopes by (resource object id, value). Object ids of
 * resource SPs differ per tenant and new permissions keep appearing, so nothing is hard-coded.
 */
export class PermissionResolver {
  private readonly roles = new Map<string, { sp: ServicePrincipal; byId: Map<string, AppRole> }>();
  private readonly scopes = new Map<string, { r: ResourceScopes; byValue: Map<string, PermissionScope> }>();

  addAppRoles(sp: ServicePrincipal): void {
    this.roles.set(sp.id.toLowerCase(), {
      sp,
      byId: new Map(sp.appRoles.map((r) => [r.id.toLowerCase(), r])),
    });
  }

  addScopes(r: ResourceScopes): void {
    this.scopes.set(r.id.toLowerCase(), {
      r,
      byValue: new Map(r.oauth2PermissionScopes.filter((s) => s.value).map((s) => [s.value!, s])),
    });
  }

  /** An application permission: the resource must be known (it was listed); the role may not be. */
  appRole(resourceId: string, appRoleId: string): ResolvedPermission | undefined {
    const res = this.roles.get(resourceId.toLowerCase());
    if (!res) return undefined;
    const role = res.byId.get(appRoleId.toLowerCase());
    return {
      id: appRoleId.toLowerCase(),
      name: role?.value ?? null,
      resourceAppId: res.sp.appId,
      resourceDisplayName: res.sp.displayName,
    };
  }

  /** A delegated permission by its scope value (grants store values, not GUIDs). */
  scope(resourceId: string, value: string): ResolvedPermission | undefined {
    const res = this.scopes.get(resourceId.toLowerCase());
    if (!res) return undefined;
    const s = res.byValue.get(value);
    if (!s) return undefined;
    return {
      id: s.id.toLowerCase(),
      name: value,
      resourceAppId: res.r.appId,
      resourceDisplayName: res.r.displayName,
    };
  }

  resourceOf(resourceId: string): { appId: string; displayName: string | null } | undefined {
    const r = this.scopes.get(resourceId.toLowerCase())?.r ?? this.roles.get(resourceId.toLowerCase())?.sp;
    return r ? { appId: r.appId, displayName: r.displayName } : undefined;
  }
}
