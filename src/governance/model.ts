/**
 * What the organisation decided about its non-human identities, as read from the governance file(s)
 * (`governance.yaml`, or a folder of them): registered owners, approved baselines, exceptions, retired
 * vendors and recorded reviews. The loader (src/governance/load.ts) validates and normalises the files
 * into this shape; rules read it through `RuleContext.governance`. Nothing here knows a platform's API:
 * identities are matched through the model (platform, native id, kind, publisher, display name).
 */

/** Which identities an entry applies to. Every key given must match; at least one key is required. */
export interface IdentityMatch {
  /** The model's platform id (`github`, `microsoft365`, `google-workspace`, or a plugin's). */
  platform?: string;
  /** The tenant (org, tenant id, customer id) the identity lives in. */
  tenant?: string;
  /** The identity's native id on its platform (exact, case-insensitive). */
  id?: string;
  /** The identity kind as the model names it. */
  kind?: string;
  /** The publisher / vendor as the model records it (exact, case-insensitive). */
  publisher?: string;
  /** A glob over the display name (`*` any run of characters, `?` one), case-insensitive. */
  name?: string;
}

/** Where an entry came from, for error messages and evidence. */
export interface SourceRef {
  file: string;
  line: number;
}

/** A person's account on a platform, to tell whether that person has left (user status). */
export interface PersonAccount {
  platform: string;
  /** The platform's user id or login / UPN / primary email. */
  id: string;
}

export interface OwnerEntry {
  match: IdentityMatch;
  person: string;
  team?: string;
  contact?: string;
  accounts: PersonAccount[];
  source: SourceRef;
}

export interface ApprovalEntry {
  match: IdentityMatch;
  /** Permissions / scopes approved (the model's permission names); a grant beyond them is `unapproved-scope`. */
  permissions: string[];
  /** For permissions approved only up to an access level: name → highest level approved. */
  maxAccess: Record<string, 'read' | 'write' | 'admin'>;
  /** Target breadth approved (e.g. `all` vs `selected` repositories, tenant-wide vs per-user consent). */
  breadth?: string;
  /** Credential types approved (the model's credential types). */
  credentialTypes?: string[];
  /** Longest credential lifetime approved, in days. */
  maxCredentialLifetimeDays?: number;
  approver: string;
  reference?: string;
  /** ISO date the approval was given. */
  date: string;
  source: SourceRef;
}

export interface ExceptionEntry {
  /** Either a finding fingerprint, or a rule id with an identity match. */
  fingerprint?: string;
  rule?: string;
  match?: IdentityMatch;
  reason: string;
  approver: string;
  /** ISO date (inclusive) after which the exception no longer applies. */
  expires: string;
  /** ISO date the exception was granted (for the policy's maximum length). */
  granted?: string;
  source: SourceRef;
}

export interface RetiredEntry {
  match: IdentityMatch;
  /** The vendor or integration, as people call it. */
  name: string;
  /** ISO date it was offboarded. */
  date: string;
  reference?: string;
  source: SourceRef;
}

export type ReviewDecision = 'keep' | 'reduce' | 'revoke';

/** A review recorded in the governance file (reviews recorded with `grantscope review` live in the store). */
export interface ReviewEntry {
  match: IdentityMatch;
  decision: ReviewDecision;
  reviewer: string;
  /** ISO date of the review. */
  date: string;
  note?: string;
  /** For `reduce`/`revoke`: the date by which the change is due. */
  until?: string;
  source: SourceRef;
}

export interface Governance {
  /** The files read, in order. */
  files: string[];
  /** sha256 over the files' contents in order: stored with each scan so an auditor sees what was in force. */
  hash: string;
  owners: OwnerEntry[];
  approvals: ApprovalEntry[];
  exceptions: ExceptionEntry[];
  retired: RetiredEntry[];
  reviews: ReviewEntry[];
}

/** No governance file: nothing decided. */
export const EMPTY_GOVERNANCE: Governance = {
  files: [],
  hash: '',
  owners: [],
  approvals: [],
  exceptions: [],
  retired: [],
  reviews: [],
};
