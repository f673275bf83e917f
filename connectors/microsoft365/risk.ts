import { z } from 'zod';
import {
  type ConnectorVocabulary,
  PermissionCatalogEntry,
  permissionCatalog,
} from '../../src/connector/vocabulary.js';
import type { AccessLevel } from '../../src/model/common.js';
import type { Risk } from '../../src/model/grant.js';
import data from './risk-catalog.json' with { type: 'json' };

/**
 * What Entra's records are called, and the rule settings that suit them. The engine knows no
 * platform: finding titles and the policy's defaults take these (see `ConnectorVocabulary`).
 */
export const vocabulary: ConnectorVocabulary = {
  identityKinds: {
    'service-principal': { label: 'service principal' },
  },
  credentialTypes: {
    'client-secret': { label: 'client secret' },
    certificate: { label: 'certificate' },
  },
  policyDefaults: {
    'credential-hygiene': {
      // CISA SCuBA MS.AAD.5.5v1/5.6v1 and 5.7v1 (thresholds in risk-catalog.json).
      maxLifetimeDays: { 'client-secret': 180, certificate: 365 },
    },
  },
};

/** `kind`: `app-role` (application permission), `delegated-scope`, `directory-role`. */
const CatalogEntry = PermissionCatalogEntry.extend({
  /** The resource's appId and the permission's GUID; absent where the catalog is unsure of the GUID. */
  resourceAppId: z.string().nullish(),
  id: z.string().nullish(),
});
type CatalogEntry = z.infer<typeof CatalogEntry>;
const Catalog = permissionCatalog(CatalogEntry);
type Catalog = z.infer<typeof Catalog>;

let catalog: Catalog | undefined;
/** Entra's risk catalog (`risk-catalog.json`), validated once. */
function riskCatalog(): Catalog {
  catalog ??= Catalog.parse(data);
  return catalog;
}

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
    for (const e of riskCatalog().entries) {
      const type = e.kind === 'app-role' ? 'application' : e.kind === 'delegated-scope' ? 'delegated' : null;
      if (type && e.resourceAppId && e.id) index.set(key(e.resourceAppId, e.id, type), e);
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
