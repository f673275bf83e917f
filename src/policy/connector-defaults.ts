import type { Vocabulary } from '../connector/vocabulary.js';
import { ConfigError } from '../errors.js';
import type { AnyRule } from '../rules/rule.js';

type Settings = Record<string, unknown>;

function isMapping(value: unknown): value is Settings {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Two connectors' defaults for one rule: lists joined, maps merged, the first connector's value kept. */
function join(first: Settings, second: Settings): Settings {
  // Entries, not assignment: a key such as `__proto__` stays a key.
  const out = new Map(Object.entries(first));
  for (const [key, value] of Object.entries(second)) {
    const mine = out.get(key);
    if (!out.has(key)) out.set(key, value);
    else if (Array.isArray(mine) && Array.isArray(value)) out.set(key, [...new Set([...mine, ...value])]);
    else if (isMapping(mine) && isMapping(value)) out.set(key, join(mine, value));
  }
  return Object.fromEntries(out);
}

/**
 * The user's section of a rule laid over the connectors' defaults: maps are merged, anything else the
 * user gives replaces the default (a list too: `excludeKinds: []` means none). What is not a mapping
 * is left for the rule's schema to reject.
 */
export function layer(defaults: Settings, user: unknown): unknown {
  if (!isMapping(user)) return user;
  const out = new Map(Object.entries(defaults));
  for (const [key, value] of Object.entries(user)) {
    const base = out.get(key);
    out.set(key, isMapping(base) && isMapping(value) ? layer(base, value) : value);
  }
  return Object.fromEntries(out);
}

/**
 * The connectors' defaults for rule settings (their vocabularies' `policyDefaults`), per rule id,
 * each checked against its rule's schema so that a connector's mistake is reported as its own.
 */
export function connectorDefaults(rules: readonly AnyRule[], vocabulary: Vocabulary): Map<string, Settings> {
  const byId = new Map(rules.map((r) => [r.id, r]));
  const out = new Map<string, Settings>();
  for (const { platform, defaults } of vocabulary.policyDefaults) {
    const issues: { path: string; line: null; message: string }[] = [];
    for (const [ruleId, settings] of Object.entries(defaults)) {
      const path = `vocabulary.policyDefaults.${ruleId}`;
      const rule = byId.get(ruleId);
      if (!rule) {
        issues.push({ path, line: null, message: `no rule '${ruleId}'` });
        continue;
      }
      const checked = rule.policy.safeParse(settings);
      if (!checked.success) {
        for (const issue of checked.error.issues)
          issues.push({ path: [path, ...issue.path].join('.'), line: null, message: issue.message });
        continue;
      }
      const earlier = out.get(ruleId);
      out.set(ruleId, earlier ? join(earlier, settings) : settings);
    }
    if (issues.length > 0) throw new ConfigError(`connector '${platform}'`, issues);
  }
  return out;
}
