import { z } from 'zod';
import { Severity } from '../findings/finding.js';

/**
 * The policy file: which rules run and with which thresholds. Every key is optional except `version`;
 * what is left out takes the default below (the values the BRIEFING's rules describe). Objects are
 * strict, so a misspelt key is an error rather than a silently ignored setting.
 */

/** Risk tiers a threshold can name (`unknown` is not a threshold). */
export const TierThreshold = z.enum(['critical', 'high', 'medium', 'low']);
export type TierThreshold = z.infer<typeof TierThreshold>;

const days = z.number().int().positive();

/** Settings every rule has. */
const ruleBase = {
  enabled: z.boolean().default(true),
  /** Force this severity on every finding of the rule; null = the rule decides. */
  severity: Severity.nullable().default(null),
};

/** A map keyed by credential type with a `default` entry; user entries are merged over the defaults. */
function perCredentialType<V extends z.ZodType>(
  value: V,
  defaults: Record<string, z.output<V>> & { default: z.output<V> },
) {
  return z
    .record(z.string().min(1), value)
    .optional()
    .transform(
      (v) => ({ ...defaults, ...(v ?? {}) }) as Record<string, z.output<V>> & { default: z.output<V> },
    );
}

export const DEFAULT_MAX_LIFETIME_DAYS = {
  'client-secret': 180,
  certificate: 365,
  'service-account-key': 90,
  pat: 366,
  default: 366,
};

export const DEFAULT_NO_EXPIRY_SEVERITY: Record<string, Severity> & { default: Severity } = {
  default: 'high',
  'deploy-key': 'low',
  'ssh-key': 'low',
  // Webhook secrets have no expiry on any platform; rotation is the user's call.
  'webhook-secret': 'low',
};

export const OverPrivilegedPolicy = z.strictObject({
  ...ruleBase,
  /** Grants at this risk tier or above make the identity over-privileged. */
  minTier: TierThreshold.default('high'),
});

export const OwnerlessPolicy = z.strictObject({
  ...ruleBase,
  /** Identity kinds that have no notion of an owner. */
  excludeKinds: z.array(z.string().min(1)).default(['webhook', 'outside-collaborator']),
  /** Origins not held to the ownership rule (vendor first-party apps). */
  exemptOrigins: z.array(z.enum(['third-party', 'internal', 'platform', 'unknown'])).default(['platform']),
  /** Severity is high (else medium) when the identity holds a grant at this tier or above. */
  elevateAtTier: TierThreshold.default('high'),
  /** Also flag identities whose delegated grants all act for inactive users. */
  orphanedGrants: z.boolean().default(true),
});

export const StalePolicy = z.strictObject({
  ...ruleBase,
  /** Last used more than this many days before as-of → stale. */
  unusedDays: days.default(90),
  /** Never used and created more than this many days before as-of → stale. */
  neverUsedGraceDays: days.default(30),
  elevateAtTier: TierThreshold.default('high'),
});

export const CredentialHygienePolicy = z.strictObject({
  ...ruleBase,
  /** A credential expiring within this many days of as-of is flagged as expiring soon. */
  expiringWithinDays: days.default(30),
  /** Longest acceptable lifetime (expiresAt − createdAt) per credential type; `default` for the rest. */
  maxLifetimeDays: perCredentialType(days, DEFAULT_MAX_LIFETIME_DAYS),
  /** Severity of each problem; the finding takes the worst. */
  problemSeverity: z
    .strictObject({
      expired: Severity.default('medium'),
      expiringSoon: Severity.default('low'),
      overMaxLifetime: Severity.default('medium'),
      /** Per credential type: a secret that never expires is worse than an SSH deploy key that never does. */
      noExpiry: perCredentialType(Severity, DEFAULT_NO_EXPIRY_SEVERITY),
    })
    .prefault({}),
});

export const NewGrantPolicy = z.strictObject({ ...ruleBase });

export const ScopeExpansionPolicy = z.strictObject({
  ...ruleBase,
  /** Severity is high (else medium) when a widened grant is at this tier or above. */
  elevateAtTier: TierThreshold.default('high'),
});

export const PolicySchema = z.strictObject({
  version: z.literal(1, { error: 'policy version must be 1 (the only version this grantscope reads)' }),
  rules: z
    .strictObject({
      'over-privileged': OverPrivilegedPolicy.prefault({}),
      ownerless: OwnerlessPolicy.prefault({}),
      stale: StalePolicy.prefault({}),
      'credential-hygiene': CredentialHygienePolicy.prefault({}),
      'new-grant': NewGrantPolicy.prefault({}),
      'scope-expansion': ScopeExpansionPolicy.prefault({}),
    })
    .prefault({}),
});

export type Policy = z.output<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;
export type RulePolicies = Policy['rules'];
