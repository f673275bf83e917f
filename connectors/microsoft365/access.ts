import type { AccessCheck, ConfigFileReference } from '../../src/connector/access.js';
import type { ConnectorContext } from '../../src/connector/context.js';
import { authenticate, createCredential, tokenRoles } from './auth.js';
import { endpointsOf, type Microsoft365Config } from './config.js';

/**
 * `grantscope doctor` for Microsoft 365: one app-only token, whose `roles` claim lists "the
 * application permissions that have been granted [admin-consented] to the app"
 * (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference, "roles"). The
 * token is decoded here and dropped; it is never logged or returned. No Graph call is made.
 */

/** Each collector's needs; each need is met by any one of its permissions (each API's "Permissions" table). */
const NEEDS: Record<string, { permission: string; anyOf: readonly string[]; why?: string }[]> = {
  // https://learn.microsoft.com/graph/api/serviceprincipal-list#permissions, …/application-list#permissions
  'service-principals': [
    {
      permission: 'Application.Read.All',
      anyOf: [
        'Application.Read.All',
        'Application.ReadWrite.All',
        'Directory.Read.All',
        'Directory.ReadWrite.All',
      ],
    },
  ],
  'application-credentials': [
    {
      permission: 'Application.Read.All',
      anyOf: [
        'Application.Read.All',
        'Application.ReadWrite.All',
        'Directory.Read.All',
        'Directory.ReadWrite.All',
      ],
    },
  ],
  // …/serviceprincipal-list-approleassignedto#permissions
  'app-role-assignments': [
    {
      permission: 'Application.Read.All',
      anyOf: [
        'Application.Read.All',
        'Application.ReadWrite.All',
        'Directory.Read.All',
        'Directory.ReadWrite.All',
      ],
    },
  ],
  // …/oauth2permissiongrant-list#permissions: there is no DelegatedPermissionGrant.Read.All.
  'oauth2-permission-grants': [
    {
      permission: 'Directory.Read.All',
      anyOf: ['Directory.Read.All', 'DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All'],
    },
  ],
  // …/serviceprincipal-list-owners#permissions; users' status needs a permission that reads users
  // (…/user-list#permissions), the owner changes of a rescan AuditLog.Read.All (…/directoryaudit-list).
  owners: [
    {
      permission: 'Application.Read.All',
      anyOf: [
        'Application.Read.All',
        'Application.ReadWrite.All',
        'Directory.Read.All',
        'Directory.ReadWrite.All',
      ],
    },
    {
      permission: 'User.Read.All',
      anyOf: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
      why: 'whether user owners are still enabled',
    },
    {
      permission: 'AuditLog.Read.All',
      anyOf: ['AuditLog.Read.All'],
      why: 'owner changes from the audit log',
    },
  ],
  // …/reportroot-list-serviceprincipalsigninactivities?view=graph-rest-beta#permissions (Entra ID P1 or P2).
  'sign-in-activity': [
    { permission: 'AuditLog.Read.All', anyOf: ['AuditLog.Read.All', 'Directory.Read.All'] },
  ],
};

/** The collectors doctor checks. */
export const CHECKED_COLLECTORS = Object.keys(NEEDS);

export async function checkMicrosoft365Access(
  config: Microsoft365Config,
  ctx: ConnectorContext,
): Promise<AccessCheck[]> {
  const endpoints = endpointsOf(config);
  const credential = createCredential(config, endpoints, ctx);
  // Throws an ApiError naming the token endpoint when the tenant, the app or its credential is refused.
  const roles = new Set(tokenRoles(await authenticate(config, endpoints, credential, ctx)) ?? []);
  const apiPermissions = `${endpoints.portalUrl}/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/CallAnAPI/appId/${config.clientId}`;
  const out: AccessCheck[] = [];
  for (const [collector, needs] of Object.entries(NEEDS)) {
    if (collector === 'sign-in-activity' && !config.signInActivity) continue;
    for (const need of needs) {
      const holding = need.anyOf.find((p) => roles.has(p));
      out.push({
        collector,
        needed: `Microsoft Graph application permission ${need.permission}${need.why ? ` (${need.why})` : ''}`,
        state: holding ? 'granted' : 'missing',
        evidence: holding
          ? `token roles claim holds ${holding}`
          : `token roles claim holds none of ${need.anyOf.join(', ')} (permissions-reference#${need.permission.toLowerCase().replace(/\./g, '')})`,
        ...(holding
          ? {}
          : {
              fix: `Entra admin center → App registrations → ${config.clientId} → API permissions → Add a permission → Microsoft Graph → Application permissions → ${need.permission}; then "Grant admin consent"`,
              link: apiPermissions,
            }),
      });
    }
  }
  return out;
}

export function microsoft365ConfigFiles(config: Microsoft365Config): ConfigFileReference[] {
  const files: ConfigFileReference[] = [];
  if (config.certificateFile) files.push({ key: 'certificateFile', path: config.certificateFile });
  if (config.clientSecretFile) files.push({ key: 'clientSecretFile', path: config.clientSecretFile });
  return files;
}
