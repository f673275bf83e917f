import { credentialHygiene } from './credential-hygiene.js';
import { idlePartner } from './idle-partner.js';
import { invalidException } from './invalid-exception.js';
import { newCredential } from './new-credential.js';
import { newGrant } from './new-grant.js';
import { overPrivileged } from './over-privileged.js';
import { overdueReview } from './overdue-review.js';
import { ownerless } from './ownerless.js';
import { retiredStillPresent } from './retired-still-present.js';
import { reviewDecisionOverdue } from './review-decision-overdue.js';
import type { AnyRule } from './rule.js';
import { scopeExpansion } from './scope-expansion.js';
import { stale } from './stale.js';
import { unapproved, unapprovedScope } from './unapproved-scope.js';

/**
 * Every built-in rule, in the order `grantscope rules` lists them. This list is the only place besides
 * its own file that names a rule: rule ids, the policy schema and the documentation derive from it.
 */
export const RULES = [
  overPrivileged,
  ownerless,
  stale,
  credentialHygiene,
  newGrant,
  scopeExpansion,
  newCredential,
  idlePartner,
  overdueReview,
  reviewDecisionOverdue,
  // Governance (issue 13): judged against the governance file.
  retiredStillPresent,
  unapprovedScope,
  unapproved,
  invalidException,
] as const;

export type BuiltinRule = (typeof RULES)[number];
export type RuleId = BuiltinRule['id'];
export const RULE_IDS: readonly RuleId[] = RULES.map((r) => r.id);

export function ruleById(id: string, rules: readonly AnyRule[] = RULES): AnyRule {
  const rule = rules.find((r) => r.id === id);
  if (!rule) throw new Error(`no rule '${id}'`);
  return rule;
}
