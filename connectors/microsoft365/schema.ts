import { z } from 'zod';

/**
 * zod schemas for the Graph responses the connector reads, parsed at the boundary: a body that does
 * not match becomes an ApiError naming the call, never a half-filled record. Only the properties
 * the connector `$select`s are declared; everything nullable in Graph is nullable here.
 */
const str = z.string();
const nullableStr = z
  .string()
  .nullable()
  .optional()
  .transform((v) => v ?? null);

export const AppRole = z.object({
  id: str,
  value: nullableStr,
  displayName: nullableStr,
  allowedMemberTypes: z.array(str).default([]),
  isEnabled: z.boolean().default(true),
});
export type AppRole = z.infer<typeof AppRole>;

export const PermissionScope = z.object({
  id: str,
  value: nullableStr,
  type: nullableStr,
  adminConsentDisplayName: nullableStr,
  isEnabled: z.boolean().default(true),
});
export type PermissionScope = z.infer<typeof PermissionScope>;

export const VerifiedPublisher = z.object({
  displayName: nullableStr,
  verifiedPublisherId: nullableStr,
  addedDateTime: nullableStr,
});

/** `$select` of the service-principals collector. */
export const SERVICE_PRINCIPAL_SELECT = [
  'id',
  'appId',
  'displayName',
  'appOwnerOrganizationId',
  'accountEnabled',
  'servicePrincipalType',
  'verifiedPublisher',
  'signInAudience',
  'tags',
  'createdDateTime',
  'appRoles',
] as const;

export const ServicePrincipal = z.object({
  id: str,
  appId: str,
  displayName: nullableStr,
  appOwnerOrganizationId: nullableStr,
  accountEnabled: z
    .boolean()
    .nullable()
    .optional()
    .transform((v) => v ?? null),
  servicePrincipalType: nullableStr,
  verifiedPublisher: VerifiedPublisher.nullable()
    .optional()
    .transform((v) => v ?? null),
  signInAudience: nullableStr,
  tags: z.array(str).default([]),
  // Undocumented but served (servicePrincipal is an open type): best effort.
  createdDateTime: nullableStr,
  appRoles: z.array(AppRole).default([]),
});
export type ServicePrincipal = z.infer<typeof ServicePrincipal>;

export const RESOURCE_SCOPES_SELECT = ['id', 'appId', 'displayName', 'oauth2PermissionScopes'] as const;
export const ResourceScopes = z.object({
  id: str,
  appId: str,
  displayName: nullableStr,
  oauth2PermissionScopes: z.array(PermissionScope).default([]),
});
export type ResourceScopes = z.infer<typeof ResourceScopes>;

export const APP_ROLE_ASSIGNMENT_SELECT = [
  'id',
  'appRoleId',
  'principalId',
  'principalType',
  'principalDisplayName',
  'resourceId',
  'createdDateTime',
] as const;
export const AppRoleAssignment = z.object({
  id: str,
  appRoleId: str,
  principalId: str,
  principalType: nullableStr,
  principalDisplayName: nullableStr,
  resourceId: str,
  createdDateTime: nullableStr,
});
export type AppRoleAssignment = z.infer<typeof AppRoleAssignment>;

export const OAuth2PermissionGrant = z.object({
  id: str,
  clientId: str,
  consentType: nullableStr,
  principalId: nullableStr,
  resourceId: str,
  scope: nullableStr,
});
export type OAuth2PermissionGrant = z.infer<typeof OAuth2PermissionGrant>;

const Credential = {
  keyId: nullableStr,
  displayName: nullableStr,
  startDateTime: nullableStr,
  endDateTime: nullableStr,
  customKeyIdentifier: nullableStr,
};
/**
 * Secret material is never declared, so parsing drops it: `secretText`, `key`, and `hint` (the
 * secret's first characters: part of the secret, however short).
 */
export const PasswordCredential = z.object(Credential);
export const KeyCredential = z.object({ ...Credential, type: nullableStr, usage: nullableStr });
export type PasswordCredential = z.infer<typeof PasswordCredential>;
export type KeyCredential = z.infer<typeof KeyCredential>;

export const APPLICATION_SELECT = [
  'id',
  'appId',
  'displayName',
  'createdDateTime',
  'passwordCredentials',
  'keyCredentials',
] as const;
export const Application = z.object({
  id: str,
  appId: str,
  displayName: nullableStr,
  createdDateTime: nullableStr,
  passwordCredentials: z.array(PasswordCredential).default([]),
  keyCredentials: z.array(KeyCredential).default([]),
});
export type Application = z.infer<typeof Application>;

export const DIRECTORY_OBJECT_SELECT = ['id', 'displayName', 'userPrincipalName', 'accountEnabled'] as const;
/** A member of `owners` (user, service principal, …) or a user looked up by id. */
export const DirectoryObject = z.object({
  '@odata.type': nullableStr,
  id: str,
  displayName: nullableStr,
  userPrincipalName: nullableStr,
  accountEnabled: z
    .boolean()
    .nullable()
    .optional()
    .transform((v) => v ?? null),
});
export type DirectoryObject = z.infer<typeof DirectoryObject>;

const SignIn = z
  .object({ lastSignInDateTime: nullableStr })
  .nullable()
  .optional()
  .transform((v) => v ?? null);
export const SignInActivity = z.object({
  appId: str,
  lastSignInActivity: SignIn,
  applicationAuthenticationClientSignInActivity: SignIn,
  delegatedClientSignInActivity: SignIn,
});
export type SignInActivity = z.infer<typeof SignInActivity>;

function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ value: z.array(item), '@odata.nextLink': z.string().optional() });
}
const pages = new WeakMap<z.ZodType, z.ZodType>();

/** A Graph collection page of `item`s (memoised: building zod schemas is not free). */
export function page<T extends z.ZodType>(item: T): ReturnType<typeof pageOf<T>> {
  let p = pages.get(item);
  if (!p) {
    p = pageOf(item);
    pages.set(item, p);
  }
  return p as ReturnType<typeof pageOf<T>>;
}

/** A directory object read by id with `$select=id`, to tell whether it still exists. */
export const DirectoryObjectId = z.looseObject({ id: z.string() });

/**
 * The body of a `$batch` answer (https://learn.microsoft.com/graph/json-batching, "Response format"):
 * `responses`, each with the `id` of its request, its `status`, `headers` and `body` ("The body of an
 * individual response is a JSON object when its content type is JSON"). Only the envelope is checked
 * here; each inner body is parsed with the schema of its own request.
 */
export const BatchResponseBody = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number().int(),
      headers: z.record(z.string(), z.unknown()).optional(),
      body: z.unknown().optional(),
    }),
  ),
});
export type BatchResponseBody = z.infer<typeof BatchResponseBody>;
/** One inner answer of a `$batch`. */
export type BatchInnerResponse = BatchResponseBody['responses'][number];

export const GraphErrorBody = z.object({
  error: z.object({ code: z.string().optional(), message: z.string().optional() }).optional(),
});
