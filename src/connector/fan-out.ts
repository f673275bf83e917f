import type { LimitFunction } from 'p-limit';

/**
 * Runs `task` for every item under the connector's shared `limit`, with no more of them waiting in the
 * limit's queue than it has slots: each of `limit.concurrency` workers queues its next item only when
 * its previous one has finished.
 *
 * Why not `Promise.all(items.map((i) => limit(() => task(i))))`: that queues the whole fan-out at
 * once, and p-limit serves its queue first in, first out, so another collector's calls queued a moment
 * later wait behind every item (thousands of tokens.list calls ahead of a few hundred IAM reads). The
 * short collector then finishes last, after the long one, and its own work stays on the critical path.
 * With this, calls queued meanwhile take the next free slots, and the long fan-out ends the collection.
 *
 * Like Promise.all, the first task to throw rejects the fan-out; workers stop taking items then.
 */
export async function fanOut<T>(
  items: Iterable<T>,
  limit: LimitFunction,
  task: (item: T) => Promise<void>,
): Promise<void> {
  await inTurns(items, limit.concurrency, (item) => limit(() => task(item)));
}

/**
 * Runs `task` for every item, at most `workers` at a time, each worker taking its next item only when
 * its previous one has finished (all at once when `workers` is unbounded). For a task that takes the
 * connector's limit itself, perhaps more than once (a `$batch` post and the nextLink pages of its
 * answers), where wrapping it in the limit as `fanOut` does would hold a slot while waiting for another.
 *
 * Like Promise.all, the first task to throw rejects; workers stop taking items then.
 */
export async function inTurns<T>(
  items: Iterable<T>,
  workers: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  // An unbounded limit queues nothing: every item may start at once.
  if (!Number.isFinite(workers)) {
    await Promise.all(Array.from(items, (item) => task(item)));
    return;
  }
  const next = items[Symbol.iterator]();
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed) {
      const step = next.next();
      if (step.done) return;
      try {
        await task(step.value);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
}
