import type { Origin } from '../../src/model/identity.js';

/**
 * Owner tenants of Microsoft's first-party apps: "Microsoft Services" (most first-party service
 * principals; the one Microsoft's docs and merill/microsoft-info filter on), Microsoft's corporate
 * tenant (apps listed in "Verify first-party Microsoft applications in sign-in reports"), and the
 * AME tenant some Microsoft services are registered in (used as first-party by common scanners).
 * Users can add more through `firstPartyTenantIds`.
 */
export const MICROSOFT_TENANT_IDS = [
  'f8cdef31-a31e-4b4a-93e4-5f571e91255a',
  '72f988bf-86f1-41af-91ab-2d7cd011db47',
  '33e01921-4d64-4f8c-a055-5bdaffd5e33d',
] as const;

export function firstPartyTenants(extra: readonly string[]): ReadonlySet<string> {
  return new Set([...MICROSOFT_TENANT_IDS, ...extra].map((t) => t.toLowerCase()));
}

/**
 * internal: the tenant's own app registrations (and its managed identities); platform: Microsoft's
 * first-party apps (inventoried, not held to ownership); third-party: everyone else's.
 */
export function originOf(
  sp: { appOwnerOrganizationId: string | null; servicePrincipalType: string | null },
  tenantId: string,
  microsoft: ReadonlySet<string>,
): Origin {
  const owner = sp.appOwnerOrganizationId?.toLowerCase() ?? null;
  if (owner === tenantId.toLowerCase()) return 'internal';
  if (owner && microsoft.has(owner)) return 'platform';
  if (owner) return 'third-party';
  // No owner tenant: managed identities belong to the tenant's own Azure resources; legacy and
  // social-IdP principals cannot be told apart.
  return sp.servicePrincipalType === 'ManagedIdentity' ? 'internal' : 'unknown';
}
