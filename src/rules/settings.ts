import { z } from 'zod';
import { Severity } from '../findings/severity.js';

/** Building blocks for rules' policy settings (`defineRule({ settings })`). */

/** Risk tiers a threshold can name (`unknown` is not a threshold). */
export const TierThreshold = z.enum(['critical', 'high', 'medium', 'low']);
export type TierThreshold = z.infer<typeof TierThreshold>;

export const days = z.number().int().positive();

/** Settings every rule has, whatever it declares. */
export const COMMON_RULE_SETTINGS = {
  enabled: z.boolean().default(true).describe('Run the rule'),
  severity: Severity.nullable()
    .default(null)
    .describe('Force this severity on every finding of the rule; null: the rule decides'),
};

/**
 * A map keyed by credential type with a `default` entry (listed last); user entries are merged over
 * the defaults, and the connectors' entries for their own types come in as policy defaults.
 */
export function perCredentialType<V extends z.ZodType>(value: V, defaults: { default: z.output<V> }) {
  return z
    .record(z.string().min(1), value)
    .optional()
    .transform((v) => {
      const { default: fallback, ...types } = { ...defaults, ...(v ?? {}) };
      return { ...types, default: fallback } as Record<string, z.output<V>> & { default: z.output<V> };
    });
}
