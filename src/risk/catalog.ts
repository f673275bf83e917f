import { z } from 'zod';
import { RiskTier } from '../model/common.js';
import data from './catalog.json' with { type: 'json' };

/**
 * The risk catalog, shipped as versioned data (users have no copy of our research notes).
 * Entries are keyed by platform-native permission ids; each connector knows how to match its
 * platform's permissions against its section (see `connectors/<platform>/risk.ts`).
 */
export const CatalogEntry = z
  .object({
    permission: z.string(),
    kind: z.string(),
    level: z.string(),
    risk: RiskTier.exclude(['unknown']),
    reason: z.string(),
    source: z.string(),
  })
  .catchall(z.unknown());
export type CatalogEntry = z.infer<typeof CatalogEntry>;

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

export const RiskCatalog = z.object({
  catalogVersion: z.string(),
  description: z.string(),
  riskScale: z.array(z.string()),
  resourceAppIds: z.record(z.string(), z.string()),
  findingTypes: z.array(z.string()),
  platforms: z.record(z.string(), z.array(CatalogEntry)),
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

/** Catalog entries for one platform (empty for a platform the catalog does not cover). */
export function catalogEntries(platform: string): readonly CatalogEntry[] {
  return riskCatalog().platforms[platform] ?? [];
}
