import type { Severity } from '../findings/finding.js';
import type { SelectionCoverage } from '../selection/describe-selection.js';

/**
 * What the HTML report embeds as JSON and draws from: plain data, no raw API objects, no secrets.
 * Identities and findings refer to each other by index into `identities` / `findings`.
 * Nothing in it depends on the time the report is written, so the same snapshot gives the same file.
 */
export interface ReportData {
  /** Bumped when the shape changes (scripts may read the embedded JSON). */
  schema: 1;
  tool: { name: 'grantscope'; version: string };
  scan: {
    id: number;
    startedAt: string;
    finishedAt: string | null;
    status: string;
    label: string | null;
    governanceHash: string | null;
  };
  /**
   * Present when the report read more than one scan (a round of one scan per tenant): each source with
   * the scan it was read from, and the sources whose scan is much older than the newest. `scan` is
   * then the newest scan read, its status `incomplete` if any source was.
   */
  scans?: SelectionCoverage;
  /** The time the rules judged against (the scan time unless --as-of). */
  asOf: string;
  /** The framework the report was limited to (`--framework`), else null. */
  framework: string | null;
  summary: ReportSummary;
  coverage: ReportCoverageRow[];
  /** `source collector (HTTP n)` of each collector that failed: their records were carried over. */
  incomplete: string[];
  /** Oldest first. */
  trend: ReportTrendPoint[];
  identities: ReportIdentity[];
  findings: ReportFinding[];
  frameworks: ReportFramework[];
}

export interface ReportSummary {
  identities: number;
  grants: number;
  credentials: number;
  /** Findings not accepted by an exception. */
  findings: number;
  /** Findings accepted by an active exception (listed, not counted above). */
  excepted: number;
  bySeverity: Record<Severity, number>;
  /** Platform → severity → count (not excepted). */
  byPlatform: Record<string, Record<Severity, number>>;
  /** Rule → count (not excepted). */
  byRule: Record<string, number>;
}

export interface ReportCoverageRow {
  source: string;
  collector: string;
  status: string;
  items: number;
  requests: number;
  detail: string;
}

export interface ReportTrendPoint {
  scanId: number;
  startedAt: string;
  status: string;
  opened: number;
  resolved: number;
  open: number;
}

export interface ReportOwner {
  name: string;
  /** `registered` = the governance file, `platform` = the platform's own record. */
  source: 'registered' | 'platform';
  /** false: left / inactive; null: unknown. */
  active: boolean | null;
  team: string | null;
}

export interface ReportReview {
  decision: string;
  reviewer: string;
  date: string;
  note: string | null;
  until: string | null;
  source: 'store' | 'file';
}

export interface ReportHistoryPoint {
  scanId: number;
  startedAt: string;
  present: boolean;
  grants: number;
  credentials: number;
  riskTier: string;
}

export interface ReportIdentity {
  platform: string;
  tenant: string;
  kind: string;
  nativeId: string;
  name: string;
  origin: string;
  publisher: string | null;
  publisherVerified: boolean | null;
  enabled: boolean | null;
  createdAt: string | null;
  lastUsed: string | null;
  /** Highest risk tier among its grants. */
  riskTier: string;
  /** Where an admin revokes it (https only; anything else is dropped). */
  manageUrl: string | null;
  owners: ReportOwner[];
  /** Whether anyone active answers for it. */
  owned: boolean;
  approval: { approver: string; reference: string | null; date: string } | null;
  exceptions: Array<{ rule: string | null; approver: string; reason: string; expires: string }>;
  retired: { date: string; reference: string | null } | null;
  /** Newest first: recorded with `grantscope review`, then the governance file's. */
  reviews: ReportReview[];
  grants: Array<{
    permission: string;
    access: string;
    target: string;
    via: string;
    grantedAt: string | null;
    risk: string;
    reason: string | null;
  }>;
  credentials: Array<{
    type: string;
    name: string;
    createdAt: string | null;
    expiresAt: string | null;
    lastUsed: string | null;
  }>;
  /** Indexes into `ReportData.findings`. */
  findings: number[];
  /** Most severe finding not excepted, or null. */
  worstSeverity: Severity | null;
  /** Oldest first, over the scans the report looks back on. */
  history: ReportHistoryPoint[];
}

export interface ReportFinding {
  fingerprint: string;
  rule: string;
  severity: Severity;
  platform: string;
  tenant: string;
  /** Index into `ReportData.identities`, or null when the identity is not in the snapshot. */
  identity: number | null;
  identityName: string;
  subject: string | null;
  title: string;
  remediation: string;
  excepted: boolean;
  firstSeen: string;
  /** Control keys (`ReportControl.key`) the finding fails. */
  controls: string[];
}

export interface ReportEvidence {
  /** What satisfies the control, in one sentence. */
  text: string;
  /** The identities it is about (indexes), possibly none. */
  identities: number[];
}

export interface ReportControl {
  /** `<framework id>:<control id>`. */
  key: string;
  id: string;
  title: string;
  /** Finding types the catalog maps to this control. */
  findingTypes: string[];
  evidence: ReportEvidence[];
  /** Indexes into `ReportData.findings` (excepted ones included, marked there). */
  failing: number[];
}

export interface ReportFramework {
  id: string;
  name: string;
  controls: ReportControl[];
}
