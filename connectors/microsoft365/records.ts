/**
 * What the collectors' record builders share: Graph's timestamps as the model's, and where a service
 * principal's app comes from.
 */
import type { Origin } from '../../src/model/identity.js';

/**
 * A UTC timestamp to the second, its fields in range, days up to 28 (so valid in every month): the
 * model's form already, which the Date round trip below returns unchanged. Most of Graph's are, and
 * the round trip cost ~1.5 µs each, a few per record (~0.1 s of the main thread per 100k records).
 */
const MODEL_FORM = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/;

/** Graph timestamps (up to 7 fractional digits) as the model's ISO form; null when absent or invalid. */
export function timestamp(value: string | null | undefined): string | null {
  if (!value) return null;
  if (MODEL_FORM.test(value)) return value;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace('.000Z', 'Z');
}

/**
 * Owner tenants (`appOwnerOrganizationId`) of Microsoft's first-party apps. Users can add more
 * through `firstPartyTenantIds`.
 *
 * - `f8cdef31-…` "Microsoft Services" and `72f988bf-…` Microsoft's corporate tenant: the two owners
 *   of the apps Microsoft lists in "Verify first-party Microsoft applications in sign-in reports"
 *   (learn.microsoft.com/troubleshoot/entra/entra-id/governance/verify-first-party-apps-sign-in;
 *   merill/microsoft-info src/Export-MicrosoftApps.ps1 reads its two tables as these two tenants).
 * - `33e01921-…` AME, `975f013f-…` PME and `cdc5aeea-…` Torus: Microsoft's production-service
 *   tenants. No Microsoft document lists them as app owners; they appear as Microsoft's own tenants
 *   in public code: Key Vault's issuer check "AKV10032: Invalid issuer. Expected one of
 *   https://sts.windows.net/72f988bf-…/, …/f8cdef31-…/, …/e2d54eb5-…/, …/33e01921-…/, …/975f013f-…/"
 *   (Azure/azure-sdk-for-net, Key Vault ChallengeBasedAuthenticationPolicy tests) and first-party
 *   tenant lists "AME: 33e01921-…, CORP: 72f988bf-…, PME: 975f013f-…, TORUS: cdc5aeea-…". Torus owns
 *   "Microsoft Graph Command Line Tools" (appId 14d82eec-204b-4c2f-b7e8-296a70dab67e), seen in
 *   tenants (issue 9).
 */
export const MICROSOFT_TENANT_IDS = [
  'f8cdef31-a31e-4b4a-93e4-5f571e91255a',
  '72f988bf-86f1-41af-91ab-2d7cd011db47',
  '33e01921-4d64-4f8c-a055-5bdaffd5e33d',
  '975f013f-7f24-47e8-a7d3-abc4752bf346',
  'cdc5aeea-15c5-4db6-b079-fcadd2505dc2',
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
