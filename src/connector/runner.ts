import pLimit from 'p-limit';
import { ApiError, ConnectorContractError, describeError } from '../errors.js';
import type { ModelRecordInput } from '../model/record.js';
import { type Collector, type CollectorRun, isChunkStream, PartialFailure } from './collector.js';
import type { Connector } from './connector.js';
import type { ConnectorContext } from './context.js';
import { attributeTo, type CollectorCoverage } from './coverage.js';

/**
 * A collector that was not run because a collector it depends on failed or was unavailable. It names
 * the dependency and its reason, and keeps its HTTP status and API so that the coverage of both points
 * at the same call.
 */
export class DependencyFailedError extends ApiError {
  constructor(
    readonly collector: string,
    readonly dependency: CollectorCoverage,
  ) {
    super(
      dependency.api ?? 'collector',
      dependency.httpStatus,
      `not run: it needs the ${dependency.collector} collector, which ${dependency.status === 'failed' ? 'failed' : 'is unavailable'} (${dependency.reason ?? 'no reason given'})`,
      { ...(dependency.api ? { path: dependency.api } : {}), collector },
    );
    this.name = 'DependencyFailedError';
    // Coverage shows the sentence; the dependency's own reason already names its API call.
    this.message = this.reason;
  }

  /** Just the sentence, as coverage shows it. */
  get reason(): string {
    return `not run: it needs the ${this.dependency.collector} collector, which ${this.dependency.status === 'failed' ? 'failed' : 'is unavailable'} (${this.dependency.reason ?? 'no reason given'})`;
  }
}

/**
 * Checks a connector's collector list before anything runs: unique kebab-case names, a description,
 * permissions, and dependencies that exist and form no cycle. A plugin that breaks the contract is
 * refused with what is wrong, not half-run.
 */
export function checkCollectors(connector: Pick<Connector, 'id' | 'collectors'>): void {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const c of connector.collectors) {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(c.name ?? ''))
      problems.push(`collector name '${c.name}' is not kebab-case`);
    if (names.has(c.name)) problems.push(`two collectors are named '${c.name}'`);
    names.add(c.name);
    if (!c.description?.trim()) problems.push(`${c.name}: no description`);
    if (!Array.isArray(c.permissions) || c.permissions.length === 0 || c.permissions.some((p) => !p?.trim()))
      problems.push(`${c.name}: no permissions listed`);
    if (typeof c.fetch !== 'function') problems.push(`${c.name}: no fetch function`);
  }
  for (const c of connector.collectors) {
    for (const d of [...(c.dependsOn ?? []), ...(c.enrichedBy ?? [])]) {
      if (!names.has(d)) problems.push(`${c.name}: depends on unknown collector '${d}'`);
      if (d === c.name) problems.push(`${c.name}: depends on itself`);
    }
  }
  // dependsOn must be acyclic (enrichedBy only waits for fetched data, so it cannot deadlock).
  const byName = new Map(connector.collectors.map((c) => [c.name, c]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      problems.push(`dependency cycle: ${[...path, name].join(' → ')}`);
      return;
    }
    state.set(name, 'visiting');
    for (const d of byName.get(name)?.dependsOn ?? []) visit(d, [...path, name]);
    state.set(name, 'done');
  };
  for (const c of connector.collectors) visit(c.name, []);
  if (problems.length > 0) {
    throw new ConnectorContractError(`connector '${connector.id}': ${problems.join('; ')}`);
  }
}

/** A promise with its settle functions outside (one per collector's fetch). */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The records a collector produced, or the end of the run. */
type Emitted = { collector: string; records: ModelRecordInput[] } | { end: true } | { error: unknown };

/** How the runner hands records on; the defaults suit the store's batches. */
export interface ScanTenantOptions {
  /**
   * At most this many records wait between the collectors and the consumer (the store): a collector
   * that has more waits until the consumer takes them. Memory stays bounded whatever the tenant size.
   */
  maxQueuedRecords?: number;
  /** Records are taken from a transform and queued this many at a time. */
  batchSize?: number;
}

export const DEFAULT_MAX_QUEUED_RECORDS = 4000;
export const DEFAULT_RECORD_BATCH = 500;

/**
 * Scan one tenant with a connector: `connect`, then every collector in dependency order, at most
 * `connector.concurrency` fetching at once. What the runner guarantees, for every connector:
 * - coverage: each collector ends complete, skipped, unavailable (set by the collector) or failed with
 *   its reason; requests made inside its `fetch` are counted for it; records it emits are counted;
 * - a failed collector emits nothing (unless it threw `PartialFailure`, or streamed chunks before it
 *   failed), so the store carries its records over instead of reporting them removed;
 * - a collector whose `dependsOn` failed is not run and fails "not run: it needs …"; one whose
 *   dependency is unavailable is unavailable too;
 * - a failure the connector's `stopsTenant` names, or an interrupt, fails every collector not yet
 *   started with "not reached: …"; the former is kept as the tenant's failure (`tenantFailure`);
 * - a failing `connect` fails every collector with that error, the tenant's failure;
 * - records flow in batches through a bounded queue: a collector whose records the consumer has not
 *   taken waits (backpressure), and a collector's fetched data is dropped once every collector that
 *   reads it is done.
 */
export async function* scanTenant<Config, Session>(
  connector: Connector<Config, Session>,
  config: Config,
  ctx: ConnectorContext,
  options: ScanTenantOptions = {},
): AsyncGenerator<ModelRecordInput> {
  checkCollectors(connector);
  const maxQueued = Math.max(1, options.maxQueuedRecords ?? DEFAULT_MAX_QUEUED_RECORDS);
  const batchSize = Math.max(1, Math.min(maxQueued, options.batchSize ?? DEFAULT_RECORD_BATCH));
  const cov = ctx.coverage;
  let session: Session;
  try {
    session = await connector.connect(config, ctx);
  } catch (err) {
    for (const c of connector.collectors) cov.fail(c.name, err);
    cov.stopTenant(err);
    return;
  }

  const fetched = new Map<string, unknown>();
  const fetchedDone = new Map(connector.collectors.map((c) => [c.name, deferred<void>()]));
  // How many collectors still to finish read each collector's data: at 0 it is dropped.
  const readers = new Map(connector.collectors.map((c) => [c.name, 0]));
  for (const c of connector.collectors)
    for (const d of new Set([...(c.dependsOn ?? []), ...(c.enrichedBy ?? [])]))
      readers.set(d, (readers.get(d) ?? 0) + 1);
  const release = (name: string) => {
    if (readers.get(name) === 0) fetched.delete(name);
  };
  const concurrency =
    typeof connector.concurrency === 'function' ? connector.concurrency(config) : connector.concurrency;
  const limit = pLimit(concurrency ?? Math.max(1, connector.collectors.length));
  let stopped: string | null = null;

  // Records flow out through a bounded queue, so that the store writes them while other collectors
  // still run, and no collector gets further ahead of the store than `maxQueued` records.
  const queue: Emitted[] = [];
  let queued = 0;
  let wake: (() => void) | null = null;
  const spaceWaiters: Array<() => void> = [];
  const push = (e: Emitted) => {
    queue.push(e);
    wake?.();
    wake = null;
  };
  const pushRecords = async (collector: string, records: ModelRecordInput[]) => {
    while (queued > 0 && queued + records.length > maxQueued) {
      await new Promise<void>((r) => spaceWaiters.push(r));
    }
    queued += records.length;
    cov.countItems(collector, records.length);
    push({ collector, records });
  };
  const taken = (n: number) => {
    queued -= n;
    for (const w of spaceWaiters.splice(0)) w();
  };

  /**
   * A transform's records, queued a batch at a time. A transform that throws fails its collector;
   * the batches queued before stay (the collector being failed, they are not authoritative). It runs
   * as its collector (`attributeTo`), like its fetch: a connector-state write made while it emits is
   * the collector's, committed only if the collector completes.
   */
  const emit = (c: Collector<Session>, data: unknown, run: CollectorRun): Promise<boolean> =>
    attributeTo(c.name, () => emitRecords(c, data, run));
  const emitRecords = async (c: Collector<Session>, data: unknown, run: CollectorRun): Promise<boolean> => {
    let batch: ModelRecordInput[] = [];
    try {
      for (const rec of c.transform!(data, session, run)) {
        batch.push(rec);
        if (batch.length >= batchSize) {
          const full = batch;
          batch = [];
          await pushRecords(c.name, full);
        }
      }
    } catch (err) {
      cov.fail(c.name, err);
      return false;
    }
    if (batch.length > 0) await pushRecords(c.name, batch);
    return true;
  };

  const runOf = (c: Collector<Session>): CollectorRun => {
    const waited = new Set([...(c.dependsOn ?? []), ...(c.enrichedBy ?? [])]);
    const lookup = (ref: string | { name: string }) => (typeof ref === 'string' ? ref : ref.name);
    return {
      name: c.name,
      ctx,
      input: <T>(ref: string | Collector<never, T>): T => {
        const name = lookup(ref);
        if (!c.dependsOn?.includes(name) || !fetched.has(name)) {
          throw new ConnectorContractError(
            `collector ${c.name} read the data of ${name}, which is not in its dependsOn`,
          );
        }
        return fetched.get(name) as T;
      },
      optional: <T>(ref: string | Collector<never, T>): T | null => {
        const name = lookup(ref);
        if (!waited.has(name)) {
          throw new ConnectorContractError(
            `collector ${c.name} read the data of ${name}, which is in neither its dependsOn nor its enrichedBy`,
          );
        }
        return fetched.has(name) ? (fetched.get(name) as T) : null;
      },
      status: (name: string) => (waited.has(name) || name === c.name ? cov.status(name) : undefined),
    };
  };

  const entryOf = (name: string) => cov.report().collectors.find((e) => e.collector === name);
  const notReached = (c: Collector<Session>) =>
    cov.fail(c.name, new Error(`not reached: ${stopped ?? 'the scan was interrupted'}`));
  const enrichersDone = (c: Collector<Session>) =>
    Promise.all((c.enrichedBy ?? []).map((e) => fetchedDone.get(e)!.promise));

  /**
   * A streamed fetch: each chunk is transformed and queued as it arrives (waiting while the queue is
   * full). A collector with `enrichedBy` keeps its chunks until the fetch ends, since its transform
   * needs the enrichers' data and waiting for them here, inside a concurrency slot, could deadlock.
   */
  const readStream = async (
    c: Collector<Session>,
    run: CollectorRun,
    stream: AsyncGenerator<unknown, unknown, void>,
    held: unknown[],
  ): Promise<unknown> => {
    const transformNow = !!c.transform && (c.enrichedBy ?? []).length === 0;
    while (true) {
      const next = await attributeTo(c.name, () => stream.next());
      if (next.done) return next.value;
      if (!c.transform) continue;
      if (!transformNow) {
        held.push(next.value);
        continue;
      }
      if (!(await emit(c, next.value, run))) {
        // The transform failed the collector: stop reading (the generator's finally blocks run).
        await attributeTo(c.name, () => stream.return(undefined)).catch(() => {});
        return undefined;
      }
    }
  };

  /**
   * The fetch step: returns the fetched data (and, for a stream, chunks still to transform), or
   * undefined when the collector did not get any.
   */
  const fetchStep = async (
    c: Collector<Session>,
    run: CollectorRun,
  ): Promise<{ data: unknown; chunks?: unknown[] } | undefined> => {
    for (const d of c.dependsOn ?? []) await fetchedDone.get(d)!.promise;
    if (stopped || ctx.signal.aborted) return void notReached(c);
    const blocker = (c.dependsOn ?? [])
      .map(entryOf)
      .find((e) => e && (e.status === 'failed' || e.status === 'unavailable'));
    if (blocker) {
      const why = new DependencyFailedError(c.name, blocker);
      if (blocker.status === 'failed') cov.fail(c.name, why);
      else cov.unavailable(c.name, why.reason, blocker.httpStatus);
      return;
    }
    return limit(async () => {
      // Checked again: a collector that ran while this one queued may have stopped the tenant.
      if (stopped || ctx.signal.aborted) return void notReached(c);
      cov.begin(c.name);
      const held: unknown[] = [];
      let streamed = false;
      try {
        const value: unknown = await attributeTo(c.name, async () => c.fetch(session, run));
        if (!isChunkStream(value)) return { data: value };
        streamed = true;
        const data = await readStream(c, run, value, held);
        return { data, chunks: held };
      } catch (err) {
        const cause = PartialFailure.is(err) ? err.error : err;
        cov.fail(c.name, cause);
        if (!stopped) {
          const stop = connector.stopsTenant?.(cause, c.name) ?? null;
          if (stop) {
            stopped = typeof stop === 'string' ? stop : describeError(stop);
            cov.stopTenant(typeof stop === 'string' ? new Error(stop) : stop, c.name);
          }
        }
        if (!PartialFailure.is(err))
          return streamed && held.length > 0 ? { data: undefined, chunks: held } : undefined;
        return streamed ? { data: err.partial, chunks: held } : { data: err.partial };
      } finally {
        cov.end(c.name);
      }
    });
  };

  const runCollector = async (c: Collector<Session>): Promise<void> => {
    const run = runOf(c);
    let got: { data: unknown; chunks?: unknown[] } | undefined;
    try {
      got = await fetchStep(c, run);
      if (got && got.data !== undefined) fetched.set(c.name, got.data);
    } finally {
      fetchedDone.get(c.name)!.resolve();
    }
    try {
      if (!got || !c.transform) return;
      // Outside the concurrency slot: the collectors it waits for may need one.
      await enrichersDone(c);
      if (got.chunks) {
        // Held chunks of a stream (enrichedBy), in order; streamed ones were emitted already.
        const chunks = got.chunks;
        got = undefined;
        for (const chunk of chunks.splice(0)) if (!(await emit(c, chunk, run))) return;
        return;
      }
      const data = got.data;
      got = undefined;
      await emit(c, data, run);
    } finally {
      for (const d of new Set([...(c.dependsOn ?? []), ...(c.enrichedBy ?? [])])) {
        readers.set(d, readers.get(d)! - 1);
        release(d);
      }
      release(c.name);
    }
  };

  const all = Promise.all(connector.collectors.map(runCollector)).then(
    () => push({ end: true }),
    (err: unknown) => push({ error: err }),
  );
  try {
    while (true) {
      if (queue.length === 0) await new Promise<void>((r) => (wake = r));
      const next = queue.shift()!;
      if ('end' in next) break;
      if ('error' in next) {
        // A bug in the runner or a collector's bookkeeping, not an API failure: fail what is left.
        ctx.logger.error('collector runner failed', { error: describeError(next.error) });
        cov.failAll(next.error);
        break;
      }
      try {
        yield* next.records;
      } finally {
        taken(next.records.length);
      }
    }
  } finally {
    // A consumer that stops early must not leave collectors waiting for queue space.
    queued = Number.NEGATIVE_INFINITY;
    taken(0);
  }
  await all;
}
