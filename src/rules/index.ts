export { type BundleIdentity, bundleIdentity } from './bundle-facts.js';
export { credentialProblems } from './credential-hygiene.js';
export { type DiffIndex, indexDiff } from './diff-index.js';
export { compareFindings, type EvaluateOptions, evaluateRules, streamRules, toDraft } from './evaluate.js';
export { type BuiltinRule, RULE_IDS, RULES, type RuleId, ruleById } from './registry.js';
export {
  type AnyRule,
  defineRule,
  type Rule,
  type RuleContext,
  type RuleResult,
  type RuleSpec,
} from './rule.js';
export { COMMON_RULE_SETTINGS, days, perCredentialType, TierThreshold } from './settings.js';
