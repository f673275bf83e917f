import { z } from 'zod';
import { Json, PlatformId, Timestamp } from '../model/common.js';

import { Severity } from './severity.js';

export { SEVERITY_ORDER, Severity } from './severity.js';

/**
 * A rule id: kebab-case. Which ids exist is the rule list's business (`grantscope rules`), so a new
 * rule, or a plugin's, needs no change to this contract.
 */
export const RuleId = z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
export type RuleId = z.infer<typeof RuleId>;

export const FrameworkRefs = z.object({
  /** OWASP Non-Human Identities Top 10 (2025) ids, e.g. `NHI5`. */
  owaspNhi: z.array(z.string()).describe('OWASP Non-Human Identities Top 10 (2025) ids, e.g. NHI5'),
  /** NIST CSF 2.0 subcategory ids, e.g. `PR.AA-05`. */
  nistCsf: z.array(z.string()).describe('NIST CSF 2.0 subcategory ids, e.g. PR.AA-05'),
  /** Other controls (CIS, SCuBA, SOC 2), as `Framework id`. */
  other: z
    .array(z.string())
    .default([])
    .describe('Other controls (CIS, CISA SCuBA, SOC 2) as "<framework> <id>"'),
});
export type FrameworkRefs = z.infer<typeof FrameworkRefs>;

/** The recertification review in force for the finding's identity (issue 13). */
export const LastReview = z
  .object({
    decision: z.enum(['keep', 'reduce', 'revoke']).describe('What the reviewer decided'),
    reviewer: z.string().describe('Who reviewed'),
    date: Timestamp.describe('When the review was made'),
    note: z.string().optional().describe("Why, in the reviewer's words"),
    until: Timestamp.optional().describe(
      'For reduce/revoke: when the change is due; for keep: until when it holds',
    ),
    source: z
      .enum(['store', 'file'])
      .describe('Where it was recorded: `grantscope review` (store) or the governance file (file)'),
  })
  .describe('The review in force for the identity: the latest of those recorded and in the governance file');
export type LastReview = z.infer<typeof LastReview>;
const SourceRef = z
  .object({ file: z.string(), line: z.number().int() })
  .describe('Where in the governance file(s) the entry is');

/** Who answers for the identity: owners registered in the governance file and the platform's own. */
export const FindingOwner = z
  .object({
    registered: z
      .array(
        z.object({
          person: z.string(),
          team: z.string().nullable(),
          contact: z.string().nullable(),
          /** false = the person's platform account is disabled, suspended or gone (they left). */
          active: z
            .boolean()
            .nullable()
            .describe('false = their platform account shows they left; null = unknown'),
          source: SourceRef,
        }),
      )
      .describe('Owners registered in the governance file'),
    inPlatform: z
      .array(z.object({ id: z.string(), name: z.string().nullable(), active: z.boolean().nullable() }))
      .describe('Owners the platform records'),
  })
  .describe('Who answers for the identity');
export type FindingOwner = z.infer<typeof FindingOwner>;

export const FindingApproval = z
  .object({
    approver: z.string(),
    reference: z.string().nullable(),
    date: z.string(),
    source: SourceRef,
  })
  .describe('The approval (governance file) that covers the identity');
export type FindingApproval = z.infer<typeof FindingApproval>;

export const FindingException = z
  .object({
    /**
     * `active`: the finding is accepted (`excepted` true). `expired`, `too-long` (longer than the policy
     * allows) and `widened` (the identity gained grants since it was granted) no longer apply: the finding
     * is back, and says why.
     */
    status: z.enum(['active', 'expired', 'too-long', 'widened']),
    reason: z.string(),
    approver: z.string(),
    granted: z.string(),
    expires: z.string(),
    source: SourceRef,
  })
  .describe('The exception (governance file) that matched the finding, and whether it applies');
export type FindingException = z.infer<typeof FindingException>;

/**
 * A finding, as printed by `grantscope findings --format json` (the array elements) and published as a
 * JSON Schema in `src/findings/finding.schema.json` (regenerate: see `json-schema.ts`). Field names are a
 * public contract.
 */
export const Finding = z
  .object({
    /** Stable across scans: derived from rule, platform, tenant, identity and the rule's subject. */
    fingerprint: z
      .string()
      .describe(
        'Stable across scans: derived from rule, platform, tenant, identity kind and id, and subject; ' +
          'independent of severity, evidence and time',
      ),
    rule: RuleId.describe('Id of the rule that produced the finding (see `grantscope rules`)'),
    severity: Severity,
    platform: PlatformId.describe('Platform id, e.g. github, microsoft365, google-workspace'),
    tenant: z.string().describe('Org login, Entra tenant id or Google customer id'),
    identity: z
      .object({
        kind: z.string().describe('Identity kind, e.g. github-app-installation, service-principal'),
        /** Platform-native id. */
        id: z.string().describe('Platform-native id of the identity'),
        name: z.string().nullable().describe('Display name, when the platform has one'),
      })
      .describe('The non-human identity the finding is about'),
    /** What the finding is about within the identity (a permission, a credential), when narrower. */
    subject: z
      .string()
      .nullable()
      .default(null)
      .describe('What the finding is about within the identity (a credential, ...), when narrower'),
    title: z.string().describe('One line, for people'),
    /** Facts that support the finding (values, dates, thresholds compared). */
    evidence: z
      .record(z.string(), Json)
      .describe('Facts that support the finding: the values, dates, thresholds and grants compared'),
    remediation: z.string().describe('What to do about it, with where to do it when known'),
    frameworks: FrameworkRefs,
    // Governance (present only when a governance file or the platform says something).
    owner: FindingOwner.optional(),
    approval: FindingApproval.optional(),
    exception: FindingException.optional(),
    excepted: z
      .boolean()
      .optional()
      .describe(
        'true when accepted by an active exception: kept and shown in JSON, hidden from tables, ignored by --fail-on',
      ),
    firstSeen: Timestamp.describe('Time of the first scan in which this fingerprint was found'),
    lastSeen: Timestamp.describe('Time of the latest scan in which this fingerprint was found'),
    /** Scan the finding was computed from. */
    scanId: z.number().int().nullable().default(null).describe('Scan the finding was computed from'),
    lastReview: LastReview.optional().describe(
      'The review in force for the identity (`grantscope review`, governance file), when there is one',
    ),
  })
  .describe('A grantscope finding');
export type Finding = z.infer<typeof Finding>;

/** A finding before the store stamps first/last seen. */
export type FindingDraft = Omit<Finding, 'firstSeen' | 'lastSeen' | 'scanId'>;
