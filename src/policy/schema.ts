import { z } from 'zod';
import { RULES } from '../rules/registry.js';
import type { AnyRule } from '../rules/rule.js';

/**
 * The policy file: which rules run and with which thresholds. Every key is optional except `version`;
 * what is left out takes the rule's default. Each rule declares its own section (`defineRule({ settings })`),
 * so the schema is built from the list of rules. Objects are strict, so a misspelt key is an error rather
 * than a silently ignored setting.
 */
export function policySchemaFor(rules: readonly AnyRule[]) {
  return z.strictObject({
    version: z.literal(1, { error: 'policy version must be 1 (the only version this grantscope reads)' }),
    rules: z.strictObject(Object.fromEntries(rules.map((r) => [r.id, r.policy.prefault({})]))).prefault({}),
  });
}

type Builtin = (typeof RULES)[number];
export type RulePolicies = { [R in Builtin as R['id']]: z.output<R['policy']> };
export interface Policy {
  version: 1;
  rules: RulePolicies;
}
export interface PolicyInput {
  version: 1;
  rules?: { [R in Builtin as R['id']]?: z.input<R['policy']> };
}

export const PolicySchema = policySchemaFor(RULES) as unknown as z.ZodType<Policy, PolicyInput>;
