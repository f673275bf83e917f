import { createHash } from 'node:crypto';
import type { CollectorRun } from '../../src/connector/collector.js';
import type { ModelRecordInput } from '../../src/model/record.js';
import { TOOL_VERSION } from '../../src/version.js';

/**
 * Bump when what the digest covers changes meaning, so that a digest kept by an older build never
 * matches.
 */
const DIGEST_FORMAT = 'collector-records/1';

/**
 * Digest of the records a collector emits, as a set: each record's JSON is hashed, the hashes sorted
 * and hashed again, so that the order the API objects came in (a delta rebuild, a full list) does not
 * matter. The tool version is in it too: the engine checks and normalises records after the
 * connector, and a new version may do it differently.
 */
export function recordsDigest(records: Iterable<ModelRecordInput>): { digest: string; count: number } {
  const hashes: string[] = [];
  for (const r of records) hashes.push(createHash('sha256').update(JSON.stringify(r)).digest('base64'));
  hashes.sort();
  const all = createHash('sha256').update(`${DIGEST_FORMAT}\n${TOOL_VERSION}\n`);
  for (const h of hashes) all.update(h);
  return { digest: all.digest('hex'), count: hashes.length };
}

/** A collector's records that the previous scan stored as they are now: the store carries them forward. */
export interface CarriedRecords {
  /** The scan whose records are carried. */
  since: number;
  records: number;
  /** The notes the collector's transform would have given. */
  notes: string[];
}

/**
 * Whether `records` (a collector's transform, run once here to digest it) are exactly the records the
 * previous scan stored: the digest kept under `stateKey` (kept only when the collector completed) is
 * the same and from the previous scan itself. Then the collector is marked incremental (naming
 * nothing removed), so that the store keeps its open records instead of receiving them again, and
 * says so; its transform then emits nothing. Only for a collector still complete; never under `--full` (no stored state is read) or
 * without a store behind the scan. The digest is kept for the next scan either way.
 *
 * Whatever the records derive from is in them, so any change to it changes the digest and the records
 * are emitted as on a full read.
 */
export function carryIfUnchanged(
  run: Pick<CollectorRun, 'ctx' | 'name'>,
  stateKey: string,
  records: Generator<ModelRecordInput, string[]>,
): CarriedRecords | null {
  const { state, previous, coverage } = run.ctx;
  if (!state) return null;
  let notes: string[] = [];
  const { digest, count } = recordsDigest({
    *[Symbol.iterator]() {
      notes = yield* records;
    },
  });
  const stored = state.get(stateKey);
  state.set(stateKey, digest);
  if (state.fullResync || !stored || previous.scanId === null) return null;
  // Only a collector that read in full carries (not one marked unavailable while it ran, say).
  if (coverage.status(run.name) !== 'complete') return null;
  if (stored.scanId !== previous.scanId || stored.value !== digest) return null;
  coverage.incremental(run.name, stored.scanId, []);
  coverage.note(
    run.name,
    `unchanged since scan #${stored.scanId}: its ${count} record(s) are carried forward (same records digest)`,
  );
  return { since: stored.scanId, records: count, notes };
}
