import { createHash } from 'node:crypto';
import { MICROSOFT_SERVICES_TENANT, WELL_KNOWN_RESOURCES } from './resources.js';
import type { KeyCredentialIn, PasswordCredentialIn } from './schema.js';

/**
 * The tenant the emulator serves, as collections it can page through. Two implementations: the
 * explicit world (`world-directory.ts`, lists from YAML) and the seeded generator
 * (`generated-directory.ts`, items computed from (seed, index) on demand). The Graph routes only
 * see this interface.
 */
export interface RoleDef {
  id: string;
  value: string;
  displayName: string;
  description: string;
  allowedMemberTypes: string[];
  isEnabled: boolean;
}
export interface ScopeDef {
  id: string;
  value: string;
  type: 'User' | 'Admin';
  adminConsentDisplayName: string;
  isEnabled: boolean;
}
export interface SpRecord {
  id: string;
  appId: string;
  displayName: string;
  appDisplayName: string;
  appOwnerOrganizationId: string | null;
  publisherName: string | null;
  verifiedPublisher: {
    displayName: string;
    verifiedPublisherId: string;
    addedDateTime: string | null;
  } | null;
  accountEnabled: boolean;
  servicePrincipalType: string;
  signInAudience: string | null;
  tags: string[];
  createdDateTime: string | null;
  appRoleAssignmentRequired: boolean;
  homepage: string | null;
  description: string | null;
  appRoles: RoleDef[];
  oauth2PermissionScopes: ScopeDef[];
  passwordCredentials: PasswordCredentialIn[];
  keyCredentials: KeyCredentialIn[];
}
export interface AppRecord {
  id: string;
  appId: string;
  displayName: string;
  createdDateTime: string | null;
  signInAudience: string;
  publisherDomain: string | null;
  passwordCredentials: PasswordCredentialIn[];
  keyCredentials: KeyCredentialIn[];
}
export interface UserRecord {
  id: string;
  displayName: string;
  userPrincipalName: string;
  accountEnabled: boolean;
  mail: string | null;
  jobTitle: string | null;
}
export interface AssignmentRecord {
  id: string;
  appRoleId: string;
  createdDateTime: string | null;
  principalId: string;
  principalType: string;
  principalDisplayName: string | null;
  resourceId: string;
  resourceDisplayName: string | null;
}
export interface GrantRecord {
  id: string;
  clientId: string;
  consentType: string;
  principalId: string | null;
  resourceId: string;
  scope: string;
}
export interface SignInRecord {
  appId: string;
  lastSignInDateTime: string;
}
export type OwnerRecord = { type: 'user'; user: UserRecord } | { type: 'servicePrincipal'; sp: SpRecord };

/** Items addressable by position ("slot"); a slot may be empty (generated collections skip items). */
export interface Collection<T> {
  readonly slots: number;
  at(slot: number): T | undefined;
}
export interface KeyedCollection<T> extends Collection<T> {
  get(id: string): T | undefined;
}

export interface M365Directory {
  tenant: { id: string; displayName: string; defaultDomain: string };
  scanner: {
    appId: string;
    displayName: string;
    permissions: ReadonlySet<string>;
    credentials: ReadonlySet<string>;
  };
  /** Entra ID P1/P2: without it the sign-in activity report answers 403. */
  premium: boolean;
  servicePrincipals: KeyedCollection<SpRecord> & { byAppId(appId: string): SpRecord | undefined };
  applications: KeyedCollection<AppRecord>;
  users: KeyedCollection<UserRecord>;
  oauth2PermissionGrants: Collection<GrantRecord>;
  signInActivities: Collection<SignInRecord>;
  /** undefined when the object does not exist. */
  ownersOfServicePrincipal(id: string): OwnerRecord[] | undefined;
  ownersOfApplication(id: string): OwnerRecord[] | undefined;
  /** Assignments of this resource's app roles (who holds permissions on it). */
  appRoleAssignedTo(resourceId: string): Collection<AssignmentRecord>;
  /** App roles granted to this principal (what it holds). */
  appRoleAssignments(principalId: string): AssignmentRecord[];
}

export function arrayCollection<T extends { id: string }>(items: T[]): KeyedCollection<T> {
  const byId = new Map(items.map((i) => [i.id.toLowerCase(), i]));
  return { slots: items.length, at: (slot) => items[slot], get: (id) => byId.get(id.toLowerCase()) };
}

/** A GUID-shaped id derived from its inputs (stable across runs). */
export function derivedGuid(...parts: Array<string | number>): string {
  const h = createHash('sha256').update(parts.join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((Number.parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The object id of a well-known resource SP in a tenant (object ids differ per tenant, appIds do not). */
export function resourceObjectId(tenantId: string, appId: string): string {
  return derivedGuid('resource-sp', tenantId.toLowerCase(), appId.toLowerCase());
}

/** Microsoft Graph, Exchange Online and SharePoint Online as they appear in `tenantId`. */
export function wellKnownResourceSps(tenantId: string): SpRecord[] {
  return WELL_KNOWN_RESOURCES.map((r) => ({
    id: resourceObjectId(tenantId, r.appId),
    appId: r.appId,
    displayName: r.displayName,
    appDisplayName: r.displayName,
    appOwnerOrganizationId: MICROSOFT_SERVICES_TENANT,
    publisherName: 'Microsoft Services',
    verifiedPublisher: null,
    accountEnabled: true,
    servicePrincipalType: 'Application',
    signInAudience: 'AzureADMultipleOrgs',
    tags: [],
    createdDateTime: null,
    appRoleAssignmentRequired: false,
    homepage: null,
    description: null,
    appRoles: r.appRoles.map(([value, id]) => ({
      id,
      value,
      displayName: value,
      description: `Application permission ${value} on ${r.displayName}.`,
      allowedMemberTypes: ['Application'],
      isEnabled: true,
    })),
    oauth2PermissionScopes: r.scopes.map(([value, id]) => ({
      id,
      value,
      type: /\.All$|Directory/.test(value) ? ('Admin' as const) : ('User' as const),
      adminConsentDisplayName: value,
      isEnabled: true,
    })),
    passwordCredentials: [],
    keyCredentials: [],
  }));
}
