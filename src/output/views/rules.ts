import { z } from 'zod';
import type { Vocabulary } from '../../connector/vocabulary.js';
import { frameworkRefs } from '../../findings/frameworks.js';
import { policySchemaFor } from '../../policy/schema.js';
import type { AnyRule } from '../../rules/rule.js';
import { type Column, type OutputFormat, renderJson, renderRows } from '../format.js';

/** One rule as `grantscope rules` describes it: all of it read from the rule's own declaration. */
export interface RuleDescription {
  id: string;
  description: string;
  findingType: string;
  needsPreviousScan: boolean;
  frameworks: { owaspNhi: string[]; nistCsf: string[]; other: string[] };
  /** The rule's policy section with every default filled in (the connectors' included). */
  defaults: Record<string, unknown>;
  /** Each setting's one-line description. */
  settings: { key: string; description: string | null; default: unknown }[];
  /** JSON Schema of the rule's policy section. */
  policySchema: Record<string, unknown>;
}

/** `defaults`: the rule's section of the default policy. */
export function describeRule(rule: AnyRule, defaults: Record<string, unknown>): RuleDescription {
  const policySchema = z.toJSONSchema(rule.policy, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, { default?: unknown }>;
  };
  // The schema's defaults are the rule's own; show the ones in force, connectors' included. (A section
  // such as `problemSeverity` keeps its `{}`: what fills it shows in its own properties.)
  for (const [key, property] of Object.entries(policySchema.properties ?? {})) {
    const inForce = defaults[key];
    if ('default' in property && (Array.isArray(inForce) || typeof inForce !== 'object'))
      property.default = inForce;
  }
  return {
    id: rule.id,
    description: rule.description,
    findingType: rule.findingType,
    needsPreviousScan: rule.needsDiff,
    frameworks: rule.frameworks ?? frameworkRefs(rule.findingType),
    defaults,
    settings: Object.entries(rule.policy.shape as Record<string, z.ZodType>).map(([key, schema]) => ({
      key,
      description: schema.description ?? null,
      default: defaults[key],
    })),
    policySchema,
  };
}

const COLUMNS: Column<RuleDescription>[] = [
  { header: 'Rule', value: (r) => r.id },
  { header: 'Finds', value: (r) => r.description },
  { header: 'Needs previous scan', value: (r) => (r.needsPreviousScan ? 'yes' : 'no') },
  { header: 'OWASP NHI', value: (r) => r.frameworks.owaspNhi.join(' ') },
  { header: 'NIST CSF', value: (r) => r.frameworks.nistCsf.join(' ') },
];

const SETTING_COLUMNS: Column<{ rule: string; key: string; description: string | null; default: unknown }>[] =
  [
    { header: 'Rule', value: (s) => s.rule },
    { header: 'Setting', value: (s) => s.key },
    { header: 'Default', value: (s) => JSON.stringify(s.default) },
    { header: 'Meaning', value: (s) => s.description },
  ];

/** `grantscope rules`: the rules, what they find, their framework mapping and their policy settings. */
export function renderRules(rules: readonly AnyRule[], format: OutputFormat, vocabulary: Vocabulary): string {
  const defaults = policySchemaFor(rules, vocabulary).parse({ version: 1 }).rules as Record<
    string,
    Record<string, unknown>
  >;
  const described = rules.map((rule) => describeRule(rule, defaults[rule.id]!));
  if (format === 'json') return renderJson(described);
  const settings = described.flatMap((r) => r.settings.map((s) => ({ rule: r.id, ...s })));
  if (format === 'csv') return renderRows('csv', settings, SETTING_COLUMNS);
  if (format === 'md') {
    return `${renderRows('md', described, COLUMNS)}\n### Policy settings\n\n${renderRows('md', settings, SETTING_COLUMNS)}`;
  }
  return `${renderRows('table', described, COLUMNS)}\nPolicy settings (policy file: rules.<rule>.<setting>):\n${renderRows('table', settings, SETTING_COLUMNS)}`;
}
