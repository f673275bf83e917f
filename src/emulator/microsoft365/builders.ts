import type * as G from '@microsoft/microsoft-graph-types';
import type * as GB from '@microsoft/microsoft-graph-types-beta';
import type {
  AppRecord,
  AssignmentRecord,
  GrantRecord,
  OwnerRecord,
  SignInRecord,
  SpRecord,
  UserRecord,
} from './directory.js';
import type { KeyCredentialIn, PasswordCredentialIn } from './schema.js';

/**
 * Graph response bodies, built from the directory records. Each builder's return type is
 * `Served<GraphType, keys>`: every listed property is required (present, `null` where Graph says
 * nullable), and tsc checks names and types against `@microsoft/microsoft-graph-types` (v1.0) and
 * `-beta`. What is served is also checked at run time against those types (emulator.test.ts).
 */
type Served<T, K extends keyof T> = { [P in K]-?: Exclude<T[P], undefined> };

export const SERVICE_PRINCIPAL_KEYS = [
  'id',
  'deletedDateTime',
  'accountEnabled',
  'alternativeNames',
  'appDescription',
  'appDisplayName',
  'appId',
  'applicationTemplateId',
  'appOwnerOrganizationId',
  'appRoleAssignmentRequired',
  'appRoles',
  'description',
  'disabledByMicrosoftStatus',
  'displayName',
  'homepage',
  'keyCredentials',
  'loginUrl',
  'logoutUrl',
  'notes',
  'notificationEmailAddresses',
  'oauth2PermissionScopes',
  'passwordCredentials',
  'preferredSingleSignOnMode',
  'preferredTokenSigningKeyThumbprint',
  'replyUrls',
  'servicePrincipalNames',
  'servicePrincipalType',
  'signInAudience',
  'tags',
  'tokenEncryptionKeyId',
  'verifiedPublisher',
] as const satisfies ReadonlyArray<keyof G.ServicePrincipal>;

/**
 * `createdDateTime` is not in the servicePrincipal schema, but the service returns it (servicePrincipal
 * is an open type); clients must treat it as best-effort.
 */
export type ServedServicePrincipal = Served<G.ServicePrincipal, (typeof SERVICE_PRINCIPAL_KEYS)[number]> & {
  createdDateTime: string | null;
};

export const BETA_SERVICE_PRINCIPAL_KEYS = [
  ...SERVICE_PRINCIPAL_KEYS.filter((k) => k !== 'oauth2PermissionScopes'),
  'publishedPermissionScopes',
  'publisherName',
] as const satisfies ReadonlyArray<keyof GB.ServicePrincipal>;
export type ServedBetaServicePrincipal = Served<
  GB.ServicePrincipal,
  (typeof BETA_SERVICE_PRINCIPAL_KEYS)[number]
> & {
  createdDateTime: string | null;
};

export const APPLICATION_KEYS = [
  'id',
  'deletedDateTime',
  'appId',
  'applicationTemplateId',
  'appRoles',
  'createdDateTime',
  'description',
  'disabledByMicrosoftStatus',
  'displayName',
  'groupMembershipClaims',
  'identifierUris',
  'isDeviceOnlyAuthSupported',
  'isFallbackPublicClient',
  'keyCredentials',
  'notes',
  'passwordCredentials',
  'publisherDomain',
  'requiredResourceAccess',
  'serviceManagementReference',
  'signInAudience',
  'tags',
  'tokenEncryptionKeyId',
  'verifiedPublisher',
] as const satisfies ReadonlyArray<keyof G.Application>;
export type ServedApplication = Served<G.Application, (typeof APPLICATION_KEYS)[number]>;

export const USER_KEYS = [
  'id',
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'accountEnabled',
] as const satisfies ReadonlyArray<keyof G.User>;
export type ServedUser = Served<G.User, (typeof USER_KEYS)[number]>;

export const APP_ROLE_ASSIGNMENT_KEYS = [
  'id',
  'deletedDateTime',
  'appRoleId',
  'createdDateTime',
  'principalDisplayName',
  'principalId',
  'principalType',
  'resourceDisplayName',
  'resourceId',
] as const satisfies ReadonlyArray<keyof G.AppRoleAssignment>;
export type ServedAppRoleAssignment = Served<G.AppRoleAssignment, (typeof APP_ROLE_ASSIGNMENT_KEYS)[number]>;

export const OAUTH2_PERMISSION_GRANT_KEYS = [
  'id',
  'clientId',
  'consentType',
  'principalId',
  'resourceId',
  'scope',
] as const satisfies ReadonlyArray<keyof G.OAuth2PermissionGrant>;
export type ServedOAuth2PermissionGrant = Served<
  G.OAuth2PermissionGrant,
  (typeof OAUTH2_PERMISSION_GRANT_KEYS)[number]
>;

export const SIGN_IN_ACTIVITY_KEYS = [
  'id',
  'appId',
  'applicationAuthenticationClientSignInActivity',
  'applicationAuthenticationResourceSignInActivity',
  'delegatedClientSignInActivity',
  'delegatedResourceSignInActivity',
  'lastSignInActivity',
] as const satisfies ReadonlyArray<keyof GB.ServicePrincipalSignInActivity>;
export type ServedSignInActivity = Served<
  GB.ServicePrincipalSignInActivity,
  (typeof SIGN_IN_ACTIVITY_KEYS)[number]
>;

type ServedPasswordCredential = Served<G.PasswordCredential, keyof G.PasswordCredential>;
type ServedKeyCredential = Served<G.KeyCredential, keyof G.KeyCredential>;
type ServedAppRole = Served<G.AppRole, keyof G.AppRole>;
type ServedPermissionScope = Served<G.PermissionScope, keyof G.PermissionScope>;
type ServedSignIn = Served<GB.SignInActivity, keyof GB.SignInActivity>;

export function passwordCredential(c: PasswordCredentialIn): ServedPasswordCredential {
  // secretText is only ever returned by addPassword; lists always carry null.
  return {
    customKeyIdentifier: c.customKeyIdentifier,
    displayName: c.displayName,
    endDateTime: c.endDateTime,
    hint: c.hint,
    keyId: c.keyId,
    secretText: null,
    startDateTime: c.startDateTime,
  };
}

export function keyCredential(c: KeyCredentialIn): ServedKeyCredential {
  // `key` is only returned when selecting keyCredentials on a single object; lists carry null.
  return {
    customKeyIdentifier: c.customKeyIdentifier,
    displayName: c.displayName,
    endDateTime: c.endDateTime,
    key: null,
    keyId: c.keyId,
    startDateTime: c.startDateTime,
    type: c.type,
    usage: c.usage,
  };
}

function appRoles(sp: SpRecord): ServedAppRole[] {
  return sp.appRoles.map((r) => ({
    allowedMemberTypes: r.allowedMemberTypes,
    description: r.description,
    displayName: r.displayName,
    id: r.id,
    isEnabled: r.isEnabled,
    origin: 'Application',
    value: r.value,
  }));
}

function scopes(sp: SpRecord): ServedPermissionScope[] {
  return sp.oauth2PermissionScopes.map((s) => ({
    adminConsentDescription: `Allows the app to ${s.value} on behalf of the signed-in user.`,
    adminConsentDisplayName: s.adminConsentDisplayName,
    id: s.id,
    isEnabled: s.isEnabled,
    origin: null,
    type: s.type,
    userConsentDescription: null,
    userConsentDisplayName: null,
    value: s.value,
  }));
}

export function servicePrincipal(sp: SpRecord): ServedServicePrincipal {
  return {
    id: sp.id,
    deletedDateTime: null,
    accountEnabled: sp.accountEnabled,
    alternativeNames: [],
    appDescription: null,
    appDisplayName: sp.appDisplayName,
    appId: sp.appId,
    applicationTemplateId: null,
    appOwnerOrganizationId: sp.appOwnerOrganizationId,
    appRoleAssignmentRequired: sp.appRoleAssignmentRequired,
    appRoles: appRoles(sp),
    createdDateTime: sp.createdDateTime,
    description: sp.description,
    disabledByMicrosoftStatus: null,
    displayName: sp.displayName,
    homepage: sp.homepage,
    keyCredentials: sp.keyCredentials.map(keyCredential),
    loginUrl: null,
    logoutUrl: null,
    notes: null,
    notificationEmailAddresses: [],
    oauth2PermissionScopes: scopes(sp),
    passwordCredentials: sp.passwordCredentials.map(passwordCredential),
    preferredSingleSignOnMode: null,
    preferredTokenSigningKeyThumbprint: null,
    replyUrls: [],
    servicePrincipalNames: [sp.appId],
    servicePrincipalType: sp.servicePrincipalType,
    signInAudience: sp.signInAudience,
    tags: sp.tags,
    tokenEncryptionKeyId: null,
    verifiedPublisher: {
      displayName: sp.verifiedPublisher?.displayName ?? null,
      verifiedPublisherId: sp.verifiedPublisher?.verifiedPublisherId ?? null,
      addedDateTime: sp.verifiedPublisher?.addedDateTime ?? null,
    },
  };
}

/** Beta: adds `publisherName`, and calls the delegated scopes `publishedPermissionScopes`. */
export function betaServicePrincipal(sp: SpRecord): ServedBetaServicePrincipal {
  const { oauth2PermissionScopes, ...rest } = servicePrincipal(sp);
  return { ...rest, publishedPermissionScopes: oauth2PermissionScopes, publisherName: sp.publisherName };
}

export function application(a: AppRecord): ServedApplication {
  return {
    id: a.id,
    deletedDateTime: null,
    appId: a.appId,
    applicationTemplateId: null,
    appRoles: [],
    createdDateTime: a.createdDateTime,
    description: null,
    disabledByMicrosoftStatus: null,
    displayName: a.displayName,
    groupMembershipClaims: null,
    identifierUris: [],
    isDeviceOnlyAuthSupported: null,
    isFallbackPublicClient: null,
    keyCredentials: a.keyCredentials.map(keyCredential),
    notes: null,
    passwordCredentials: a.passwordCredentials.map(passwordCredential),
    publisherDomain: a.publisherDomain,
    requiredResourceAccess: [],
    serviceManagementReference: null,
    signInAudience: a.signInAudience,
    tags: [],
    tokenEncryptionKeyId: null,
    verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
  };
}

export function user(u: UserRecord): ServedUser {
  const [givenName, ...rest] = u.displayName.split(' ');
  return {
    id: u.id,
    businessPhones: [],
    displayName: u.displayName,
    givenName: givenName ?? null,
    jobTitle: u.jobTitle,
    mail: u.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: rest.length > 0 ? rest.join(' ') : null,
    userPrincipalName: u.userPrincipalName,
    accountEnabled: u.accountEnabled,
  };
}

/**
 * Members of `owners`: directoryObjects, told apart by `@odata.type`. A user owner read without a
 * permission that reads users comes back with "only the @odata.type property for the object type
 * and the id ..., while other properties are indicated as null"
 * (https://learn.microsoft.com/graph/api/serviceprincipal-list-owners, "Important").
 */
export function owner(o: OwnerRecord, access: { readsUsers: boolean }): Record<string, unknown> {
  if (o.type === 'servicePrincipal') {
    return { '@odata.type': '#microsoft.graph.servicePrincipal', ...servicePrincipal(o.sp) };
  }
  const full = user(o.user);
  if (access.readsUsers) return { '@odata.type': '#microsoft.graph.user', ...full };
  const limited: Record<string, unknown> = { '@odata.type': '#microsoft.graph.user' };
  for (const k of Object.keys(full)) limited[k] = k === 'id' ? full.id : null;
  return limited;
}

export function appRoleAssignment(a: AssignmentRecord): ServedAppRoleAssignment {
  return {
    id: a.id,
    deletedDateTime: null,
    appRoleId: a.appRoleId,
    createdDateTime: a.createdDateTime,
    principalDisplayName: a.principalDisplayName,
    principalId: a.principalId,
    principalType: a.principalType,
    resourceDisplayName: a.resourceDisplayName,
    resourceId: a.resourceId,
  };
}

/**
 * Beta names the assignment's timestamp `creationTimestamp` (-beta AppRoleAssignment; "In the v1.0
 * endpoint, this property was renamed to createdDateTime", microsoft-graph-docs#18300).
 */
export function betaAppRoleAssignment(a: AssignmentRecord): Omit<
  ServedAppRoleAssignment,
  'createdDateTime'
> & {
  creationTimestamp: string | null;
} {
  const { createdDateTime, ...rest } = appRoleAssignment(a);
  return { ...rest, creationTimestamp: createdDateTime };
}

/** Beta's application type has no `applicationTemplateId` (-beta Application). */
export function betaApplication(a: AppRecord): Omit<ServedApplication, 'applicationTemplateId'> {
  const { applicationTemplateId: _t, ...rest } = application(a);
  return rest;
}

export function oauth2PermissionGrant(g: GrantRecord): ServedOAuth2PermissionGrant {
  return {
    id: g.id,
    clientId: g.clientId,
    consentType: g.consentType,
    principalId: g.principalId,
    resourceId: g.resourceId,
    scope: g.scope,
  };
}

function signInActivity(at: string | null): ServedSignIn | null {
  if (!at) return null;
  return {
    lastNonInteractiveSignInDateTime: null,
    lastNonInteractiveSignInRequestId: null,
    lastSignInDateTime: at,
    lastSignInRequestId: null,
    lastSuccessfulSignInDateTime: at,
    lastSuccessfulSignInRequestId: null,
  };
}

export function servicePrincipalSignInActivity(s: SignInRecord): ServedSignInActivity {
  return {
    // The report's id is the base64 of the appId, not the SP object id.
    id: Buffer.from(s.appId).toString('base64'),
    appId: s.appId,
    applicationAuthenticationClientSignInActivity: signInActivity(s.lastSignInDateTime),
    applicationAuthenticationResourceSignInActivity: null,
    delegatedClientSignInActivity: null,
    delegatedResourceSignInActivity: null,
    lastSignInActivity: signInActivity(s.lastSignInDateTime),
  };
}
