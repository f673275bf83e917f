import type { Vocabulary } from '../connector/vocabulary.js';
import { EMPTY_GOVERNANCE, type Governance } from '../governance/model.js';
import type { ReviewsInForce } from '../governance/reviews-in-force.js';
import { identityKey, type ModelRecord } from '../model/index.js';
import type { Policy } from '../policy/index.js';
import type { CarriedIdentity } from '../rules/evaluate.js';
import type { AnyRule } from '../rules/rule.js';
import type {
  CarriedProjection,
  FindingsCarry,
  IdentityBundle,
  RecordChange,
  ScanSource,
  ScanSummary,
  SnapshotStore,
} from '../store/store.js';
import { analysisInputs } from './analysis-inputs.js';
import type { SourceBaseline } from './selection-diff.js';

/*
 * Incremental analysis of a rescan (issue 12). For an identity whose records did not change since its
 * source's previous findings recording, most rules would say what they said then: those findings are
 * carried forward (re-recorded in bulk, in the store) instead of evaluated again, and when every enabled
 * rule allows it the identity's bundle is not even read:
 * - `bundleOnly` rules (over-privileged, ownerless) read nothing but the bundle: valid for as long as it;
 * - rules with `validUntil` (stale, credential-hygiene, overdue-review, review-decision-overdue) read
 *   the date too: each recording stores, per identity, the first instant at which an evaluated rule's
 *   answer may change (`finding_carry`); the identity is carried while the scan's as-of time is before
 *   it (and not before the recording's own as-of time), else evaluated again. Reviews are recorded
 *   between scans: an identity a stored review names is always evaluated;
 * - `quietWhenUnchanged` rules (new-grant, new-credential, scope-expansion, which read the diff; the
 *   governance rules, which read the governance file) say nothing about such an identity: their earlier
 *   findings are not carried (evaluating would resolve them);
 * - idle-partner judges a vendor from all of its identities: a third-party identity is always read
 *   (its `validUntil` is -Infinity), the others play no part in it; its findings are never carried.
 * With a rule enabled that allows none of these, only `bundleOnly` rules are carried, every bundle is
 * read and the other rules are evaluated over every identity.
 *
 * Carried only when all of this holds, per source:
 * - not `--full`, and no governance file is in force (its exceptions, approvals and owners annotate
 *   findings and depend on the date; a recording made under one stores no inputs, so it is never reused);
 * - the source's newest recording is the scan the diff compares from (so "did not change" means "since
 *   the findings were recorded"), made with the same inputs (`analysisInputs`: grantscope version,
 *   policy, vocabulary, the set of carried rules);
 * - the identity has no record added, removed or changed in that diff (the store's changes, before any
 *   filtering of what is worth reporting).
 * The recording re-checks the first two in its transaction.
 */

export interface FindingsReuse {
  /** What this analysis is evaluated with, stored with its recording; null when it may never be reused. */
  inputs: string | null;
  /** Per source whose findings are carried: what the store re-records. */
  carry: FindingsCarry[];
  /** The rules not to evaluate for a bundle (their findings are carried), or null: evaluate all. */
  skippedRules(source: string, identityKey: string): ReadonlySet<string> | null;
  /**
   * Per source (`platform:tenant`) whose identities are carried whole: the identities to read and
   * evaluate (changed, expired, reviewed); the others are neither read nor evaluated. Absent: read all.
   */
  identities?: ReadonlyMap<string, readonly string[]>;
}

export const NO_REUSE: FindingsReuse = { inputs: null, carry: [], skippedRules: () => null };

/** Whether `rule` allows an unchanged identity to be neither read nor evaluated (see above). */
function carriesWhole(rule: AnyRule): boolean {
  // An aggregation must be fed what it reads of the identities not read again.
  if (rule.aggregate && !rule.project) return false;
  return rule.bundleOnly === true || rule.validUntil !== undefined || rule.quietWhenUnchanged === true;
}

/**
 * The bundles read, with each carried identity that has a stored projection (`project`) in its place,
 * in the store's order (by source, then identity key, both in byte order): what the aggregations see
 * is what they would see of a whole read. `read`: per source carried whole, the identities read.
 */
export async function* withCarriedIdentities(
  store: Pick<SnapshotStore, 'readCarriedProjections'>,
  bundles: AsyncIterable<IdentityBundle>,
  sources: readonly ScanSource[],
  read: ReadonlyMap<string, readonly string[]>,
): AsyncGenerator<IdentityBundle | CarriedIdentity> {
  const pending = sources.filter((s) => read.has(s.source)).sort((a, b) => byBytes(a.source, b.source));
  interface Open {
    source: string;
    it: AsyncIterator<CarriedProjection>;
    head: CarriedProjection | null;
    skip: ReadonlySet<string>;
  }
  // Held in an object: TypeScript does not follow assignments made in the closures below.
  const state: { current: Open | null } = { current: null };
  const advance = async () => {
    if (!state.current) return;
    const next = await state.current.it.next();
    state.current.head = next.done ? null : next.value;
  };
  const open = async (s: ScanSource) => {
    state.current = {
      source: s.source,
      it: store.readCarriedProjections(s.platform, s.tenant)[Symbol.asyncIterator](),
      head: null,
      skip: new Set(read.get(s.source)),
    };
    await advance();
  };
  // The state.current source's projections up to (not including) `before`, or all of them.
  const carriedUpTo = async function* (before: string | null): AsyncGenerator<CarriedIdentity> {
    while (state.current?.head && (before === null || byBytes(state.current.head.identityKey, before) < 0)) {
      const { identityKey, projection } = state.current.head;
      if (!state.current.skip.has(identityKey)) {
        yield {
          carried: true,
          source: state.current.source,
          identityKey,
          projections: JSON.parse(projection) as Record<string, IdentityBundle>,
        };
      }
      await advance();
    }
  };
  const finish = async function* (): AsyncGenerator<CarriedIdentity> {
    yield* carriedUpTo(null);
    await state.current?.it.return?.();
    state.current = null;
  };
  for await (const b of bundles) {
    if (state.current?.source !== b.source) {
      if (state.current) yield* finish();
      while (pending.length > 0 && byBytes(pending[0]!.source, b.source) <= 0) {
        await open(pending.shift()!);
        if (state.current?.source !== b.source) yield* finish();
      }
    }
    yield* carriedUpTo(b.identityKey);
    yield b;
  }
  if (state.current) yield* finish();
  for (const s of pending) {
    await open(s);
    yield* finish();
  }
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The identity a changed record belongs to (`kind:nativeId`, as bundles and findings name it). */
export function changedIdentity(change: RecordChange): string {
  const record = (change.after ?? change.before) as ModelRecord;
  if (record.type === 'identity') return identityKey(record);
  if ('identity' in record) return identityKey(record.identity);
  // Not an identity's record (people are in no bundle): it names no identity of a bundle.
  return `${change.type}:${change.key}`;
}

/** Collects the identities with any change per source, as the diff's changes stream by. */
export class ChangedIdentities {
  private readonly bySource = new Map<string, Set<string>>();

  add(change: RecordChange): void {
    let set = this.bySource.get(change.source);
    if (!set) {
      set = new Set();
      this.bySource.set(change.source, set);
    }
    set.add(changedIdentity(change));
  }

  of(source: string): ReadonlySet<string> {
    return this.bySource.get(source) ?? new Set();
  }
}

export function hasGovernance(governance: Governance | undefined): boolean {
  return governance !== undefined && governance !== EMPTY_GOVERNANCE && governance.hash !== '';
}

/** Decides which sources' findings are carried (see above). */
export async function planFindingsReuse(
  store: Pick<SnapshotStore, 'findingsRecordings' | 'findingsCarryExpired'>,
  scan: ScanSummary,
  baselines: readonly SourceBaseline[],
  changed: ChangedIdentities,
  options: {
    policy: Policy;
    vocabulary: Vocabulary;
    toolVersion: string;
    governance?: Governance;
    full?: boolean;
    rules: readonly AnyRule[];
    /** The time the rules judge against (whole-identity carry only). */
    asOf?: Date;
    /** Reviews in force: the identities a stored review names are always evaluated. */
    reviews?: ReviewsInForce;
  },
): Promise<FindingsReuse> {
  if (hasGovernance(options.governance)) return NO_REUSE;
  const enabled = (r: AnyRule) =>
    (options.policy.rules as Record<string, { enabled?: boolean } | undefined>)[r.id]?.enabled === true;
  const active = options.rules.filter(enabled);
  const whole = options.asOf !== undefined && active.every(carriesWhole);
  // Whole: the findings of every rule that has per-identity findings and holds them while the records do
  // (or until its `validUntil`); quiet and aggregating rules are evaluated (or say nothing).
  const carried = whole
    ? active.filter((r) => !r.quietWhenUnchanged && !r.aggregate && (r.bundleOnly || r.validUntil))
    : active.filter((r) => r.bundleOnly === true);
  const carriedRules = carried.map((r) => r.id);
  const inputs = analysisInputs({
    toolVersion: options.toolVersion,
    policy: options.policy,
    vocabulary: options.vocabulary,
    carriedRules,
    ruleCode: (whole ? active : carried).map(
      (r) => `${r.evaluate.toString()}\n${r.validUntil?.toString() ?? ''}\n${r.aggregate?.toString() ?? ''}`,
    ),
    ...(whole && { scheme: 'identities valid until' }),
  });
  if (options.full === true || carriedRules.length === 0) return { ...NO_REUSE, inputs };
  const where = (s: { platform: string; tenant: string }) => JSON.stringify([s.platform, s.tenant]);
  const recordings = new Map((await store.findingsRecordings()).map((r) => [where(r), r] as const));
  const carry: FindingsCarry[] = [];
  const carriedSources = new Map<string, ReadonlySet<string>>();
  const identities = new Map<string, readonly string[]>();
  for (const b of baselines) {
    const source = scan.sources.find((s) => s.source === b.source);
    const recording = source && recordings.get(where(source));
    if (!source || !recording || recording.scanId !== b.from.id || recording.inputs !== inputs) continue;
    let changedHere = changed.of(b.source);
    if (whole && options.asOf) {
      // Judged at an earlier time than the recording: nothing it found is known to hold.
      if (recording.asOf === null || options.asOf.getTime() < Date.parse(recording.asOf)) continue;
      const read = new Set(changedHere);
      const asOf = options.asOf.toISOString();
      for (const key of await store.findingsCarryExpired(source.platform, source.tenant, asOf)) read.add(key);
      for (const key of options.reviews?.storedIdentities(source.platform, source.tenant) ?? [])
        read.add(key);
      changedHere = read;
      identities.set(b.source, [...read].sort());
    }
    carry.push({
      platform: source.platform,
      tenant: source.tenant,
      fromScan: recording.scanId,
      inputs,
      rules: carriedRules,
      changedIdentities: [...changedHere],
    });
    carriedSources.set(b.source, changedHere);
  }
  // Whole identities: whatever is read is evaluated in full.
  if (whole) return { inputs, carry, skippedRules: () => null, identities };
  const skipped: ReadonlySet<string> = new Set(carriedRules);
  return {
    inputs,
    carry,
    skippedRules: (source, identity) => {
      const changedHere = carriedSources.get(source);
      return changedHere && !changedHere.has(identity) ? skipped : null;
    },
  };
}
