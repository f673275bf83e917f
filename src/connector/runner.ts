import pLimit from 'p-limit';
import { ApiError, ConnectorContractError, describeError } from '../errors.js';
import type { ModelRecordInput } from '../model/record.js';
import { type Collector, type CollectorRun, PartialFailure } from './collector.js';
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

/**
 * Scan one tenant with a connector: `connect`, then every collector in dependency order, at most
 * `connector.concurrency` fetching at once. What the runner guarantees, for every connector:
 * - coverage: each collector ends complete, skipped, unavailable (set by the collector) or failed with
 *   its reason; requests made inside its `fetch` are counted for it; records it emits are counted;
 * - a failed collector emits nothing (unless it threw `PartialFailure`), so the store carries its
 *   records over instead of reporting them removed;
 * - a collector whose `dependsOn` failed is not run and fails "not run: it needs …"; one whose
 *   dependency is unavailable is unavailable too;
 * - a failure the connector's `stopsTenant` names, or an interrupt, fails every collector not yet
 *   started with "not reached: …";
 * - a failing `connect` fails every collector with that error.
 */
export async function* scanTenant<Config, Session>(
  connector: Connector<Config, Session>,
  config: Config,
  ctx: ConnectorContext,
): AsyncGenerator<ModelRecordInput> {
  checkCollectors(connector);
  const cov = ctx.coverage;
  let session: Session;
  try {
    session = await connector.connect(config, ctx);
  } catch (err) {
    for (const c of connector.collectors) cov.fail(c.name, err);
    return;
  }

  const fetched = new Map<string, unknown>();
  const fetchedDone = new Map(connector.collectors.map((c) => [c.name, deferred<void>()]));
  const concurrency =
    typeof connector.concurrency === 'function' ? connector.concurrency(config) : connector.concurrency;
  const limit = pLimit(concurrency ?? Math.max(1, connector.collectors.length));
  let stopped: string | null = null;

  // Records flow out through a queue, so that the store writes them while other collectors still run.
  const queue: Emitted[] = [];
  let wake: (() => void) | null = null;
  const push = (e: Emitted) => {
    queue.push(e);
    wake?.();
    wake = null;
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

  /** The fetch step: returns the fetched data, or undefined when the collector did not get any. */
  const fetchStep = async (
    c: Collector<Session>,
    run: CollectorRun,
  ): Promise<{ data: unknown } | undefined> => {
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
      try {
        return { data: await attributeTo(c.name, () => c.fetch(session, run)) };
      } catch (err) {
        const cause = PartialFailure.is(err) ? err.error : err;
        cov.fail(c.name, cause);
        stopped ??= connector.stopsTenant?.(cause, c.name) ?? null;
        return PartialFailure.is(err) ? { data: err.partial } : undefined;
      } finally {
        cov.end(c.name);
      }
    });
  };

  const runCollector = async (c: Collector<Session>): Promise<void> => {
    const run = runOf(c);
    let got: { data: unknown } | undefined;
    try {
      got = await fetchStep(c, run);
      if (got) fetched.set(c.name, got.data);
    } finally {
      fetchedDone.get(c.name)!.resolve();
    }
    if (!got || !c.transform) return;
    // Outside the concurrency slot: the collectors it waits for may need one.
    for (const e of c.enrichedBy ?? []) await fetchedDone.get(e)!.promise;
    let records: ModelRecordInput[];
    try {
      records = [...c.transform(got.data, session, run)];
    } catch (err) {
      cov.fail(c.name, err);
      return;
    }
    cov.countItems(c.name, records.length);
    if (records.length > 0) push({ collector: c.name, records });
  };

  const all = Promise.all(connector.collectors.map(runCollector)).then(
    () => push({ end: true }),
    (err: unknown) => push({ error: err }),
  );
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
    yield* next.records;
  }
  await all;
}
