/**
 * Snapshot diff: what changed between two scans, through the model only. Removals are reported only
 * for collectors that were authoritative in both scans (see `RemovalGate`).
 */
import type { ModelRecord } from '../model/index.js';
import { diffChangeList } from './builder.js';
import { changesFromRecords } from './changes.js';
import type { DiffCoverage } from './coverage-gate.js';
import type { SnapshotDiff } from './types.js';

export { applyDiff } from './apply.js';
export { DiffBuilder, diffChangeList, diffChanges } from './builder.js';
export { changesFromRecords, completeCoverage } from './changes.js';
export { type DiffCoverage, RemovalGate, type SourceCoverage } from './coverage-gate.js';
export { grantWidening, selectionSize } from './scope.js';
export type * from './types.js';

/** Diff two in-memory record sets (`a` earlier, `b` later) given both scans' coverage. */
export function diffRecords(
  a: readonly ModelRecord[],
  b: readonly ModelRecord[],
  coverage: DiffCoverage,
): SnapshotDiff {
  return diffChangeList(changesFromRecords(a, b), coverage);
}
