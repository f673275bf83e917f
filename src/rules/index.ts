export { type BundleIdentity, bundleIdentity } from './bundle-facts.js';
export { credentialProblems } from './credential-hygiene.js';
export { type DiffIndex, indexDiff } from './diff-index.js';
export { compareFindings, type EvaluateOptions, evaluateRules, toDraft } from './evaluate.js';
export { RULES, ruleById } from './registry.js';
export type { AnyRule, Rule, RuleContext, RuleResult } from './rule.js';
