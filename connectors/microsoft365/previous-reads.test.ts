import { describe, expect, it } from 'vitest';
import { BUNDLES_PER_TURN, inTurns, PreviousReads } from './previous-reads.js';

describe('PreviousReads', () => {
  it('hands the read started under a key to the first taker only; later takers read themselves', async () => {
    const reads = new PreviousReads();
    let started = 0;
    reads.start('k', async () => {
      started += 1;
      return 'early';
    });
    expect(started).toBe(1);
    expect(await reads.take('k', async () => 'own')).toBe('early');
    expect(await reads.take('k', async () => 'own')).toBe('own');
    expect(await reads.take('other', async () => 'own')).toBe('own');
    expect(started).toBe(1);
  });

  it('gives a started read’s failure to its taker, and leaves none unhandled when never taken', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const reads = new PreviousReads();
      reads.start('taken', async () => {
        throw new Error('store closed');
      });
      reads.start('dropped', async () => {
        throw new Error('never taken');
      });
      await expect(reads.take('taken', async () => 'own')).rejects.toThrow('store closed');
      await reads.settled();
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('settles once every read not taken has ended', async () => {
    const reads = new PreviousReads();
    let ended = false;
    reads.start('slow', async () => {
      await new Promise((r) => setTimeout(r, 20));
      ended = true;
    });
    await reads.settled();
    expect(ended).toBe(true);
  });
});

describe('inTurns', () => {
  it('gives the event loop a turn every BUNDLES_PER_TURN bundles of a read that never waits itself', async () => {
    const read = async function* () {
      for (let i = 0; i < 3 * BUNDLES_PER_TURN; i++) yield i;
    };
    // A callback queued now runs at the first turn: after the first BUNDLES_PER_TURN bundles.
    let seenAtTurn = -1;
    let n = 0;
    setImmediate(() => {
      seenAtTurn = n;
    });
    for await (const _ of inTurns(read())) n += 1;
    expect(n).toBe(3 * BUNDLES_PER_TURN);
    expect(seenAtTurn).toBe(BUNDLES_PER_TURN);
  });
});
