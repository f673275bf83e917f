import { describe, expect, it } from 'vitest';
import { CollectorTurns } from './collector-turns.js';
import { RateBudget } from './rate-budget.js';

const budget = () =>
  new RateBudget({
    reserve: 100,
    maxWaitMs: 0,
    windowMs: 3_600_000,
    now: () => new Date(0),
    sleep: async () => {},
  });
const headers = (remaining: number) => ({
  'x-ratelimit-limit': '5000',
  'x-ratelimit-remaining': String(remaining),
  'x-ratelimit-reset': '3600',
  'x-ratelimit-resource': 'core',
});
const tick = () => new Promise((r) => setImmediate(r));

describe('CollectorTurns', () => {
  it('holds the others while the budget is unknown, and lets them in once an answer reports it ample', async () => {
    const b = budget();
    const turns = new CollectorTurns(b, 100, 4);
    const entered: string[] = [];
    const go = (name: string) => turns.enter().then(() => entered.push(name));
    await go('members');
    void go('installations');
    void go('pat-grants');
    await tick();
    expect(entered).toEqual(['members']);
    // The first collector's first answer: 4,900 left of 5,000. `members` has not finished.
    b.observe(headers(4900));
    await tick();
    expect(entered).toEqual(['members', 'installations', 'pat-grants']);
  });

  it('keeps them in turn, in order, while the budget is tight', async () => {
    const b = budget();
    const turns = new CollectorTurns(b, 100, 4);
    const entered: string[] = [];
    const go = (name: string) => turns.enter().then(() => entered.push(name));
    await go('members');
    void go('installations');
    void go('pat-grants');
    b.observe(headers(300));
    await tick();
    expect(entered).toEqual(['members']);
    turns.leave();
    await tick();
    expect(entered).toEqual(['members', 'installations']);
    turns.leave();
    await tick();
    expect(entered).toEqual(['members', 'installations', 'pat-grants']);
  });

  it('never lets more than its limit fetch at once', async () => {
    const b = budget();
    b.observe(headers(4900));
    const turns = new CollectorTurns(b, 100, 2);
    const entered: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) void turns.enter().then(() => entered.push(name));
    await tick();
    expect(entered).toEqual(['a', 'b']);
    b.observe(headers(4800));
    await tick();
    expect(entered).toEqual(['a', 'b']);
    turns.leave();
    await tick();
    expect(entered).toEqual(['a', 'b', 'c']);
  });
});
