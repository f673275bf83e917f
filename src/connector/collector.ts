import type { ModelRecordInput } from '../model/record.js';
import type { ConnectorContext } from './context.js';
import type { CollectorStatus } from './coverage.js';

/**
 * One collector: one kind of API object, read in two steps the way Cartography's get/transform/load
 * does. `fetch` makes the API reads; `transform` is a pure function from what was fetched to model
 * records, unit-tested without HTTP. The runner (`runner.ts`) emits the records, keeps coverage, runs
 * collectors in dependency order and decides what happens when one fails.
 *
 * `Session` is what the connector's `connect` returns (clients, tenant, shared lookups); `Fetched` is
 * this collector's own result, which `transform` and dependent collectors read.
 *
 * A collector that reads many pages may stream instead (`Chunk` is then what `transform` reads): its
 * `fetch` is an async generator that yields chunks (a page, a `$batch` of child lists) and returns
 * what dependent collectors get (keep it compact: ids, not whole API objects). Each chunk goes
 * through `transform` as soon as it is read and its records go to the store before the next chunk is
 * read once the runner's queue is full, so a tenant is never held whole. `transform` may be a
 * generator: the runner takes its records a batch at a time.
 */
// biome-ignore lint/suspicious/noExplicitAny: by default a collector may stream chunks of any type, so that a connector's list holds both kinds.
export interface Collector<Session = unknown, Fetched = unknown, Chunk = any> {
  /** Stable kebab-case name, stored with each record and in coverage (`app-installations`). */
  readonly name: string;
  /** One sentence for `--help`, docs and coverage. */
  readonly description: string;
  /** The permissions, roles or scopes it needs, as the platform names them (at least one). */
  readonly permissions: readonly string[];
  /**
   * Collectors whose fetched data `fetch` needs. If one of them fails, this one is not run and fails
   * with "not run: it needs …" (its records are carried over); if one is unavailable, so is this one.
   */
  readonly dependsOn?: readonly string[];
  /**
   * Collectors whose fetched data `transform` reads when they have it (`run.optional`), null when they
   * failed. The transform waits for them; their failure does not fail this collector.
   */
  readonly enrichedBy?: readonly string[];
  /**
   * The API reads. Throw to fail the collector; throw `PartialFailure` to fail it but keep what was read.
   * Or stream (see above): yield chunks, return what dependents get. A streamed collector that throws
   * is failed; the chunks it yielded before are current (their records were stored) but, the collector
   * being failed, the store does not treat its missing records as removed. A `PartialFailure` thrown
   * there gives dependents and enriched collectors its `partial`.
   */
  fetch(session: Session, run: CollectorRun): Promise<Fetched> | AsyncGenerator<Chunk, Fetched, void>;
  /** Model records from what was fetched (or one streamed chunk). Pure: no requests, no clock, no coverage changes. */
  transform?(
    // Chunk left open (`any`): the transform is typed for what a non-streaming fetch returns.
    fetched: 0 extends 1 & Chunk ? Fetched : Fetched | Chunk,
    session: Session,
    run: CollectorRun,
  ): Iterable<ModelRecordInput>;
}

/** A collector that reads everything, then transforms it (what `defineCollector` declares). */
export interface BatchCollector<Session = unknown, Fetched = unknown>
  extends Omit<Collector<Session, Fetched>, 'fetch' | 'transform'> {
  fetch(session: Session, run: CollectorRun): Promise<Fetched>;
  transform?(fetched: Fetched, session: Session, run: CollectorRun): Iterable<ModelRecordInput>;
}

/** A collector that streams chunks to its transform (what `defineStreamingCollector` declares). */
export interface StreamingCollector<Session = unknown, Fetched = unknown, Chunk = unknown>
  extends Omit<Collector<Session, Fetched, Chunk>, 'fetch' | 'transform'> {
  fetch(session: Session, run: CollectorRun): AsyncGenerator<Chunk, Fetched, void>;
  transform?(chunk: Chunk, session: Session, run: CollectorRun): Iterable<ModelRecordInput>;
}

/** Whether `fetch` returned a stream of chunks rather than a promise of all of it. */
export function isChunkStream(value: unknown): value is AsyncGenerator<unknown, unknown, void> {
  const v = value as { next?: unknown; [Symbol.asyncIterator]?: unknown };
  return typeof v?.next === 'function' && typeof v[Symbol.asyncIterator] === 'function';
}

/** What the runner gives a collector while it runs. */
export interface CollectorRun {
  /** This collector's name. */
  readonly name: string;
  readonly ctx: ConnectorContext;
  /** The fetched data of a collector in `dependsOn` (it is there: otherwise this one would not run). */
  input<T>(collector: string | Collector<never, T>): T;
  /** The fetched data of a collector in `enrichedBy` or `dependsOn`, or null when it has none. */
  optional<T>(collector: string | Collector<never, T>): T | null;
  /** The coverage status of another collector (settled ones only: those this one waited for). */
  status(collector: string): CollectorStatus | undefined;
}

/**
 * A collector that failed part-way but read something worth emitting (e.g. the keys of every project
 * but one). The collector is failed with `error`, so the store carries its missing records over; what
 * was read still goes through `transform`, so those records are current.
 */
export class PartialFailure<Fetched = unknown> extends Error {
  constructor(
    readonly error: unknown,
    readonly partial: Fetched,
  ) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
    this.name = 'PartialFailure';
  }

  /**
   * Whether `err` is one: this class, or an error named `PartialFailure` with `error` and `partial`,
   * which a plugin can throw without importing the engine.
   */
  static is(err: unknown): err is PartialFailure {
    if (err instanceof PartialFailure) return true;
    const e = err as { name?: unknown } | null;
    return !!e && typeof e === 'object' && e.name === 'PartialFailure' && 'partial' in e && 'error' in e;
  }
}

/** For type inference in collector modules. */
export function defineCollector<Session, Fetched>(
  collector: BatchCollector<Session, Fetched>,
): BatchCollector<Session, Fetched> {
  return collector;
}

/** For type inference in streaming collector modules. */
export function defineStreamingCollector<Session, Fetched, Chunk>(
  collector: StreamingCollector<Session, Fetched, Chunk>,
): StreamingCollector<Session, Fetched, Chunk> {
  return collector;
}
