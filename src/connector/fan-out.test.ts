import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { fanOut } from './fan-out.js';

/** A task that finishes when the test says so, recording when it started. */
function gate() {
  const started: string[] = [];
  const open = new Map<string, () => void>();
  const run = (name: string) =>
    new Promise<void>((resolve) => {
      started.push(name);
      open.set(name, resolve);
    });
  const finish = async (name: string) => {
    open.get(name)!();
    // Let the limit hand the freed slot on.
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { started, run, finish };
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('fanOut', () => {
  it('runs every item, never more at once than the limit allows', async () => {
    const limit = pLimit(3);
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await fanOut(
      Array.from({ length: 20 }, (_, i) => i),
      limit,
      async (i) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 1));
        running -= 1;
        done.push(i);
      },
    );
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(most).toBe(3);
  });

  it('queues no more items than the limit has slots, so calls queued later by others go next', async () => {
    const limit = pLimit(2);
    const g = gate();
    const fan = fanOut(['a1', 'a2', 'a3', 'a4', 'a5'], limit, (x) => g.run(x));
    await flush();
    expect(g.started).toEqual(['a1', 'a2']);
    expect(limit.pendingCount).toBe(0);
    // Another collector's call, queued while the fan-out holds both slots.
    const other = limit(() => g.run('b1'));
    await g.finish('a1');
    expect(g.started).toEqual(['a1', 'a2', 'b1']);
    await g.finish('b1');
    await other;
    await g.finish('a2');
    for (const x of ['a3', 'a4', 'a5']) await g.finish(x);
    await fan;
    expect(g.started).toEqual(['a1', 'a2', 'b1', 'a3', 'a4', 'a5']);
  });

  it('rejects with the first failure and starts no further items', async () => {
    const limit = pLimit(1);
    const seen: number[] = [];
    await expect(
      fanOut([1, 2, 3], limit, async (i) => {
        seen.push(i);
        if (i === 2) throw new Error('item 2 failed');
      }),
    ).rejects.toThrow('item 2 failed');
    expect(seen).toEqual([1, 2]);
  });

  it('starts everything at once under an unbounded limit', async () => {
    const limit = pLimit(Number.POSITIVE_INFINITY);
    const g = gate();
    const fan = fanOut(['x', 'y', 'z'], limit, (x) => g.run(x));
    await flush();
    expect(g.started).toEqual(['x', 'y', 'z']);
    for (const x of ['x', 'y', 'z']) await g.finish(x);
    await fan;
  });
});
