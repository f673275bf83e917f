import type { Vocabulary } from '../connector/vocabulary.js';
import { EMPTY_GOVERNANCE, type Governance } from '../governance/model.js';
import { identityKey, type ModelRecord } from '../model/index.js';
import type { Policy } from '../policy/index.js';
import type { AnyRule } from '../rules/rule.js';
import type { FindingsCarry, RecordChange, ScanSummary, SnapshotStore } from '../store/store.js';
import { analysisInputs } from './analysis-inputs.js';
import type { SourceBaseline } from './selection-diff.js';

/*
 * Incremental analysis of a rescan (issue 12). Most findings of an unchanged tenant are those of rules
 * that read nothing but an identity's records (`bundleOnly`: over-privileged, ownerless). For an identity
 * whose records did not change since its source's previous findings recording, those findings are that
 * recording's: they are carried forward (re-recorded in bulk, in the store) instead of evaluated again.
 * Every other rule (anything that reads the date, the diff, reviews, governance or other identities) is
 * evaluated as before, over every identity.
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
}

export const NO_REUSE: FindingsReuse = { inputs: null, carry: [], skippedRules: () => null };

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
  store: Pick<SnapshotStore, 'findingsRecordings'>,
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
  },
): Promise<FindingsReuse> {
  if (hasGovernance(options.governance)) return NO_REUSE;
  const enabled = (r: AnyRule) =>
    (options.policy.rules as Record<string, { enabled?: boolean } | undefined>)[r.id]?.enabled === true;
  const carried = options.rules.filter((r) => r.bundleOnly === true && enabled(r));
  const carriedRules = carried.map((r) => r.id);
  const inputs = analysisInputs({
    toolVersion: options.toolVersion,
    policy: options.policy,
    vocabulary: options.vocabulary,
    carriedRules,
    ruleCode: carried.map((r) => r.evaluate.toString()),
  });
  if (options.full === true || carriedRules.length === 0) return { ...NO_REUSE, inputs };
  const where = (s: { platform: string; tenant: string }) => JSON.stringify([s.platform, s.tenant]);
  const recordings = new Map((await store.findingsRecordings()).map((r) => [where(r), r] as const));
  const carry: FindingsCarry[] = [];
  const carriedSources = new Map<string, ReadonlySet<string>>();
  for (const b of baselines) {
    const source = scan.sources.find((s) => s.source === b.source);
    const recording = source && recordings.get(where(source));
    if (!source || !recording || recording.scanId !== b.from.id || recording.inputs !== inputs) continue;
    const changedHere = changed.of(b.source);
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
