import type { SnapshotDiff } from '../../src/diff/types.js';
import { Finding, type FindingDraft } from '../../src/findings/finding.js';
import type { Governance } from '../../src/governance/model.js';
import type { PersonDirectory } from '../../src/governance/people.js';
import { type Policy, type PolicyInput, policySchema } from '../../src/policy/schema.js';
import { evaluateRules } from '../../src/rules/evaluate.js';
import type { AnyRule } from '../../src/rules/rule.js';
import type { IdentityBundle } from '../../src/store/store.js';
import { BUILTIN_VOCABULARY } from './vocabulary.js';

export const AS_OF = new Date('2026-11-26T10:00:00Z');

/** The default policy with some rule settings changed (validated like a policy file). */
export function policyWith(rules: NonNullable<PolicyInput['rules']> = {}): Policy {
  return policySchema(BUILTIN_VOCABULARY).parse({ version: 1, rules });
}

/**
 * Run one rule (or all) the way the CLI does and check every draft is a valid Finding once the store
 * stamps it, so rule tests also guard the public contract.
 */
export async function findingsOf(
  rule: AnyRule | null,
  bundles: IdentityBundle[],
  options: {
    policy?: Policy;
    diff?: SnapshotDiff | null;
    asOf?: Date;
    governance?: Governance;
    people?: PersonDirectory;
    previousAt?: Date | null;
  } = {},
): Promise<FindingDraft[]> {
  const drafts = await evaluateRules({
    bundles,
    diff: options.diff ?? null,
    policy: options.policy ?? policyWith(),
    asOf: options.asOf ?? AS_OF,
    vocabulary: BUILTIN_VOCABULARY,
    ...(rule ? { rules: [rule] } : {}),
    ...(options.governance && { governance: options.governance }),
    ...(options.people && { people: options.people }),
    ...(options.previousAt !== undefined && { previousAt: options.previousAt }),
  });
  for (const d of drafts) {
    Finding.parse({ ...d, firstSeen: AS_OF.toISOString(), lastSeen: AS_OF.toISOString(), scanId: 1 });
  }
  return drafts;
}
