/**
 * What the scanner's access token allows, from its `roles` claim (the application permissions
 * admin-consented to the app: https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference,
 * "roles"). Read without verifying the signature: Graph verifies it; this only explains what Graph answers.
 */
export function tokenRoles(accessToken: string): string[] | null {
  const payload = accessToken.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return null;
  }
}

/** "Allows the app to … manage only the applications that it creates or owns" (permissions reference). */
export const OWNED_BY = 'Application.ReadWrite.OwnedBy';

/**
 * Permissions that read every application and service principal with their owners and assignments
 * (the Application rows of serviceprincipal-list, application-list, serviceprincipal-list-owners and
 * serviceprincipal-list-approleassignedto).
 */
const READS_ALL_APPS = [
  'Application.Read.All',
  'Application.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];

/**
 * Whether the token reaches only the apps the scanner owns: with Application.ReadWrite.OwnedBy and none of
 * the tenant-wide permissions, Graph answers the lists with the owned objects only (often none), which
 * would read as a complete, empty tenant.
 */
export function ownedByOnly(roles: readonly string[] | null): boolean {
  if (!roles?.includes(OWNED_BY)) return false;
  return !roles.some((r) => READS_ALL_APPS.includes(r));
}
