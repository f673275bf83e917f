import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bundle, grant, identity } from '../../test/support/records.js';
import { AS_OF } from '../../test/support/rules.js';
import { BUILTIN_VOCABULARY } from '../../test/support/vocabulary.js';
import { Finding } from '../findings/finding.js';
import { renderRules } from '../output/views/rules.js';
import { policySchemaFor } from '../policy/schema.js';
import { evaluateRules } from './evaluate.js';
import { RULE_IDS, RULES } from './registry.js';
import { defineRule } from './rule.js';

/**
 * Adding a rule is one declaration plus its entry in the rule list: the policy schema, the rule ids,
 * `grantscope rules` and framework references follow from it. Proven here with a throwaway rule.
 */
const tooManyGrants = defineRule({
  id: 'too-many-grants',
  description: 'Identities holding more grants than a limit.',
  findingType: 'over-privileged',
  needsDiff: false,
  settings: { limit: z.number().int().positive().default(5).describe('Most grants one identity may hold') },
  evaluate(b, { policy }) {
    if (b.grants.length <= policy.limit) return [];
    return [
      {
        severity: 'medium',
        subject: null,
        title: `${b.grants.length} grants (limit ${policy.limit})`,
        evidence: { grants: b.grants.length, limit: policy.limit },
        remediation: 'Remove the grants it does not need.',
      },
    ];
  },
});

describe('the rule list', () => {
  it('derives the rule ids and the policy sections from the rules', () => {
    expect(RULE_IDS).toEqual(RULES.map((r) => r.id));
    const policy = policySchemaFor(RULES, BUILTIN_VOCABULARY).parse({ version: 1 });
    expect(Object.keys(policy.rules)).toEqual([...RULE_IDS]);
  });

  it('takes a new rule with no edit anywhere else', async () => {
    const rules = [...RULES, tooManyGrants];
    const schema = policySchemaFor(rules, BUILTIN_VOCABULARY);
    expect(() => schema.parse({ version: 1, rules: { 'too-many-grants': { limit: 0 } } })).toThrow();
    expect(() => schema.parse({ version: 1, rules: { 'too-many-grants': { limt: 2 } } })).toThrow(/limt/);
    const policy = schema.parse({ version: 1, rules: { 'too-many-grants': { limit: 2 } } });

    const wide = bundle(identity({ nativeId: 'wide' }), [
      grant({ permission: { id: 'a', name: 'a', access: 'read' } }),
      grant({ permission: { id: 'b', name: 'b', access: 'read' } }),
      grant({ permission: { id: 'c', name: 'c', access: 'read' } }),
    ]);
    const drafts = await evaluateRules({
      bundles: [wide],
      diff: null,
      policy: policy as never,
      asOf: AS_OF,
      vocabulary: BUILTIN_VOCABULARY,
      rules,
    });
    const finding = drafts.find((d) => d.rule === 'too-many-grants');
    expect(finding).toMatchObject({ title: '3 grants (limit 2)', evidence: { grants: 3, limit: 2 } });
    // Its framework references come from the catalog through its finding type.
    expect(finding!.frameworks.owaspNhi).toContain('NHI5');
    // And the published findings contract accepts it unchanged.
    Finding.parse({ ...finding, firstSeen: AS_OF.toISOString(), lastSeen: AS_OF.toISOString(), scanId: 1 });

    const listed = JSON.parse(renderRules(rules, 'json', BUILTIN_VOCABULARY)) as {
      id: string;
      defaults: { limit: number };
    }[];
    expect(listed.at(-1)).toMatchObject({ id: 'too-many-grants', defaults: { limit: 5, enabled: true } });
  });

  it('refuses a rule id that is not kebab-case', () => {
    expect(() => defineRule({ ...tooManyGrants, id: 'Too_Many' })).toThrow(/kebab-case/);
  });
});
