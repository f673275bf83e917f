import { z } from 'zod';
import { Attributes, PlatformId, PrincipalRef, Tenant, Timestamp, UsageSignal } from './common.js';
import { JsonValue } from './json-value.js';

/**
 * Where an identity comes from, relative to the organisation being scanned:
 * - `third-party`: published by someone else (a vendor, a partner, an unknown party);
 * - `internal`: built or owned by the organisation itself (its own app registrations, its own GCP service accounts);
 * - `platform`: the platform vendor's own first-party app (Microsoft first-party service principals,
 *   GitHub-owned apps). Inventoried, but not held to the ownership rule.
 */
export const Origin = z.enum(['third-party', 'internal', 'platform', 'unknown']);
export type Origin = z.infer<typeof Origin>;

export const Publisher = z.object({
  name: z.string().nullable().default(null),
  /** Platform-native publisher id (verified publisher id, owner tenant id, app owner login). */
  id: z.string().nullable().default(null),
  /** Whether the platform verified the publisher. null = not applicable / unknown. */
  verified: z.boolean().nullable().default(null),
});
export type Publisher = z.infer<typeof Publisher>;

export const Identity = z.object({
  type: z.literal('identity'),
  platform: PlatformId,
  tenant: Tenant,
  /**
   * e.g. `github-app-installation`, `service-principal`, `oauth-client`: open strings, each connector's own
   * (its vocabulary labels them, see `ConnectorVocabulary`).
   */
  kind: z.string().min(1),
  /** Platform-native id, as used in findings (installation id, SP object id, OAuth client id, …). */
  nativeId: z.string().min(1),
  displayName: z.string().nullable().default(null),
  publisher: Publisher.default({ name: null, id: null, verified: null }),
  origin: Origin.default('unknown'),
  createdAt: Timestamp.nullable().default(null),
  /** null = the platform has no enabled/disabled notion for this kind. */
  enabled: z.boolean().nullable().default(null),
  lastUsed: UsageSignal.nullable().default(null),
  /** In-platform owners, each with whether they are still active. */
  owners: z.array(PrincipalRef).default([]),
  /**
   * False when the connector could not collect owners this time (their collector failed, or they are
   * not fetched for this identity, e.g. a platform first-party app): `owners` is then empty for want of
   * data, not proof of no owner; or it lists owners none of whom is known to be active while some
   * are of unknown activity (`active: null`), so whether anyone active answers for it is unknown.
   * Where the platform records no owner at all (GitHub App installations),
   * owners come from configuration and an empty list is a real finding: `ownersKnown` stays true.
   */
  ownersKnown: z.boolean().default(true),
  /** Where an admin reviews or revokes this identity (settings page, portal blade, console URL). */
  manageUrl: z.string().nullable().default(null),
  /** Normalised, platform-neutral extras the connector wants to surface (e.g. `appId`, `events`). */
  attributes: Attributes,
  /** The collector that produced this record (used for coverage-aware diffs). */
  collector: z.string().min(1),
  /** The raw API object it came from, with secret material removed. */
  raw: JsonValue.default(null),
});
export type Identity = z.infer<typeof Identity>;
export type IdentityInput = z.input<typeof Identity>;
