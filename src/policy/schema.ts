import { z } from 'zod';
import type { Vocabulary } from '../connector/vocabulary.js';
import { RULES } from '../rules/registry.js';
import type { AnyRule } from '../rules/rule.js';
import { connectorDefaults, layer } from './connector-defaults.js';

/**
 * The policy file: which rules run and with which thresholds. Every key is optional except `version`;
 * what is left out takes the default: the connectors' (their vocabularies' policy defaults, such as which
 * kinds have no owner), else the rule's own. Each rule declares its own section (`defineRule({ settings })`),
 * so the schema is built from the list of rules. Objects are strict, so a misspelt key is an error rather
 * than a silently ignored setting.
 */
export function policySchemaFor(rules: readonly AnyRule[], vocabulary: Vocabulary) {
  const defaults = connectorDefaults(rules, vocabulary);
  const sectionOf = (rule: AnyRule) => {
    const fromConnectors = defaults.get(rule.id);
    if (!fromConnectors) return rule.policy.prefault({});
    return z.preprocess(
      (section) => (section === undefined ? fromConnectors : layer(fromConnectors, section)),
      rule.policy,
    );
  };
  return z.strictObject({
    version: z.literal(1, { error: 'policy version must be 1 (the only version this grantscope reads)' }),
    rules: z.strictObject(Object.fromEntries(rules.map((r) => [r.id, sectionOf(r)]))).prefault({}),
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

/** The schema of a policy file for the built-in rules, with the loaded connectors' defaults. */
export function policySchema(vocabulary: Vocabulary): z.ZodType<Policy, PolicyInput> {
  return policySchemaFor(RULES, vocabulary) as unknown as z.ZodType<Policy, PolicyInput>;
}
