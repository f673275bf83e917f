import { z } from 'zod';
import type { Vocabulary } from '../connector/vocabulary.js';
import type { FindingDraft, FrameworkRefs } from '../findings/finding.js';
import type { Severity } from '../findings/severity.js';
import type { Governance } from '../governance/model.js';
import type { PersonDirectory } from '../governance/people.js';
import type { ReviewsInForce } from '../governance/reviews-in-force.js';
import type { Json } from '../model/index.js';
import type { IdentityBundle } from '../store/store.js';
import type { Aggregation } from './aggregate.js';
import type { DiffIndex } from './diff-index.js';
import { COMMON_RULE_SETTINGS } from './settings.js';

/** What a rule sees besides the bundle: its own policy section, the as-of time, and the diff. */
export interface RuleContext<Policy = unknown> {
  policy: Policy;
  /** The time the rule judges against (scan time, or `--as-of`): never the wall clock. */
  asOf: Date;
  /** Changes since the previous scan; null on the first scan. */
  diff: DiffIndex | null;
  /** The loaded connectors' labels for identity kinds and credential types (see `wording.ts`). */
  vocabulary: Vocabulary;
  /** What the organisation decided (governance file); `EMPTY_GOVERNANCE` when there is none. */
  governance: Governance;
  /** Whether the people the governance file names are still with the organisation, per the snapshot. */
  people: PersonDirectory;
  /** Recertification reviews in force (`grantscope review` and the governance file); absent means none. */
  reviews?: ReviewsInForce;
}

/** What a rule reports; identity, fingerprint and framework references are filled in for it. */
export interface RuleResult {
  severity: Severity;
  /** Narrower than the identity (a credential), or null. Part of the fingerprint. */
  subject: string | null;
  title: string;
  evidence: Record<string, Json>;
  remediation: string;
}

type CommonSettings = typeof COMMON_RULE_SETTINGS;
/** The policy section of a rule whose own settings are `Shape`. */
export type RulePolicySchema<Shape extends z.ZodRawShape> = z.ZodObject<
  CommonSettings & Shape,
  z.core.$strict
>;

/**
 * Everything about a rule, in its own file: the list of rules is the only other place that names it.
 * The policy file's section, the rule ids the CLI accepts, `grantscope rules` and the framework
 * references of its findings are all derived from this.
 */
export interface RuleSpec<Id extends string, Shape extends z.ZodRawShape> {
  /** Lower-case words joined by `-`: the policy key and every finding's `rule`. */
  id: Id;
  /** One line for `grantscope rules` and documentation. */
  description: string;
  /**
   * The risk catalog's finding type (`src/risk/catalog.json`): framework controls (OWASP NHI, NIST CSF,
   * CIS, SOC 2, platform benchmarks) map to finding types, so findings get references from the catalog.
   */
  findingType: string;
  /** References to use instead of the catalog's (a plugin's rule with a type the catalog lacks). */
  frameworks?: FrameworkRefs;
  /** Needs a previous scan: not run when there is no diff. */
  needsDiff: boolean;
  /**
   * Reads nothing but the bundle, its own policy section and the vocabulary: never `asOf`, the diff or
   * reviews, and governance and people only as they are without a governance file. Its findings about
   * an identity whose records did not change since the previous recording, made with the same inputs
   * and no governance file, are carried forward instead of evaluated again (src/analysis/findings-reuse.ts).
   */
  bundleOnly?: boolean;
  /**
   * For carrying the findings of an identity whose records did not change (src/analysis/findings-reuse.ts;
   * never with a governance file in force): the first instant (ms since the epoch) after `ctx.asOf` at
   * which this rule's results for `bundle` may differ from those at `ctx.asOf`, the bundle, diff, policy
   * and reviews staying the same. Infinity: never (then it reads nothing but the bundle); at or before
   * `ctx.asOf`: the identity is evaluated on every scan. Results must be the same at every instant from
   * `ctx.asOf` up to (not including) it. A rule with `bundleOnly` needs none (Infinity).
   */
  validUntil?(bundle: IdentityBundle, ctx: RuleContext<z.output<RulePolicySchema<Shape>>>): number;
  /**
   * Yields nothing about an identity none of whose records changed since the previous scan, when no
   * governance file is in force (it reads only the diff, or the governance file): not evaluated for
   * such an identity, and the findings it made before are not carried (evaluating would resolve them).
   */
  quietWhenUnchanged?: boolean;
  /** The rule's own policy keys, with defaults and `.describe()` texts; `enabled` and `severity` are added. */
  settings: Shape;
  evaluate(bundle: IdentityBundle, ctx: RuleContext<z.output<RulePolicySchema<Shape>>>): RuleResult[];
  /**
   * For findings across identities (an idle vendor): started once per run, fed every bundle, flushed
   * at the end of each source (see `Aggregation`).
   */
  aggregate?(ctx: RuleContext<z.output<RulePolicySchema<Shape>>>): Aggregation;
  /**
   * With `aggregate`: the part of `bundle` the aggregation reads (small, JSON), which it treats as it
   * treats the whole bundle; null when it reads nothing of it. Stored with each recording, so that an
   * identity carried forward without being read is still fed to the aggregation (findings-reuse.ts).
   */
  project?(bundle: IdentityBundle): IdentityBundle | null;
}

export interface Rule<Id extends string = string, Shape extends z.ZodRawShape = z.ZodRawShape>
  extends RuleSpec<Id, Shape> {
  /** The rule's section of the policy file (strict: a misspelt key is an error). */
  policy: RulePolicySchema<Shape>;
}

export function defineRule<const Id extends string, Shape extends z.ZodRawShape>(
  spec: RuleSpec<Id, Shape>,
): Rule<Id, Shape> {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(spec.id))
    throw new Error(`rule id '${spec.id}' is not kebab-case`);
  return { ...spec, policy: z.strictObject({ ...COMMON_RULE_SETTINGS, ...spec.settings }) };
}

// biome-ignore lint/suspicious/noExplicitAny: each rule's settings type is its own
export type AnyRule = Rule<string, any>;
export type { FindingDraft };
