import { matchesIdentity } from '../governance/match.js';
import { matchTarget } from '../governance/view.js';
import { bundleIdentity, DAY_MS } from './bundle-facts.js';
import { defineRule, type RuleResult } from './rule.js';
import { days } from './settings.js';
import { identityLabel } from './wording.js';

/**
 * Exceptions the policy does not allow: longer than `maxDays` from grant to expiry. Such an exception
 * hides nothing (the findings it names stay, marked `exception.status: too-long`); this rule says so on
 * each identity it names, so the file gets fixed. Its `maxDays` is the policy's maximum for every
 * exception, whether or not the rule itself runs.
 */
export const invalidException = defineRule({
  id: 'invalid-exception',
  description: 'Exceptions in the governance file longer than the policy allows (they hide nothing).',
  findingType: 'new-unapproved-grant',
  frameworks: { owaspNhi: [], nistCsf: ['GV.RR-02', 'GV.PO-01'], other: [] },
  needsDiff: false,
  quietWhenUnchanged: true,
  settings: {
    maxDays: days.default(90).describe('Longest exception allowed, from granted to expires, in days'),
  },
  evaluate(bundle, { policy, vocabulary, governance }) {
    if (governance.exceptions.length === 0) return [];
    const target = matchTarget(bundle);
    const out: RuleResult[] = [];
    for (const e of governance.exceptions) {
      if (!e.match || !matchesIdentity(e.match, target)) continue;
      const length = Math.round((Date.parse(e.expires) - Date.parse(e.granted ?? e.expires)) / DAY_MS);
      if (length <= policy.maxDays) continue;
      out.push({
        severity: 'medium',
        subject: `${e.source.file}:${e.source.line}`,
        title:
          `Exception for ${e.rule} on ${identityLabel(bundleIdentity(bundle), vocabulary)} runs ${length} days; ` +
          `the policy allows at most ${policy.maxDays}: it is not applied`,
        evidence: {
          rule: e.rule ?? null,
          approver: e.approver,
          granted: e.granted ?? null,
          expires: e.expires,
          lengthDays: length,
          maxDays: policy.maxDays,
          source: `${e.source.file}:${e.source.line}`,
        },
        remediation: `Shorten the exception at ${e.source.file} line ${e.source.line} to at most ${policy.maxDays} days.`,
      });
    }
    return out;
  },
});
