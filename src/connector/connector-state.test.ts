import { describe, expect, it } from 'vitest';
import { ConnectorStateTracker } from './connector-state.js';
import { attributeTo, CoverageTracker } from './coverage.js';

const SOURCE = 'microsoft365:t1';
const stored = new Map([['deltaLink', { value: 'https://graph/delta?$deltatoken=1', scanId: 4 }]]);

describe('connector state', () => {
  it('gives what the previous scan kept, and nothing under --full', () => {
    expect(new ConnectorStateTracker(SOURCE, stored).get('deltaLink')).toEqual({
      value: 'https://graph/delta?$deltatoken=1',
      scanId: 4,
    });
    const full = new ConnectorStateTracker(SOURCE, stored, true);
    expect(full.get('deltaLink')).toBeUndefined();
    expect(full.fullResync).toBe(true);
  });

  it('commits what a collector set only if that collector completed', async () => {
    const state = new ConnectorStateTracker(SOURCE, stored);
    const coverage = new CoverageTracker('microsoft365', 'microsoft365', 't1', () => new Date(), ['a', 'b']);
    coverage.begin('a');
    coverage.begin('b');
    await attributeTo('a', async () => state.set('a.link', 'next-a'));
    await attributeTo('b', async () => state.set('b.link', 'next-b'));
    await attributeTo('b', async () => state.set('deltaLink', null));
    state.set('engine', 'x');
    coverage.fail('b', new Error('GET /x returned 500'));
    expect(state.toCommit(coverage.report())).toEqual([
      { source: SOURCE, key: 'a.link', value: 'next-a' },
      { source: SOURCE, key: 'engine', value: 'x' },
    ]);
  });
});
