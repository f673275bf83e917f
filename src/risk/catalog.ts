import { z } from 'zod';
import data from './catalog.json' with { type: 'json' };

const FrameworkRef = z.object({
  framework: z.string(),
  id: z.string(),
  title: z.string(),
  findings: z.array(z.string()),
  mapping: z.string().optional(),
  source: z.string(),
  /** Platform-specific benchmarks (CIS M365, SCuBA GWS, …) apply only to findings of these platforms. */
  platforms: z.array(z.string()).optional(),
});
const OwaspRef = z.object({
  id: z.string(),
  title: z.string(),
  summary: z.string(),
  scannerFindings: z.array(z.string()),
  source: z.string(),
});

/**
 * The framework catalog, shipped as versioned data (users have no copy of our research notes): the
 * framework controls each finding type maps to. The risk tiers of platform permissions are each
 * connector's own (`connectors/<platform>/risk-catalog.json`, read by its `risk.ts`).
 */
export const RiskCatalog = z.object({
  catalogVersion: z.string(),
  description: z.string(),
  riskScale: z.array(z.string()),
  findingTypes: z.array(z.string()),
  owaspNhi: z.array(OwaspRef),
  frameworks: z.array(FrameworkRef),
  thresholds: z.array(z.object({ topic: z.string(), value: z.string(), source: z.string() })),
});
export type RiskCatalog = z.infer<typeof RiskCatalog>;

let cached: RiskCatalog | undefined;

/** The built-in catalog, validated once. */
export function riskCatalog(): RiskCatalog {
  cached ??= RiskCatalog.parse(data);
  return cached;
}
