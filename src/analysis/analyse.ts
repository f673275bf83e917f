import type { Vocabulary } from '../connector/vocabulary.js';
import { diffChanges } from '../diff/index.js';
import type { SnapshotDiff } from '../diff/types.js';
import type { Finding, FindingDraft } from '../findings/finding.js';
import type { Severity } from '../findings/severity.js';
import type { Governance } from '../governance/model.js';
import { readPeopleDirectory, registeredAccounts } from '../governance/people.js';
import { lastReviewField, ReviewsInForce } from '../governance/reviews-in-force.js';
import { type Progress, silentProgress } from '../log/progress.js';
import { orderedBy } from '../output/external-sort.js';
import { type DiffSummary, summariseDiff } from '../output/views/diff.js';
import { emptyCounts, type SeverityCounts } from '../output/views/findings.js';
import type { Policy } from '../policy/index.js';
import { compareFindings, RULES, streamRules } from '../rules/index.js';
import { asSelection, type ScanSelection, scanOfSource, selectOneScan } from '../selection/scan-selection.js';
import { readSelectedSnapshot } from '../selection/selection-reads.js';
import type { CarryValidity, FindingsRecorded, ScanSummary, SnapshotStore } from '../store/store.js';
import { TOOL_VERSION } from '../version.js';
import {
  ChangedIdentities,
  type FindingsReuse,
  NO_REUSE,
  planFindingsReuse,
  withCarriedIdentities,
} from './findings-reuse.js';
import { diffFromBaselines, previousScanOfEachSource, type SourceBaseline } from './selection-diff.js';

/** Findings move between the rules, the store and the outputs in batches of this many. */
export const FINDINGS_BATCH = 1_000;

/** The findings of a scan, as a stream that can be read more than once, plus their tallies. */
export interface ScanFindings {
  /** By severity, counted as they were recorded (excepted findings are not counted: `--fail-on` ignores them). */
  counts: SeverityCounts;
  /** Findings accepted by an active exception (recorded, marked `excepted`). */
  excepted?: number;
  /** What recording them cost (null when they were only read). */
  recorded: FindingsRecorded | null;
  /**
   * The findings. `analyseScan`'s come in output order (`compareFindings`), marked so that outputs pass
   * them through; others may come in any order (outputs order them).
   */
  read(): AsyncIterable<Finding>;
}

export interface AnalysisOptions {
  policy: Policy;
  /** The time rules judge against (scan time, or --as-of). */
  asOf: Date;
  /** The loaded connectors' vocabulary (labels in findings). */
  vocabulary: Vocabulary;
  /** Where evaluation reports its progress (the CLI's status line or heartbeat). */
  progress?: Progress;
  /** The governance file in force (owners, approvals, exceptions, retired, reviews); none by default. */
  governance?: Governance;
  /**
   * `scan --full`: evaluate every rule over every identity, carrying no finding forward from the previous
   * recording (analyseScan only; see findings-reuse.ts).
   */
  full?: boolean;
}

export interface ScanAnalysis {
  /** The scan compared against (the newest earlier complete or incomplete scan), if any. */
  previous: ScanSummary | null;
  diff: SnapshotDiff | null;
  /** A JSON-friendly summary of `diff` (no raw API objects). */
  diffSummary: DiffSummary | null;
  findings: ScanFindings;
}

/** Diff two stored scans, coverage-aware. */
export async function computeDiff(
  store: SnapshotStore,
  from: ScanSummary,
  to: ScanSummary,
): Promise<SnapshotDiff> {
  return diffChanges(store.changesBetween(from.id, to.id), { before: from.sources, after: to.sources });
}

/**
 * Diff a selection against what came before it, source by source (`previousScanOfEachSource`).
 * Returns the newest of those earlier scans as `previous` (null on a first scan) and when each
 * source's previous scan was taken.
 */
async function diffWithPrevious(
  store: SnapshotStore,
  selection: ScanSelection,
  changed?: ChangedIdentities,
): Promise<{
  previous: ScanSummary | null;
  diff: SnapshotDiff | null;
  previousAt: Map<string, Date>;
  baselines: SourceBaseline[];
}> {
  const baselines = await previousScanOfEachSource(store, selection);
  const previousAt = new Map(baselines.map((b) => [b.source, new Date(b.from.startedAt)]));
  const previous = baselines.map((b) => b.from).sort((a, b) => b.id - a.id)[0] ?? null;
  const onChange = changed && ((c: Parameters<ChangedIdentities['add']>[0]) => changed.add(c));
  const diff = await diffFromBaselines(store, selection, baselines, onChange);
  return { previous, diff, previousAt, baselines };
}

/**
 * Diff, reviews, people, then the rules streamed over the snapshot. With `recording` (analyseScan), the
 * findings of unchanged identities may be carried forward instead (`reuse`: what to record with them).
 */
async function evaluate(
  store: SnapshotStore,
  selection: ScanSelection,
  options: AnalysisOptions,
  recording?: ScanSummary,
): Promise<{
  previous: ScanSummary | null;
  diff: SnapshotDiff | null;
  drafts: AsyncIterable<FindingDraft>;
  reviews: ReviewsInForce;
  reuse: FindingsReuse;
  validity: CarryValidity[];
}> {
  const changed = recording ? new ChangedIdentities() : undefined;
  const { previous, diff, previousAt, baselines } = await diffWithPrevious(store, selection, changed);
  // Every review recorded counts, even one made after the as-of time: recording a review closes its
  // finding at once, without waiting for the next scan. Its age is judged at the as-of time.
  const reviews = await ReviewsInForce.load(store, options.governance);
  const reuse =
    recording && changed
      ? await planFindingsReuse(store, recording, baselines, changed, {
          policy: options.policy,
          vocabulary: options.vocabulary,
          toolVersion: TOOL_VERSION,
          rules: RULES,
          asOf: options.asOf,
          reviews,
          ...(options.governance && { governance: options.governance }),
          ...(options.full !== undefined && { full: options.full }),
        })
      : NO_REUSE;
  // Whether registered owners have left is read from the snapshot's people (person records, then the
  // people its records name); only when the governance file names accounts, and only theirs are kept.
  const accounts = options.governance ? registeredAccounts(options.governance) : [];
  const people = accounts.length > 0 ? await readPeopleDirectory(store, selection, accounts) : undefined;
  // When recording: until when each evaluated identity's findings hold, handed to the store as they come.
  const validity: CarryValidity[] = [];
  const sourceOf = new Map((recording?.sources ?? []).map((s) => [s.source, s] as const));
  const bundles = reuse.identities
    ? withCarriedIdentities(
        store,
        readSelectedSnapshot(store, selection, { identities: reuse.identities }),
        recording?.sources ?? [],
        reuse.identities,
      )
    : readSelectedSnapshot(store, selection);
  const drafts = streamRules({
    bundles,
    diff,
    policy: options.policy,
    asOf: options.asOf,
    vocabulary: options.vocabulary,
    ...(options.governance && { governance: options.governance }),
    ...(people && { people }),
    previousAt: previous ? new Date(previous.startedAt) : null,
    previousAtBySource: previousAt,
    reviews,
    ...(reuse.carry.length > 0 && { skippedRules: reuse.skippedRules }),
    ...(recording && {
      onEvaluated: (
        source: string,
        identityKey: string,
        validUntil: number,
        projections: Record<string, unknown> | null,
      ) => {
        const s = sourceOf.get(source);
        if (!s) return;
        const projection = projections ? JSON.stringify(projections) : null;
        validity.push({ platform: s.platform, tenant: s.tenant, identityKey, validUntil, projection });
      },
    }),
  });
  return { previous, diff, drafts, reviews, reuse, validity };
}

/** Findings read back from the store, given the `lastReview` of their identity (not a stored column). */
async function* withReviews(
  findings: AsyncIterable<Finding>,
  reviews: ReviewsInForce,
): AsyncGenerator<Finding> {
  for await (const f of findings) {
    const review = reviews.forFinding(f);
    yield review ? { ...f, lastReview: lastReviewField(review) } : f;
  }
}

/** Groups a stream into arrays of up to `size`. */
export async function* batches<T>(items: AsyncIterable<T>, size = FINDINGS_BATCH): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * After a scan: diff it against the previous one, evaluate the rules and record the findings
 * (which stamps first/last seen and resolves findings that went away). The rules stream into the
 * store batch by batch; the findings are read back from the store for the outputs.
 */
export async function analyseScan(
  store: SnapshotStore,
  scan: ScanSummary,
  options: AnalysisOptions,
): Promise<ScanAnalysis> {
  const progress = options.progress ?? silentProgress;
  const task = evaluationTask(scan);
  progress.start(task);
  const counts = emptyCounts();
  let excepted = 0;
  let analysed: Awaited<ReturnType<typeof evaluate>>;
  let recorded: FindingsRecorded | null;
  try {
    analysed = await evaluate(store, selectOneScan(scan), options, scan);
    const { drafts, reuse, validity } = analysed;
    const counted = async function* () {
      for await (const d of drafts) {
        if (d.excepted) excepted += 1;
        else counts[d.severity] += 1;
        progress.tick(task);
        yield d;
      }
    };
    recorded = await store.recordFindings(scan.id, batches(counted()), scan.startedAt, {
      inputs: reuse.inputs,
      carry: reuse.carry,
      asOf: options.asOf.toISOString(),
      validity: { drain: () => validity.splice(0) },
    });
    // Carried findings were not evaluated: the store counted them.
    for (const [severity, n] of Object.entries(recorded.carried?.bySeverity ?? {}))
      counts[severity as Severity] += n;
    excepted += recorded.carried?.excepted ?? 0;
  } finally {
    progress.done(task);
  }
  const { previous, diff, reviews } = analysed;
  return {
    previous,
    diff,
    diffSummary: diff ? summariseDiff(diff) : null,
    findings: {
      counts,
      excepted,
      recorded,
      read: () => orderedBy(bySeverity(store, scan.id, reviews), compareFindings),
    },
  };
}

/**
 * The recorded findings in output order (most severe first, then by fingerprint), as the store reads
 * them, so that outputs need not sort them (`orderedBy`).
 */
function bySeverity(store: SnapshotStore, scanId: number, reviews: ReviewsInForce): AsyncIterable<Finding> {
  const findings = store.readFindings(scanId, { order: 'severity' });
  // No review recorded or in the governance file: none to add, and no step per finding to pass through.
  return reviews.empty ? findings : withReviews(findings, reviews);
}

/**
 * Findings for a stored scan or scan selection, recomputed with the given policy and as-of time,
 * without recording them, streamed in snapshot order. First/last seen come from the findings history
 * where the fingerprint is known (looked up a batch at a time); each finding's scan is the scan its
 * source was read from.
 */
export async function* streamFindings(
  store: SnapshotStore,
  scan: ScanSummary | ScanSelection,
  options: AnalysisOptions,
): AsyncGenerator<Finding> {
  const selection = asSelection(scan);
  const progress = options.progress ?? silentProgress;
  const task = evaluationTask(selection);
  progress.start(task);
  try {
    const { drafts } = await evaluate(store, selection, options);
    yield* historyStamped(store, selection, drafts, () => progress.tick(task));
  } finally {
    progress.done(task);
  }
}

/** The progress task of rule evaluation: `scan #3 rules: 1,204 findings`. */
function evaluationTask(scan: ScanSummary | ScanSelection): string {
  const selection = asSelection(scan);
  return selection.scans.length > 1
    ? `${selection.scans.length} scans rules: findings`
    : `scan #${selection.newest.id} rules: findings`;
}

/** Findings with first/last seen from the findings history (looked up a batch at a time). */
async function* historyStamped(
  store: SnapshotStore,
  selection: ScanSelection,
  drafts: AsyncIterable<FindingDraft>,
  tick: () => void,
): AsyncGenerator<Finding> {
  const scanOf = scanOfSource(selection);
  for await (const batch of batches(drafts)) {
    const history = await store.findingHistory(batch.map((d) => d.fingerprint));
    for (const d of batch) {
      const h = history.get(d.fingerprint);
      // The scan its source was read from (a finding always comes from a selected source).
      const scan = scanOf.get(`${d.platform}:${d.tenant}`) ?? selection.newest;
      yield {
        ...d,
        firstSeen: h && h.firstScan <= scan.id ? h.firstSeen : scan.startedAt,
        // Recomputed for this scan, so it was seen at this scan.
        lastSeen: scan.startedAt,
        scanId: scan.id,
      };
      tick();
    }
  }
}

/** `streamFindings`, all of them, most severe first (small snapshots and library callers). */
export async function computeFindings(
  store: SnapshotStore,
  scan: ScanSummary | ScanSelection,
  options: AnalysisOptions,
): Promise<Finding[]> {
  const out: Finding[] = [];
  for await (const f of streamFindings(store, scan, options)) out.push(f);
  return out.sort(compareFindings);
}

/** The findings of an analysis held in memory, for callers that read them after the store is closed (the demo). */
export async function holdFindings(findings: ScanFindings): Promise<ScanFindings> {
  const all: Finding[] = [];
  for await (const f of findings.read()) all.push(f);
  return {
    ...findings,
    read: async function* () {
      yield* all;
    },
  };
}
