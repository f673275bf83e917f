import type { Vocabulary } from '../connector/vocabulary.js';
import type { SnapshotDiff } from '../diff/types.js';
import { type FindingDraft, SEVERITY_ORDER } from '../findings/finding.js';
import { findingFingerprint } from '../findings/fingerprint.js';
import { frameworkRefs } from '../findings/frameworks.js';
import { EMPTY_GOVERNANCE, type Governance } from '../governance/model.js';
import { type PersonDirectory, UNKNOWN_PEOPLE } from '../governance/people.js';
import { lastReviewField, type ReviewsInForce } from '../governance/reviews-in-force.js';
import {
  aggregateTarget,
  approvalOf,
  approvalOfTarget,
  exceptionFor,
  ownerOf,
  registeredOwners,
} from '../governance/view.js';
import type { Policy } from '../policy/schema.js';
import type { IdentityBundle } from '../store/store.js';
import type { AggregateResult, Aggregation } from './aggregate.js';
import { bundleIdentity } from './bundle-facts.js';
import { indexDiff } from './diff-index.js';
import { RULES } from './registry.js';
import type { AnyRule, RuleResult } from './rule.js';

/**
 * An identity whose findings are carried forward without reading it (findings-reuse.ts): only fed to
 * the aggregations, as what each one's `project` kept of it (by rule id) when it was last read.
 */
export interface CarriedIdentity {
  carried: true;
  source: string;
  identityKey: string;
  projections: Readonly<Record<string, IdentityBundle>>;
}

export interface EvaluateOptions {
  /** The snapshot's identities, as `SnapshotStore.readSnapshot` streams them (or carried, in their place). */
  bundles: AsyncIterable<IdentityBundle | CarriedIdentity> | Iterable<IdentityBundle | CarriedIdentity>;
  /** Changes since the previous scan; null on the first scan (rules that need a diff do not run). */
  diff: SnapshotDiff | null;
  /** The policy (for rules beyond the built-in ones: parsed with `policySchemaFor(rules, vocabulary)`). */
  policy: Policy;
  /** The loaded connectors' vocabulary: labels of identity kinds and credential types in findings. */
  vocabulary: Vocabulary;
  /** The time rules judge against: the scan time, or `--as-of`. */
  asOf: Date;
  /** Rules to run (default: all built-in rules enabled by the policy). */
  rules?: readonly AnyRule[];
  /** The governance file in force (default: none). */
  governance?: Governance;
  /** Whether the people the governance file names are still here (default: unknown). */
  people?: PersonDirectory;
  /** When the scan the diff compares against was taken (exceptions granted before it see its changes). */
  previousAt?: Date | null;
  /**
   * When each source's own previous scan was taken, where sources were read from different scans (a
   * round of one scan per tenant); a source found here uses its own time instead of `previousAt`.
   */
  previousAtBySource?: ReadonlyMap<string, Date>;
  /** Reviews in force; findings of a reviewed identity carry `lastReview` (default: none). */
  reviews?: ReviewsInForce;
  /**
   * Rules not to evaluate for an identity, because their findings are carried forward from the previous
   * recording (src/analysis/findings-reuse.ts); null: evaluate every rule. Aggregations see every bundle.
   */
  skippedRules?: (source: string, identityKey: string) => ReadonlySet<string> | null;
  /**
   * Told, per bundle evaluated, until when its results stay valid: the earliest of the active rules'
   * `validUntil` (Infinity for rules without one), for carrying them forward (findings-reuse.ts).
   */
  onEvaluated?: (
    source: string,
    identityKey: string,
    validUntil: number,
    projections: Record<string, IdentityBundle> | null,
  ) => void;
}

/** The policy's longest exception: the `invalid-exception` rule's setting, whether or not it runs. */
function maxExceptionDays(policy: Policy): number {
  const section = (policy.rules as Record<string, { maxDays?: number } | undefined>)['invalid-exception'];
  return section?.maxDays ?? 90;
}

/** Orders findings for output: most severe first, then by fingerprint (stable for a given as-of). */
export function compareFindings(a: FindingDraft, b: FindingDraft): number {
  return (
    SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] ||
    (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0)
  );
}

/** The settings of `rule` in `policy` (rules beyond the built-in ones have sections of their own). */
function settingsOf(
  policy: Policy,
  rule: AnyRule,
): { enabled: boolean; severity: FindingDraft['severity'] | null } {
  return (policy.rules as Record<string, { enabled: boolean; severity: FindingDraft['severity'] | null }>)[
    rule.id
  ]!;
}

export function toDraft(rule: AnyRule, bundle: IdentityBundle, r: RuleResult, policy: Policy): FindingDraft {
  const who = bundleIdentity(bundle);
  return draftAbout(
    rule,
    { platform: who.platform, tenant: who.tenant, kind: who.kind, id: who.nativeId, name: who.name },
    r,
    policy,
  );
}

/** A draft for a finding across identities (an aggregation's), about `r.about` rather than a bundle. */
export function toAggregateDraft(rule: AnyRule, r: AggregateResult, policy: Policy): FindingDraft {
  return draftAbout(rule, r.about, r, policy);
}

function draftAbout(
  rule: AnyRule,
  about: { platform: string; tenant: string; kind: string; id: string; name: string | null },
  r: RuleResult,
  policy: Policy,
): FindingDraft {
  return {
    fingerprint: findingFingerprint({
      rule: rule.id,
      platform: about.platform,
      tenant: about.tenant,
      identityKind: about.kind,
      identityId: about.id,
      subject: r.subject,
    }),
    rule: rule.id,
    severity: settingsOf(policy, rule).severity ?? r.severity,
    platform: about.platform,
    tenant: about.tenant,
    identity: { kind: about.kind, id: about.id, name: about.name },
    subject: r.subject,
    title: r.title,
    evidence: r.evidence,
    remediation: r.remediation,
    frameworks: rule.frameworks
      ? structuredClone(rule.frameworks)
      : frameworkRefs(rule.findingType, about.platform),
  };
}

/**
 * Run the rules over a snapshot's identity bundles and the diff from the previous scan, yielding
 * drafts as they are found, in snapshot order (by source and identity). The working set is one
 * identity's bundle and its findings: nothing accumulates across identities, so a tenant of any size
 * streams through. Diff-based findings are produced for the identities among `bundles`, so a filtered
 * snapshot yields correspondingly filtered findings.
 */
export async function* streamRules(options: EvaluateOptions): AsyncGenerator<FindingDraft> {
  const { policy, asOf, vocabulary } = options;
  const diff = options.diff ? indexDiff(options.diff) : null;
  const rules: readonly AnyRule[] = options.rules ?? RULES;
  const active = rules.filter((r) => settingsOf(policy, r).enabled && (!r.needsDiff || diff));
  const governance = options.governance ?? EMPTY_GOVERNANCE;
  const people = options.people ?? UNKNOWN_PEOPLE;
  const hasGovernance = governance !== EMPTY_GOVERNANCE;
  const maxDays = maxExceptionDays(policy);
  const previousAtOf = (source: string | null): Date | null =>
    (source !== null ? options.previousAtBySource?.get(source) : undefined) ?? options.previousAt ?? null;
  const { reviews } = options;
  const contextOf = (rule: AnyRule) => ({
    policy: settingsOf(policy, rule),
    asOf,
    diff,
    vocabulary,
    governance,
    people,
    ...(reviews ? { reviews } : {}),
  });
  // Cross-identity rules fold bundles into summaries, flushed whenever the source changes.
  const aggregations: [AnyRule, Aggregation][] = active.flatMap((rule) =>
    rule.aggregate ? [[rule, rule.aggregate(contextOf(rule))] as [AnyRule, Aggregation]] : [],
  );
  const flush = function* () {
    for (const [rule, aggregation] of aggregations) {
      for (const result of aggregation.flush()) {
        const draft = toAggregateDraft(rule, result, policy);
        if (hasGovernance) annotateAggregate(draft);
        yield draft;
      }
    }
  };
  // A vendor's finding is matched by the vendor's name as publisher: its registered owners, approval
  // and exception (by fingerprint, or by rule + publisher) are those of the vendor.
  const annotateAggregate = (draft: FindingDraft) => {
    const target = aggregateTarget(draft);
    const registered = registeredOwners(governance, people, target);
    if (registered.length > 0) draft.owner = { registered, inPlatform: [] };
    const approval = approvalOfTarget(governance, target);
    if (approval) draft.approval = approval;
    const exception = exceptionFor(governance, draft, null, {
      asOf,
      maxDays,
      // Flushed before the next source is taken up: `source` is still the aggregated one.
      previousAt: previousAtOf(source),
      widenedSinceLastScan: false,
    });
    if (exception) {
      draft.exception = exception;
      draft.excepted = exception.status === 'active';
    }
  };
  let source: string | null = null;
  // The store streams bundles ordered by source and identity key, so the same identity arriving twice
  // (never expected) would arrive in adjacent bundles: remembering the previous identity's fingerprints
  // is enough to never double-report.
  let identity = '';
  let seen = new Set<string>();
  let previous = new Set<string>();
  for await (const bundle of options.bundles) {
    if (bundle.source !== source) {
      if (source !== null) yield* flush();
      source = bundle.source;
    }
    if ('carried' in bundle) {
      for (const [rule, aggregation] of aggregations) {
        const projected = bundle.projections[rule.id];
        if (projected) aggregation.add(projected);
      }
      continue;
    }
    for (const [, aggregation] of aggregations) aggregation.add(bundle);
    const key = `${bundle.source}\u0000${bundle.identityKey}`;
    if (key !== identity) {
      identity = key;
      previous = seen;
      seen = new Set();
    }
    let review: ReturnType<ReviewsInForce['of']> | undefined;
    // Per identity, once: who owns it, what approved it, whether it widened since the last scan.
    let facts: {
      owner: ReturnType<typeof ownerOf>;
      approval: ReturnType<typeof approvalOf>;
      widened: boolean;
    } | null = null;
    const skipped = options.skippedRules?.(bundle.source, bundle.identityKey) ?? null;
    if (options.onEvaluated) {
      let until = Number.POSITIVE_INFINITY;
      let projections: Record<string, IdentityBundle> | null = null;
      for (const rule of active) {
        if (rule.validUntil) until = Math.min(until, rule.validUntil(bundle, contextOf(rule)));
        const projected = rule.aggregate && rule.project ? rule.project(bundle) : null;
        if (projected) projections = { ...(projections ?? {}), [rule.id]: projected };
      }
      options.onEvaluated(bundle.source, bundle.identityKey, until, projections);
    }
    for (const rule of active) {
      if (skipped?.has(rule.id)) continue;
      for (const result of rule.evaluate(bundle, contextOf(rule))) {
        const draft = toDraft(rule, bundle, result, policy);
        if (seen.has(draft.fingerprint) || previous.has(draft.fingerprint)) continue;
        seen.add(draft.fingerprint);
        if (reviews) {
          if (review === undefined) review = reviews.of(bundle);
          if (review) draft.lastReview = lastReviewField(review);
        }
        facts ??= {
          owner: ownerOf(governance, people, bundle),
          approval: hasGovernance ? approvalOf(governance, bundle) : undefined,
          widened: (diff?.expansionsOf(bundle.source, bundle.identityKey).length ?? 0) > 0,
        };
        if (facts.owner) draft.owner = facts.owner;
        if (facts.approval) draft.approval = facts.approval;
        if (hasGovernance) {
          const exception = exceptionFor(governance, draft, bundle, {
            asOf,
            maxDays,
            previousAt: previousAtOf(bundle.source),
            widenedSinceLastScan: facts.widened,
          });
          if (exception) {
            draft.exception = exception;
            draft.excepted = exception.status === 'active';
          }
        }
        yield draft;
      }
    }
  }
  if (source !== null) yield* flush();
}

/**
 * All drafts of a snapshot, most severe first (see `compareFindings`). Deterministic for given inputs
 * and `asOf`. Holds every finding: for small snapshots and library callers; the CLI streams
 * (`streamRules`).
 */
export async function evaluateRules(options: EvaluateOptions): Promise<FindingDraft[]> {
  const drafts: FindingDraft[] = [];
  for await (const draft of streamRules(options)) drafts.push(draft);
  return drafts.sort(compareFindings);
}
