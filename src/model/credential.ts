import { z } from 'zod';
import { Attributes, PlatformId, Tenant, Timestamp, UsageSignal } from './common.js';
import { IdentityRef } from './grant.js';
import { JsonValue } from './json-value.js';

export const Credential = z.object({
  type: z.literal('credential'),
  platform: PlatformId,
  tenant: Tenant,
  identity: IdentityRef,
  /** `client-secret`, `certificate`, `pat`, `deploy-key`, `service-account-key`, …: each connector's own. */
  credentialType: z.string().min(1),
  /** Platform-native id of the credential (key id, token id, key resource name). Never the secret. */
  nativeId: z.string().min(1),
  displayName: z.string().nullable().default(null),
  createdAt: Timestamp.nullable().default(null),
  /** null = never expires. */
  expiresAt: Timestamp.nullable().default(null),
  lastUsed: UsageSignal.nullable().default(null),
  enabled: z.boolean().nullable().default(null),
  attributes: Attributes,
  collector: z.string().min(1),
  raw: JsonValue.default(null),
});
export type Credential = z.infer<typeof Credential>;
export type CredentialInput = z.input<typeof Credential>;
