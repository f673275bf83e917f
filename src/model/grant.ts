import { z } from 'zod';
import { AccessLevel, Attributes, PlatformId, PrincipalRef, RiskTier, Tenant, Timestamp } from './common.js';
import { JsonValue } from './json-value.js';

export const IdentityRef = z.object({
  kind: z.string().min(1),
  nativeId: z.string().min(1),
});
export type IdentityRef = z.infer<typeof IdentityRef>;

export const Permission = z.object({
  /** Platform-native permission id: GitHub permission name, Graph app-role / scope GUID, OAuth scope URL. */
  id: z.string().min(1),
  /** Human-readable name (e.g. `contents`, `Mail.ReadWrite`, `https://mail.google.com/`). */
  name: z.string().min(1),
  /** The API the permission is on, when the platform has several (Graph resource appId). */
  resource: z.string().nullable().default(null),
  /** Platform-native level, if any (GitHub `read`/`write`/`admin`, Graph `application`/`delegated`). */
  nativeLevel: z.string().nullable().default(null),
  /** Normalised access level. */
  access: AccessLevel,
});
export type Permission = z.infer<typeof Permission>;

/**
 * What the grant reaches. `breadth` is ordered (narrowest first):
 * resource < selected < all < tenant. `user` is one user's data (delegated, per-user consent).
 */
export const TargetBreadth = z.enum(['user', 'resource', 'selected', 'all', 'tenant']);
export type TargetBreadth = z.infer<typeof TargetBreadth>;
export const BREADTH_ORDER: Record<TargetBreadth, number> = {
  user: 1,
  resource: 2,
  selected: 3,
  all: 4,
  tenant: 5,
};

export const Target = z.object({
  breadth: TargetBreadth,
  /** What kind of thing is reached: `repository`, `organization`, `tenant`, `user`, `users`, `project`, `domain`. */
  type: z.string().min(1),
  /** Native id of the single target (repo full name, user id, project id), when there is one. */
  id: z.string().nullable().default(null),
  label: z.string().nullable().default(null),
  /** For `selected`: the ids of the selected resources (may be truncated; see `count`). */
  resources: z.array(z.string()).default([]),
  /** Number of resources reached when known (e.g. users who consented, repositories selected). */
  count: z.number().int().nonnegative().nullable().default(null),
});
export type Target = z.infer<typeof Target>;

export const GrantedVia = z.enum([
  'admin-consent',
  'user-consent',
  'installation',
  'delegation',
  'approval',
  'collaboration',
  'key',
  'subscription',
  'unknown',
]);
export type GrantedVia = z.infer<typeof GrantedVia>;

export const Risk = z.object({
  tier: RiskTier,
  /** Why this tier (from the catalog, or the connector's escalation rule). */
  reason: z.string().nullable().default(null),
  /** Catalog entry / source the tier came from. */
  source: z.string().nullable().default(null),
});
export type Risk = z.infer<typeof Risk>;

export const Grant = z.object({
  type: z.literal('grant'),
  platform: PlatformId,
  tenant: Tenant,
  identity: IdentityRef,
  permission: Permission,
  target: Target,
  grantedVia: GrantedVia.default('unknown'),
  grantedBy: PrincipalRef.nullable().default(null),
  grantedAt: Timestamp.nullable().default(null),
  /**
   * For delegated/per-user grants: the user on whose behalf the identity acts. A grant whose
   * principal is no longer active is orphaned.
   */
  principal: PrincipalRef.nullable().default(null),
  risk: Risk.default({ tier: 'unknown', reason: null, source: null }),
  attributes: Attributes,
  collector: z.string().min(1),
  raw: JsonValue.default(null),
});
export type Grant = z.infer<typeof Grant>;
export type GrantInput = z.input<typeof Grant>;
