import type { FindingDraft, RuleId, Severity } from '../findings/finding.js';
import type { Json } from '../model/index.js';
import type { RulePolicies } from '../policy/schema.js';
import type { IdentityBundle } from '../store/store.js';
import type { DiffIndex } from './diff-index.js';

/** What a rule sees besides the bundle: its own policy section, the as-of time, and the diff. */
export interface RuleContext<Id extends RuleId = RuleId> {
  policy: RulePolicies[Id];
  /** The time the rule judges against (scan time, or `--as-of`): never the wall clock. */
  asOf: Date;
  /** Changes since the previous scan; null on the first scan. */
  diff: DiffIndex | null;
}

/** What a rule reports; identity, fingerprint and framework references are filled in for it. */
export interface RuleResult {
  severity: Severity;
  /** Narrower than the identity (a credential), or null. Part of the fingerprint. */
  subject: string | null;
  title: string;
  evidence: Record<string, Json>;
  remediation: string;
}

export interface Rule<Id extends RuleId = RuleId> {
  id: Id;
  /** One line for `grantscope rules` and documentation. */
  description: string;
  /** Needs a previous scan: not run when there is no diff. */
  needsDiff: boolean;
  evaluate(bundle: IdentityBundle, ctx: RuleContext<Id>): RuleResult[];
}

/** Identity-preserving helper that keeps each rule's policy type tied to its id. */
export function defineRule<Id extends RuleId>(rule: Rule<Id>): Rule<Id> {
  return rule;
}

export type AnyRule = { [Id in RuleId]: Rule<Id> }[RuleId];
export type { FindingDraft };
