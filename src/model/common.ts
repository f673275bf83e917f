import { z } from 'zod';
import { JsonObject } from './json-value.js';

/**
 * Platform ids are open-ended so that a connector shipped as its own package can add one
 * (e.g. `slack`) without touching the engine. The known ones are those of the loaded connectors.
 */
export const PlatformId = z.string().regex(/^[a-z][a-z0-9-]*$/, 'platform ids are lower-case slugs');
export type PlatformId = z.infer<typeof PlatformId>;

/** ISO-8601 timestamp with offset, e.g. 2026-11-26T10:00:00Z. Stored as text so `sqlite3` users can read it. */
export const Timestamp = z.iso.datetime({ offset: true });
export type Timestamp = z.infer<typeof Timestamp>;

/** The org / tenant / customer a record belongs to. */
export const Tenant = z.object({
  /** GitHub org login, Entra tenant id, Google customer id. */
  id: z.string().min(1),
  /** Human label (org name, primary domain). */
  name: z.string().nullable().default(null),
});
export type Tenant = z.infer<typeof Tenant>;

/** Normalised access level, ordered read < write < admin. */
export const AccessLevel = z.enum(['read', 'write', 'admin']);
export type AccessLevel = z.infer<typeof AccessLevel>;
export const ACCESS_ORDER: Record<AccessLevel, number> = { read: 1, write: 2, admin: 3 };

/** Risk tiers, as in the risk catalog. `unknown` = the catalog has no entry. */
export const RiskTier = z.enum(['critical', 'high', 'medium', 'low', 'unknown']);
export type RiskTier = z.infer<typeof RiskTier>;
export const RISK_ORDER: Record<RiskTier, number> = { unknown: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** A reference to a person or principal inside the platform (an owner, a granting admin, a consenting user). */
export const PrincipalRef = z.object({
  /** Platform-native id (login, object id, user id or email). */
  id: z.string().min(1),
  name: z.string().nullable().default(null),
  /** user, group, service (another NHI), unknown. */
  type: z.enum(['user', 'group', 'service', 'unknown']).default('user'),
  /**
   * Whether the principal is still active in the platform (member, enabled, not suspended).
   * null = the connector could not tell.
   */
  active: z.boolean().nullable().default(null),
});
export type PrincipalRef = z.infer<typeof PrincipalRef>;

/**
 * A "last used" signal. `at: null` with a source means "the source says never used";
 * the whole field being null means "no signal available" (licence missing, API not offered).
 */
export const UsageSignal = z.object({
  at: Timestamp.nullable(),
  /** Where the signal comes from, e.g. `github:token_last_used_at`, `entra:servicePrincipalSignInActivities`. */
  source: z.string().min(1),
});
export type UsageSignal = z.infer<typeof UsageSignal>;

/** JSON value, for raw API objects and free-form attributes. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export const Json: z.ZodType<Json> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(Json), z.record(z.string(), Json)]),
);
/** Free-form attributes of a record: checked as JSON, not copied (json-value.ts). */
export const Attributes = JsonObject.default({});
