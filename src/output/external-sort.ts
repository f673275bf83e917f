import { once } from 'node:events';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Items sorted in memory at a time; beyond that, sorted runs go to temporary files and are merged. */
export const SORT_RUN_SIZE = 5_000;

const ORDER = Symbol('grantscope.orderedBy');

/** A stream that says it comes in `compare` order already (see {@link orderedBy}). */
interface Ordered<T> {
  [ORDER]?: (a: T, b: T) => number;
}

/**
 * Marks `items` as coming in `compare` order (a store read in that order, say): `sortExternally` with
 * the same comparator then passes them through instead of sorting, and checks the order as they go.
 */
export function orderedBy<T>(items: AsyncIterable<T>, compare: (a: T, b: T) => number): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => items[Symbol.asyncIterator](),
    [ORDER]: compare,
  } as AsyncIterable<T> & Ordered<T>;
}

async function* inOrder<T>(items: AsyncIterable<T> | Iterable<T>, compare: (a: T, b: T) => number) {
  let previous: { value: T } | null = null;
  for await (const item of items) {
    if (previous && compare(previous.value, item) > 0)
      throw new Error('a stream marked as ordered came out of order (a store read that lost its ORDER BY?)');
    previous = { value: item };
    yield item;
  }
}

/**
 * Sorts a stream of JSON values with `compare` in bounded memory: runs of `runSize` items are sorted
 * and written to files (one JSON value per line) in a private temporary folder, then merged. A stream
 * that fits in one run never touches the disk. The folder is removed however the consumer stops.
 */
export async function* sortExternally<T>(
  items: AsyncIterable<T> | Iterable<T>,
  compare: (a: T, b: T) => number,
  runSize = SORT_RUN_SIZE,
): AsyncGenerator<T> {
  if ((items as Ordered<T>)[ORDER] === compare) {
    yield* inOrder(items, compare);
    return;
  }
  let buffer: T[] = [];
  let dir: string | null = null;
  const runs: string[] = [];
  let sources: AsyncIterator<T>[] = [];
  try {
    for await (const item of items) {
      buffer.push(item);
      if (buffer.length >= runSize) {
        dir ??= mkdtempSync(join(tmpdir(), 'grantscope-sort-'));
        const file = join(dir, `run-${runs.length}.jsonl`);
        buffer.sort(compare);
        await writeFile(file, `${buffer.map((x) => JSON.stringify(x)).join('\n')}\n`, { mode: 0o600 });
        runs.push(file);
        buffer = [];
      }
    }
    buffer.sort(compare);
    if (runs.length === 0) {
      yield* buffer;
      return;
    }
    sources = [
      ...runs.map((file) => readRun<T>(file)),
      (async function* () {
        yield* buffer;
      })(),
    ];
    const heads: (IteratorResult<T> | null)[] = await Promise.all(sources.map((s) => s.next()));
    while (true) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (!h || h.done) continue;
        if (best < 0 || compare(h.value, (heads[best] as IteratorYieldResult<T>).value) < 0) best = i;
      }
      if (best < 0) return;
      yield (heads[best] as IteratorYieldResult<T>).value;
      heads[best] = await sources[best]!.next();
    }
  } finally {
    await Promise.all(sources.map((s) => s.return?.()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

async function* readRun<T>(file: string): AsyncGenerator<T> {
  const input = createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024 });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) if (line) yield JSON.parse(line) as T;
  } finally {
    lines.close();
    input.destroy();
    if (!input.closed) await once(input, 'close').catch(() => undefined);
  }
}
