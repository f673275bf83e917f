import type { Vocabulary } from '../connector/vocabulary.js';
import { DiffBuilder, diffChanges } from '../diff/index.js';
import type { SnapshotDiff } from '../diff/types.js';
import type { Finding, FindingDraft } from '../findings/finding.js';
import { type DiffSummary, summariseDiff } from '../output/views/diff.js';
import type { Policy } from '../policy/index.js';
import { evaluateRules } from '../rules/index.js';
import type { ScanSource, ScanSummary, SnapshotStore } from '../store/store.js';

export interface AnalysisOptions {
  policy: Policy;
  /** The time rules judge against (scan time, or --as-of). */
  asOf: Date;
  /** The loaded connectors' vocabulary (labels in findings). */
  vocabulary: Vocabulary;
}

export interface ScanAnalysis {
  /** The scan compared against (the newest earlier complete or incomplete scan), if any. */
  previous: ScanSummary | null;
  diff: SnapshotDiff | null;
  /** A JSON-friendly summary of `diff` (no raw API objects). */
  diffSummary: DiffSummary | null;
  findings: Finding[];
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
 * Diff a scan against what came before it, source by source: each tenant is compared with the newest
 * earlier scan that included it (so a `scan --only github` in between does not hide the other
 * platforms' changes). Tenants never scanned before contribute baseline additions only.
 * Returns the newest of those earlier scans as `previous`, or null on a first scan.
 */
async function diffWithPrevious(
  store: SnapshotStore,
  scan: ScanSummary,
): Promise<{ previous: ScanSummary | null; diff: SnapshotDiff | null }> {
  const earlier = (await store.listScans({ status: ['complete', 'incomplete'] })).filter(
    (s) => s.id < scan.id,
  );
  const groups = new Map<number, { prev: ScanSummary; sources: ScanSource[] }>();
  const before: ScanSource[] = [];
  for (const source of scan.sources) {
    const prev = earlier.find((s) => s.sources.some((x) => x.source === source.source));
    if (!prev) continue;
    const group = groups.get(prev.id) ?? { prev, sources: [] };
    group.sources.push(source);
    groups.set(prev.id, group);
    before.push(prev.sources.find((x) => x.source === source.source)!);
  }
  if (groups.size === 0) return { previous: null, diff: null };
  const builder = new DiffBuilder({ before, after: scan.sources });
  for (const { prev, sources } of groups.values()) {
    for (const s of sources) {
      for await (const change of store.changesBetween(prev.id, scan.id, {
        platform: s.platform,
        tenant: s.tenant,
      })) {
        builder.add(change);
      }
    }
  }
  const previous = [...groups.values()].map((g) => g.prev).sort((a, b) => b.id - a.id)[0]!;
  return { previous, diff: builder.finish() };
}

async function evaluate(
  store: SnapshotStore,
  scan: ScanSummary,
  options: AnalysisOptions,
): Promise<{ previous: ScanSummary | null; diff: SnapshotDiff | null; drafts: FindingDraft[] }> {
  const { previous, diff } = await diffWithPrevious(store, scan);
  const drafts = await evaluateRules({
    bundles: store.readSnapshot(scan.id),
    diff,
    policy: options.policy,
    asOf: options.asOf,
    vocabulary: options.vocabulary,
  });
  return { previous, diff, drafts };
}

/**
 * After a scan: diff it against the previous one, evaluate the rules and record the findings
 * (which stamps first/last seen and resolves findings that went away).
 */
export async function analyseScan(
  store: SnapshotStore,
  scan: ScanSummary,
  options: AnalysisOptions,
): Promise<ScanAnalysis> {
  const { previous, diff, drafts } = await evaluate(store, scan, options);
  const findings = await store.recordFindings(scan.id, drafts, scan.startedAt);
  return { previous, diff, diffSummary: diff ? summariseDiff(diff) : null, findings };
}

/**
 * Findings for a stored scan, recomputed with the given policy and as-of time, without recording
 * them. First/last seen come from the findings history where the fingerprint is known.
 */
export async function computeFindings(
  store: SnapshotStore,
  scan: ScanSummary,
  options: AnalysisOptions,
): Promise<Finding[]> {
  const { drafts } = await evaluate(store, scan, options);
  const history = await store.findingHistory(drafts.map((d) => d.fingerprint));
  return drafts.map((d) => {
    const h = history.get(d.fingerprint);
    return {
      ...d,
      firstSeen: h && h.firstScan <= scan.id ? h.firstSeen : scan.startedAt,
      // Recomputed for this scan, so it was seen at this scan.
      lastSeen: scan.startedAt,
      scanId: scan.id,
    };
  });
}
