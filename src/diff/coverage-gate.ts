import type { CollectorCoverage } from '../connector/coverage.js';
import { isAuthoritative } from '../connector/coverage.js';
import type { RecordType } from '../model/index.js';
import type { ScanSource } from '../store/store.js';
import type { SuppressedRemovals, SuppressingStatus } from './types.js';

/** The part of a scan's per-source coverage the diff needs (a `ScanSource` fits). */
export type SourceCoverage = Pick<ScanSource, 'source'> & {
  collectors: ReadonlyArray<Pick<CollectorCoverage, 'collector' | 'status'> & { reason?: string | null }>;
};

/** Coverage of the two scans being compared. */
export interface DiffCoverage {
  before: readonly SourceCoverage[];
  after: readonly SourceCoverage[];
}

interface CollectorState {
  status: SuppressingStatus | 'complete' | 'skipped';
  reason: string | null;
}

type CoverageIndex = Map<string, Map<string, CollectorState>>;

function indexCoverage(sources: readonly SourceCoverage[]): CoverageIndex {
  const index: CoverageIndex = new Map();
  for (const s of sources) {
    const collectors = index.get(s.source) ?? new Map<string, CollectorState>();
    for (const c of s.collectors) collectors.set(c.collector, { status: c.status, reason: c.reason ?? null });
    index.set(s.source, collectors);
  }
  return index;
}

function lookup(index: CoverageIndex, source: string, collector: string): CollectorState {
  const s = index.get(source);
  if (!s) return { status: 'missing', reason: 'source not scanned' };
  return s.get(collector) ?? { status: 'missing', reason: 'collector not in scan coverage' };
}

function trusted(state: CollectorState): boolean {
  return state.status !== 'missing' && isAuthoritative(state.status);
}

/**
 * Decides which removals can be reported. A record absent from the later scan counts as removed only
 * when the collector that produced it was authoritative (complete or skipped) in both scans; otherwise
 * the removal is withheld and counted per source and collector.
 */
export class RemovalGate {
  private readonly before: CoverageIndex;
  private readonly after: CoverageIndex;
  private readonly suppressed = new Map<string, SuppressedRemovals>();

  constructor(coverage: DiffCoverage) {
    this.before = indexCoverage(coverage.before);
    this.after = indexCoverage(coverage.after);
    // List every non-authoritative collector up front, so outputs can say "not compared" even when
    // nothing happened to be withheld.
    for (const [scan, index] of [
      ['after', this.after],
      ['before', this.before],
    ] as const) {
      for (const [source, collectors] of index) {
        for (const [collector, state] of collectors) {
          if (!trusted(state)) this.entry(source, collector, scan, state);
        }
      }
    }
  }

  private entry(source: string, collector: string, scan: 'before' | 'after', state: CollectorState) {
    const id = `${source}\u0000${collector}`;
    let e = this.suppressed.get(id);
    if (!e) {
      e = {
        source,
        collector,
        status: state.status as SuppressingStatus,
        scan,
        reason: state.reason,
        removals: { identity: 0, grant: 0, credential: 0 },
      };
      this.suppressed.set(id, e);
    }
    return e;
  }

  /** True when the removal may be reported; otherwise counts it as withheld. */
  admitRemoval(type: RecordType, source: string, collector: string): boolean {
    const after = lookup(this.after, source, collector);
    const before = lookup(this.before, source, collector);
    if (trusted(after) && trusted(before)) return true;
    const [scan, state] = trusted(after) ? (['before', before] as const) : (['after', after] as const);
    this.entry(source, collector, scan, state).removals[type] += 1;
    return false;
  }

  /**
   * Whether the earlier scan had this collector's data: it ran, and was not `unavailable` (a licence or
   * auth mode that gave nothing). Additions from a collector without earlier data are a baseline.
   * A `failed` collector's records were carried over, so they count as earlier data.
   */
  coveredBefore(source: string, collector: string): boolean {
    const status = lookup(this.before, source, collector).status;
    return status !== 'missing' && status !== 'unavailable';
  }

  report(): SuppressedRemovals[] {
    return [...this.suppressed.values()].sort((a, b) =>
      a.source < b.source ? -1 : a.source > b.source ? 1 : a.collector < b.collector ? -1 : 1,
    );
  }
}
