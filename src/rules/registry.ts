import type { RuleId } from '../findings/finding.js';
import { credentialHygiene } from './credential-hygiene.js';
import { newGrant } from './new-grant.js';
import { overPrivileged } from './over-privileged.js';
import { ownerless } from './ownerless.js';
import type { AnyRule } from './rule.js';
import { scopeExpansion } from './scope-expansion.js';
import { stale } from './stale.js';

/** Every built-in rule, in the order `grantscope rules` lists them. */
export const RULES: readonly AnyRule[] = [
  overPrivileged,
  ownerless,
  stale,
  credentialHygiene,
  newGrant,
  scopeExpansion,
];

export function ruleById(id: RuleId): AnyRule {
  const rule = RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`no rule '${id}'`);
  return rule;
}
