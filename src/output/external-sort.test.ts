import { describe, expect, it } from 'vitest';
import { orderedBy, sortExternally } from './external-sort.js';

const byNumber = (a: { n: number }, b: { n: number }) => a.n - b.n;

async function* stream<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

describe('sortExternally', () => {
  it('sorts across spilled runs', async () => {
    const items = [5, 3, 9, 1, 7, 2, 8].map((n) => ({ n }));
    expect((await all(sortExternally(stream(items), byNumber, 2))).map((x) => x.n)).toEqual([
      1, 2, 3, 5, 7, 8, 9,
    ]);
  });

  it('passes a stream marked as ordered by the same comparator through, as the same objects', async () => {
    const items = [1, 2, 2, 4].map((n) => ({ n }));
    const out = await all(sortExternally(orderedBy(stream(items), byNumber), byNumber, 2));
    expect(out).toEqual(items);
    expect(out[0]).toBe(items[0]);
  });

  it('sorts a stream marked as ordered by another comparator', async () => {
    const items = [3, 1, 2].map((n) => ({ n }));
    const other = (a: { n: number }, b: { n: number }) => b.n - a.n;
    expect((await all(sortExternally(orderedBy(stream(items), other), byNumber))).map((x) => x.n)).toEqual([
      1, 2, 3,
    ]);
  });

  it('fails, rather than write a wrong order, when a stream marked as ordered is not', async () => {
    const items = [1, 3, 2].map((n) => ({ n }));
    await expect(all(sortExternally(orderedBy(stream(items), byNumber), byNumber))).rejects.toThrow(
      /came out of order/,
    );
  });
});
