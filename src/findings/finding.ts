import { z } from 'zod';
import { Json, PlatformId, Timestamp } from '../model/common.js';

export const Severity = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type Severity = z.infer<typeof Severity>;
export const SEVERITY_ORDER: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export const RULE_IDS = [
  'over-privileged',
  'ownerless',
  'stale',
  'credential-hygiene',
  'new-grant',
  'scope-expansion',
] as const;
export const RuleId = z.enum(RULE_IDS);
export type RuleId = z.infer<typeof RuleId>;

export const FrameworkRefs = z.object({
  /** OWASP Non-Human Identities Top 10 (2025) ids, e.g. `NHI5`. */
  owaspNhi: z.array(z.string()),
  /** NIST CSF 2.0 subcategory ids, e.g. `PR.AA-05`. */
  nistCsf: z.array(z.string()),
  /** Other controls (CIS, SCuBA, SOC 2), as `Framework id`. */
  other: z.array(z.string()).default([]),
});
export type FrameworkRefs = z.infer<typeof FrameworkRefs>;

/**
 * A finding, as printed by `grantscope findings --format json` (the array elements) and published as a
 * JSON Schema in `schemas/finding.schema.json`. Field names are a public contract.
 */
export const Finding = z.object({
  /** Stable across scans: derived from rule, platform, tenant, identity and the rule's subject. */
  fingerprint: z.string(),
  rule: RuleId,
  severity: Severity,
  platform: PlatformId,
  tenant: z.string(),
  identity: z.object({
    kind: z.string(),
    /** Platform-native id. */
    id: z.string(),
    name: z.string().nullable(),
  }),
  /** What the finding is about within the identity (a permission, a credential), when narrower. */
  subject: z.string().nullable().default(null),
  title: z.string(),
  /** Facts that support the finding (values, dates, thresholds compared). */
  evidence: z.record(z.string(), Json),
  remediation: z.string(),
  frameworks: FrameworkRefs,
  firstSeen: Timestamp,
  lastSeen: Timestamp,
  /** Scan the finding was computed from. */
  scanId: z.number().int().nullable().default(null),
});
export type Finding = z.infer<typeof Finding>;

/** A finding before the store stamps first/last seen. */
export type FindingDraft = Omit<Finding, 'firstSeen' | 'lastSeen' | 'scanId'>;
