import { setImmediate as nextMacrotask } from 'node:timers/promises';

/**
 * Bundles of the previous snapshot a connector's read goes through between two turns of the event
 * loop. Reading them back is CPU work done while requests are on their way: a request the Graph client
 * starts meanwhile needs several turns to reach the network, and its answer one more to be read, so
 * each turn must come soon (the engine gives one every 250 bundles, src/scan/run-scan.ts: ~20 ms of
 * this work on a quiet machine, several times that on a loaded one, per turn).
 */
export const BUNDLES_PER_TURN = 50;

/** `bundles` with a turn of the event loop every `every` of them. */
export async function* inTurns<T>(bundles: AsyncIterable<T>, every = BUNDLES_PER_TURN): AsyncGenerator<T> {
  let n = 0;
  for await (const b of bundles) {
    yield b;
    if (++n % every === 0) await nextMacrotask();
  }
}

/**
 * Reads of the previous snapshot that a rescan's collectors need (the grant objects, the owners), started
 * when the service principal list starts rather than when their collectors do, after it. Reading
 * thousands of stored records back is CPU work on this thread, and while the list is paged the scan
 * mostly waits on Graph: started then, the reads fill that wait instead of holding up the collectors'
 * own requests and records later. A read is started only where its collector will take it (the same
 * stored-state checks the collector makes); the collector takes the read started for it, or reads
 * itself. A read that fails fails the collector that takes it, as its own read would have; one that is
 * never taken (its collector was not run) is dropped.
 */
export class PreviousReads {
  private readonly started = new Map<string, Promise<unknown>>();

  /** Starts `read` for the collector that will `take` it under `key`. */
  start(key: string, read: () => Promise<unknown>): void {
    const promise = read();
    // Its collector takes the failure; a read never taken must not be an unhandled rejection.
    promise.catch(() => {});
    this.started.set(key, promise);
  }

  /** Whether a read was started under `key` and not taken yet. */
  has(key: string): boolean {
    return this.started.has(key);
  }

  /** The read started under `key` (once), or `read` now when none was. */
  take<T>(key: string, read: () => Promise<T>): Promise<T> {
    const started = this.started.get(key) as Promise<T> | undefined;
    this.started.delete(key);
    return started ?? read();
  }

  /** Every read started and not taken has ended. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.started.values());
  }
}
