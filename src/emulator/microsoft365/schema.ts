import { z } from 'zod';

/**
 * The `microsoft365:` section of an emulator world. Field names follow Graph where they mean the
 * same thing, so a world reads like the tenant it describes. Relative dates (`now-120d`) are
 * resolved before this schema sees them.
 *
 * ```yaml
 * microsoft365:
 *   tenant: { id: <guid>, displayName: Acme Corp, defaultDomain: acme.onmicrosoft.com }
 *   licences: { entraIdP1: true }          # false: the beta sign-in activity report answers 403
 *   scanner: { appId: <guid>, permissions: [Application.Read.All, Directory.Read.All, AuditLog.Read.All] }
 *   users: [{ id, displayName, userPrincipalName, accountEnabled }]
 *   deletedUsers: [<guid>]                 # principals of grants whose user was deleted
 *   servicePrincipals: [{ id, appId, displayName, appOwnerOrganizationId, owners: [<user or SP id>], lastSignIn, ... }]
 *   applications: [{ id, appId, displayName, owners, passwordCredentials, keyCredentials }]
 *   appRoleAssignments: [{ principalId: <client SP id>, resourceAppId: <guid>, appRole: Mail.Read }]
 *   oauth2PermissionGrants: [{ id, clientId, resourceAppId, consentType: AllPrincipals, scope: 'User.Read' }]
 *   generate: { seed: 42, servicePrincipals: 50000, users: 20000 }   # instead of the lists above
 * ```
 * The well-known resource service principals (Microsoft Graph, Exchange Online, SharePoint Online)
 * are added automatically unless the world lists one with the same appId.
 */
export const Guid = z
  .string()
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    'must be a GUID (xxxxxxxx-xxxx-…)',
  );
const Timestamp = z.iso.datetime({ offset: true, message: 'must be a timestamp or now±N[dhms]' });

export const PasswordCredentialIn = z
  .object({
    keyId: Guid,
    displayName: z.string().nullable().default(null),
    hint: z.string().nullable().default(null),
    startDateTime: Timestamp,
    endDateTime: Timestamp.nullable().default(null),
    customKeyIdentifier: z.string().nullable().default(null),
  })
  .strict();

export const KeyCredentialIn = z
  .object({
    keyId: Guid,
    displayName: z.string().nullable().default(null),
    type: z.string().default('AsymmetricX509Cert'),
    usage: z.enum(['Verify', 'Sign']).default('Verify'),
    startDateTime: Timestamp,
    endDateTime: Timestamp.nullable().default(null),
    customKeyIdentifier: z.string().nullable().default(null),
  })
  .strict();

const AppRoleIn = z
  .object({
    id: Guid,
    value: z.string().min(1),
    displayName: z.string().optional(),
    description: z.string().optional(),
    allowedMemberTypes: z.array(z.enum(['User', 'Application'])).default(['Application']),
    isEnabled: z.boolean().default(true),
  })
  .strict();

const ScopeIn = z
  .object({
    id: Guid,
    value: z.string().min(1),
    type: z.enum(['User', 'Admin']).default('User'),
    adminConsentDisplayName: z.string().optional(),
    isEnabled: z.boolean().default(true),
  })
  .strict();

const VerifiedPublisherIn = z
  .object({
    displayName: z.string(),
    verifiedPublisherId: z.string(),
    addedDateTime: Timestamp.nullable().default(null),
  })
  .strict();

export const ServicePrincipalIn = z
  .object({
    id: Guid,
    appId: Guid,
    displayName: z.string().min(1),
    appDisplayName: z.string().optional(),
    /** Home tenant of the app: the world's tenant (internal), a Microsoft tenant, or a vendor's. */
    appOwnerOrganizationId: Guid.nullable(),
    /** Beta-only property (v1.0 does not serve it). */
    publisherName: z.string().nullable().default(null),
    verifiedPublisher: VerifiedPublisherIn.nullable().default(null),
    accountEnabled: z.boolean().default(true),
    servicePrincipalType: z
      .enum(['Application', 'ManagedIdentity', 'Legacy', 'SocialIdp'])
      .default('Application'),
    signInAudience: z
      .enum([
        'AzureADMyOrg',
        'AzureADMultipleOrgs',
        'AzureADandPersonalMicrosoftAccount',
        'PersonalMicrosoftAccount',
      ])
      .nullable()
      .default('AzureADMultipleOrgs'),
    tags: z.array(z.string()).default(['WindowsAzureActiveDirectoryIntegratedApp']),
    createdDateTime: Timestamp.nullable().default(null),
    appRoleAssignmentRequired: z.boolean().default(false),
    homepage: z.string().nullable().default(null),
    description: z.string().nullable().default(null),
    appRoles: z.array(AppRoleIn).default([]),
    oauth2PermissionScopes: z.array(ScopeIn).default([]),
    /** Object ids of users or service principals. */
    owners: z.array(Guid).default([]),
    passwordCredentials: z.array(PasswordCredentialIn).default([]),
    keyCredentials: z.array(KeyCredentialIn).default([]),
    /** Last sign-in, as the beta usage report shows it. Omitted: the report has no row for this app. */
    lastSignIn: Timestamp.nullable().optional(),
  })
  .strict();

export const ApplicationIn = z
  .object({
    id: Guid,
    appId: Guid,
    displayName: z.string().min(1),
    createdDateTime: Timestamp.nullable().default(null),
    signInAudience: z
      .enum([
        'AzureADMyOrg',
        'AzureADMultipleOrgs',
        'AzureADandPersonalMicrosoftAccount',
        'PersonalMicrosoftAccount',
      ])
      .default('AzureADMyOrg'),
    publisherDomain: z.string().nullable().default(null),
    owners: z.array(Guid).default([]),
    passwordCredentials: z.array(PasswordCredentialIn).default([]),
    keyCredentials: z.array(KeyCredentialIn).default([]),
  })
  .strict();

export const UserIn = z
  .object({
    id: Guid,
    displayName: z.string().min(1),
    userPrincipalName: z.string().min(1),
    accountEnabled: z.boolean().default(true),
    mail: z.string().nullable().default(null),
    jobTitle: z.string().nullable().default(null),
  })
  .strict();

export const AppRoleAssignmentIn = z
  .object({
    /** Opaque id; derived from principal, resource and role when omitted. */
    id: z.string().min(1).optional(),
    principalId: Guid,
    principalType: z.enum(['ServicePrincipal', 'User', 'Group']).default('ServicePrincipal'),
    /** The resource SP: by object id, or by appId (handy for Microsoft Graph, whose object id differs per tenant). */
    resourceId: Guid.optional(),
    resourceAppId: Guid.optional(),
    /** The app role: by GUID, or by value (resolved against the resource's appRoles). */
    appRoleId: Guid.optional(),
    appRole: z.string().min(1).optional(),
    createdDateTime: Timestamp.nullable().default(null),
  })
  .strict()
  .refine((a) => (a.resourceId === undefined) !== (a.resourceAppId === undefined), {
    message: 'give exactly one of resourceId, resourceAppId',
  })
  .refine((a) => (a.appRoleId === undefined) !== (a.appRole === undefined), {
    message: 'give exactly one of appRoleId, appRole',
  });

export const OAuth2PermissionGrantIn = z
  .object({
    id: z.string().min(1),
    clientId: Guid,
    resourceId: Guid.optional(),
    resourceAppId: Guid.optional(),
    consentType: z.enum(['AllPrincipals', 'Principal']),
    principalId: Guid.nullable().default(null),
    /** Space-separated scope values, as Graph stores them. */
    scope: z.string(),
  })
  .strict()
  .refine((g) => (g.resourceId === undefined) !== (g.resourceAppId === undefined), {
    message: 'give exactly one of resourceId, resourceAppId',
  })
  .refine((g) => (g.consentType === 'Principal') === (g.principalId !== null), {
    message: 'principalId is required for consentType Principal and must be null for AllPrincipals',
  });

export const GenerateIn = z
  .object({
    seed: z.number().int(),
    servicePrincipals: z.number().int().nonnegative(),
    users: z.number().int().positive().default(1000),
  })
  .strict();

export const Microsoft365Section = z
  .object({
    tenant: z.object({ id: Guid, displayName: z.string().min(1), defaultDomain: z.string().min(1) }).strict(),
    licences: z
      .object({ entraIdP1: z.boolean().default(true) })
      .strict()
      .default({ entraIdP1: true }),
    scanner: z
      .object({
        appId: Guid,
        displayName: z.string().default('grantscope scanner'),
        /** Application permissions admin-consented to the scanner app (checked on every Graph call). */
        permissions: z
          .array(z.string())
          .default(['Application.Read.All', 'Directory.Read.All', 'AuditLog.Read.All']),
        /** Client credentials the app registration accepts. */
        credentials: z.array(z.enum(['secret', 'certificate'])).default(['secret', 'certificate']),
      })
      .strict(),
    /** Add Microsoft Graph, Exchange Online and SharePoint Online unless listed. */
    wellKnownResources: z.boolean().default(true),
    users: z.array(UserIn).default([]),
    deletedUsers: z.array(Guid).default([]),
    servicePrincipals: z.array(ServicePrincipalIn).default([]),
    applications: z.array(ApplicationIn).default([]),
    appRoleAssignments: z.array(AppRoleAssignmentIn).default([]),
    oauth2PermissionGrants: z.array(OAuth2PermissionGrantIn).default([]),
    generate: GenerateIn.optional(),
    /**
     * Readings of Graph that Microsoft's documents leave open, switched on to test the other one.
     * `refuseUndeclaredSelect`: `$select=createdDateTime` on servicePrincipals is refused like any
     * property the types do not declare (400 "Could not find a property named …"). By default the
     * emulator serves it, as the service does by msgraph-sdk-java#2246 (acknowledged) and
     * msgraph-sdk-dotnet#3062; the types (@microsoft/microsoft-graph-types) do not declare it.
     */
    quirks: z
      .object({ refuseUndeclaredSelect: z.boolean().default(false) })
      .strict()
      .default({ refuseUndeclaredSelect: false }),
  })
  .strict();
export type Microsoft365Section = z.infer<typeof Microsoft365Section>;
export type ServicePrincipalIn = z.infer<typeof ServicePrincipalIn>;
export type ApplicationIn = z.infer<typeof ApplicationIn>;
export type UserIn = z.infer<typeof UserIn>;
export type PasswordCredentialIn = z.infer<typeof PasswordCredentialIn>;
export type KeyCredentialIn = z.infer<typeof KeyCredentialIn>;
