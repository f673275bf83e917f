import { hash } from 'node:crypto';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { ModelRecordInput } from '../model/record.js';
import { TOOL_VERSION } from '../version.js';
import type { CollectorRun } from './collector.js';

/**
 * Bump when what the digest covers changes meaning, so that a digest kept by an older build never
 * matches.
 */
const DIGEST_FORMAT = 'collector-records/1';

/**
 * Records digested between two turns of the event loop in `checkCarry`: digesting tens of thousands
 * is CPU work, and without a turn now and then the other collectors' answers wait unread meanwhile
 * (their next requests are not sent), as in the engine's record checks (run-scan.ts).
 */
const RECORDS_PER_TURN = 500;

/**
 * Digest of a collector's records as a set: each record's JSON is hashed, the hashes sorted and
 * hashed again, so that the order the API objects came in (a delta rebuild, a full list) does not
 * matter. The tool version is in it too: the engine checks and normalises records after the
 * connector, and a new version may do it differently.
 */
class RecordsDigest {
  private readonly hashes: string[] = [];

  add(record: ModelRecordInput): void {
    this.hashes.push(hash('sha256', JSON.stringify(record), 'base64'));
  }

  get count(): number {
    return this.hashes.length;
  }

  digest(): string {
    this.hashes.sort();
    return hash('sha256', `${DIGEST_FORMAT}\n${TOOL_VERSION}\n${this.hashes.join('')}`, 'hex');
  }
}

/** The digest of `records` (see `RecordsDigest`) and how many there are. */
export function recordsDigest(records: Iterable<ModelRecordInput>): { digest: string; count: number } {
  const d = new RecordsDigest();
  for (const r of records) d.add(r);
  return { digest: d.digest(), count: d.count };
}

/** A collector's records that the previous scan stored as they are now: the store carries them forward. */
export interface CarriedRecords<Result> {
  /** The scan whose records are carried. */
  since: number;
  records: number;
  /** What the transform returned after its records (its coverage notes, say). */
  result: Result;
}

/**
 * What `checkCarry` decided in a collector's fetch, for `emitUnlessCarried` in its transform:
 * - `carried`: the records are the previous scan's; the transform emits none;
 * - `changed`: they were digested to compare (the digest is kept) and differ: emitted again;
 * - `not-compared`: no carry was possible (a first scan, `--full`, no digest of the previous scan,
 *   the collector no longer complete, no store): the transform runs once, digesting as it emits.
 */
export type CarryDecision<Result> =
  | { kind: 'carried'; carried: CarriedRecords<Result> }
  | { kind: 'changed' }
  | { kind: 'not-compared' };

/**
 * In a collector's fetch, once read: whether its records (`records()`, its transform) are exactly
 * the records the previous scan stored. They are compared only when they can be carried: the
 * digest kept under `stateKey` (kept only when the collector completed) is from the previous scan
 * itself, this is not a `--full` scan, and the collector is still complete. Then the transform runs
 * once here to digest them, and when the digest is the same the collector is marked incremental
 * (naming nothing removed), so that the store keeps its open records instead of receiving them
 * again, and says so. Otherwise the transform is not run here at all (`not-compared`) and
 * `emitUnlessCarried` digests the records as it emits them, for the next scan.
 *
 * Whatever the records derive from is in them, so any change to it changes the digest and the records
 * are emitted as on a full read.
 */
export async function checkCarry<Result>(
  run: Pick<CollectorRun, 'ctx' | 'name'>,
  stateKey: string,
  records: () => Generator<ModelRecordInput, Result>,
): Promise<CarryDecision<Result>> {
  const stored = comparable(run, stateKey);
  if (stored === null) return { kind: 'not-compared' };
  const d = new RecordsDigest();
  const steps = digestRecords(records, d);
  let step = steps.next();
  // A turn of the event loop every RECORDS_PER_TURN records: a large tenant's digest takes a while.
  for (; !step.done; step = steps.next()) await nextMacrotask();
  const result = step.value;
  const digest = d.digest();
  // Set here, in the collector's fetch: the state write is committed only if the collector completes.
  run.ctx.state!.set(stateKey, digest);
  if (stored.value !== digest) return { kind: 'changed' };
  markCarried(run, stored.scanId, d.count);
  return { kind: 'carried', carried: { since: stored.scanId, records: d.count, result } };
}

/**
 * Adds every record of `records()` to `d` and returns what the generator returns; pauses (yields) every
 * RECORDS_PER_TURN records, for a caller that gives the event loop a turn there.
 */
function* digestRecords<Result>(
  records: () => Generator<ModelRecordInput, Result>,
  d: RecordsDigest,
): Generator<void, Result> {
  const it = records();
  for (let r = it.next(); ; r = it.next()) {
    if (r.done) return r.value;
    d.add(r.value);
    if (d.count % RECORDS_PER_TURN === 0) yield;
  }
}

/**
 * The digest kept under `stateKey` when the collector's records can be carried: it is the previous
 * scan's own, this is not a `--full` scan, and the collector is still complete; else null.
 */
function comparable(
  run: Pick<CollectorRun, 'ctx' | 'name'>,
  stateKey: string,
): { value: string; scanId: number } | null {
  const { state, previous, coverage } = run.ctx;
  if (!state || state.fullResync || previous.scanId === null) return null;
  const stored = state.get(stateKey);
  if (!stored || stored.scanId !== previous.scanId) return null;
  // Only a collector that read in full carries (not one marked unavailable while it ran, say).
  if (coverage.status(run.name) !== 'complete') return null;
  return stored;
}

/** The collector keeps its stored records (incremental, naming nothing removed), and says so. */
function markCarried(run: Pick<CollectorRun, 'ctx' | 'name'>, since: number, records: number): void {
  run.ctx.coverage.incremental(run.name, since, []);
  run.ctx.coverage.note(
    run.name,
    `unchanged since scan #${since}: its ${records} record(s) are carried forward (same records digest)`,
  );
}

/**
 * `checkCarry` and `emitUnlessCarried` at once, in the collector's transform: for a collector whose
 * records can only be built there (they carry what other collectors fetched, `enrichedBy`), or whose
 * fetched data other collectors read as it is. When the records can be carried, they are built and
 * digested first, without emitting (synchronously: a transform cannot wait for a turn of the event
 * loop), then either carried, or built again and emitted. Otherwise they are emitted once, digested as
 * they go. The runner runs a transform as its collector: the digest kept is committed only if the
 * collector completes.
 */
export function* emitOrCarry<Result>(
  run: Pick<CollectorRun, 'ctx' | 'name'>,
  stateKey: string,
  records: () => Generator<ModelRecordInput, Result>,
): Generator<ModelRecordInput, Result> {
  const stored = comparable(run, stateKey);
  if (stored === null) return yield* emitUnlessCarried(run, stateKey, { kind: 'not-compared' }, records);
  const d = new RecordsDigest();
  const steps = digestRecords(records, d);
  let step = steps.next();
  while (!step.done) step = steps.next();
  const result = step.value;
  const digest = d.digest();
  run.ctx.state!.set(stateKey, digest);
  if (stored.value !== digest) return yield* records();
  markCarried(run, stored.scanId, d.count);
  return result;
}

/**
 * In the collector's transform: its records, unless `decision` carried them (then none, and the
 * result the transform gave when digested). On a scan that did not compare, the records are digested
 * as they go and the digest is kept under `stateKey` once the last one went: the runner runs a
 * transform as its collector, so the write is committed only if the collector completes.
 */
export function* emitUnlessCarried<Result>(
  run: Pick<CollectorRun, 'ctx'>,
  stateKey: string,
  decision: CarryDecision<Result>,
  records: () => Generator<ModelRecordInput, Result>,
): Generator<ModelRecordInput, Result> {
  if (decision.kind === 'carried') return decision.carried.result;
  const { state } = run.ctx;
  if (decision.kind === 'changed' || !state) return yield* records();
  const d = new RecordsDigest();
  const it = records();
  for (let r = it.next(); ; r = it.next()) {
    if (r.done) {
      state.set(stateKey, d.digest());
      return r.value;
    }
    d.add(r.value);
    yield r.value;
  }
}
