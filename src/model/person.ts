import { z } from 'zod';
import { Attributes, PlatformId, Tenant } from './common.js';
import { JsonValue } from './json-value.js';

/**
 * What a platform says of a person's account. `active` is the only one that still acts; the rest are
 * the platforms' own words for "left": Entra `accountEnabled: false` (disabled), Google Workspace
 * `suspended` / `archived`, a user a directory read reported deleted, someone no longer a member of
 * the GitHub organisation.
 */
export const PersonStatus = z.enum([
  'active',
  'disabled',
  'suspended',
  'archived',
  'deleted',
  'not-a-member',
]);
export type PersonStatus = z.infer<typeof PersonStatus>;

/**
 * A person (a human account) of a platform: not a non-human identity, but what tells whether a
 * registered owner is still with the organisation. Optional for a connector to emit.
 */
export const Person = z.object({
  type: z.literal('person'),
  platform: PlatformId,
  tenant: Tenant,
  /** The platform's user id (GitHub user id, Entra object id, Google user id). */
  nativeId: z.string().min(1),
  /** The name people know the account by: login, UPN, primary email. */
  name: z.string().nullable().default(null),
  displayName: z.string().nullable().default(null),
  status: PersonStatus,
  /**
   * `directory`: from a complete listing of the platform's people (GitHub org members, Google users):
   * when that listing completed, someone missing from it is gone. `reference`: seen where the connector
   * read them (an owner, a consenting user): missing says nothing.
   */
  listing: z.enum(['directory', 'reference']),
  attributes: Attributes,
  collector: z.string().min(1),
  raw: JsonValue.default(null),
});
export type Person = z.infer<typeof Person>;
export type PersonInput = z.input<typeof Person>;

/** Whether a status still acts for the organisation. */
export const personActive = (status: PersonStatus): boolean => status === 'active';
