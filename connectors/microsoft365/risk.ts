import type { AccessLevel } from '../../src/model/common.js';
import type { Risk } from '../../src/model/grant.js';
import { type CatalogEntry, catalogEntries, riskCatalog } from '../../src/risk/catalog.js';

/** Graph's two kinds of permission: app roles (application) and OAuth2 scopes (delegated). */
export type PermissionType = 'application' | 'delegated';

const key = (resourceAppId: string, id: string, type: PermissionType) =>
  `${resourceAppId.toLowerCase()}|${id.toLowerCase()}|${type}`;

let index: Map<string, CatalogEntry> | undefined;

/**
 * Catalog entries keyed by (resource appId, permission GUID, type). Entries without a GUID (the
 * catalog is unsure of it) cannot match: a permission is never rated by its name alone, since the
 * same name exists with other GUIDs on other resources and as the other type.
 */
function catalogIndex(): Map<string, CatalogEntry> {
  if (!index) {
    index = new Map();
    for (const e of catalogEntries('microsoft365')) {
      const type = e.kind === 'app-role' ? 'application' : e.kind === 'delegated-scope' ? 'delegated' : null;
      const resourceAppId = typeof e.resourceAppId === 'string' ? e.resourceAppId : null;
      const id = typeof e.id === 'string' ? e.id : null;
      if (type && resourceAppId && id) index.set(key(resourceAppId, id, type), e);
    }
  }
  return index;
}

export interface PermissionRating {
  risk: Risk;
  access: AccessLevel;
}

/** Access level from a permission value when the catalog has no entry (conservative: writes are writes). */
export function accessFromValue(value: string): AccessLevel {
  if (/FullControl|ManageAsApp|full_access|AccessAsUser|RoleManagement\.ReadWrite/i.test(value))
    return 'admin';
  if (/ReadWrite|Write|Send|Create|Delete|Update|Invite|Manage|user_impersonation/i.test(value))
    return 'write';
  return 'read';
}

export function ratePermission(
  resourceAppId: string,
  id: string,
  type: PermissionType,
  value: string,
): PermissionRating {
  const e = catalogIndex().get(key(resourceAppId, id, type));
  if (!e) return { risk: { tier: 'unknown', reason: null, source: null }, access: accessFromValue(value) };
  const access =
    e.level === 'read' || e.level === 'write' || e.level === 'admin' ? e.level : accessFromValue(value);
  return {
    risk: {
      tier: e.risk,
      reason: e.reason,
      source: `grantscope risk catalog ${riskCatalog().catalogVersion}: ${e.source}`,
    },
    access,
  };
}
