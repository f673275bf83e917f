import { afterEach, describe, expect, it, vi } from 'vitest';
import { fitLine, heartbeatProgress, ProgressBoard } from './progress.js';

describe('progress text', () => {
  it('labels counts with their units, grouped by platform', () => {
    const board = new ProgressBoard();
    board.start('github: repositories');
    board.tick('github: repositories', 64);
    board.start('github: deploy keys', 64, 'repos (deploy keys)');
    board.tick('github: deploy keys', 12);
    board.start('google-workspace:C03acme7x', undefined, 'records');
    expect(board.groups()).toEqual([
      'github: 64 repositories, 12/64 repos (deploy keys)',
      'google-workspace:C03acme7x: 0 records',
    ]);
  });

  it('a phase with nothing to count says how long it has run', () => {
    let now = 0;
    const board = new ProgressBoard(undefined, () => now);
    board.start('storing scan #3');
    board.start('microsoft365: service principals');
    now = 31_000;
    expect(board.groups()).toEqual(['storing scan #3: 31s', 'microsoft365: service principals (31s)']);
  });

  it('fits a width with whole parts, never a chopped number', () => {
    const parts = ['github:acme: 12,345 records', 'google-workspace: 12/14 users (tokens)'];
    expect(fitLine(parts, 80)).toBe('github:acme: 12,345 records · google-workspace: 12/14 users (tokens)');
    expect(fitLine(parts, 40)).toBe('github:acme: 12,345 records · +1 more');
    const long = fitLine(['microsoft365:f67a73f9-1da3-4124-974d-72e2bc80841b: 97,009 records'], 40);
    expect(long).toMatch(/^microsoft365.*….*: 97,009 records$/);
    expect(long.length).toBeLessThanOrEqual(40);
  });
});

describe('heartbeat', () => {
  afterEach(() => vi.useRealTimers());

  it('writes a line every interval while work is under way, and stops when it ends', () => {
    vi.useFakeTimers({ now: 0 });
    const lines: string[] = [];
    const p = heartbeatProgress({ intervalSeconds: 10, write: (l) => lines.push(l) });
    p.start('storing scan #3');
    vi.advanceTimersByTime(9_000);
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(lines).toEqual(['progress (10s): storing scan #3: 10s']);
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(2);
    p.done('storing scan #3');
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(2);
  });

  it('busy work that starves the timer still beats on its ticks', () => {
    let now = 0;
    const lines: string[] = [];
    const p = heartbeatProgress({
      intervalSeconds: 10,
      write: (l) => lines.push(l),
      clock: () => new Date(now),
    });
    p.start('scan #3 rules: findings');
    for (let i = 0; i < 25; i++) {
      now += 1_000;
      p.tick('scan #3 rules: findings', 100);
    }
    p.stop();
    expect(lines).toEqual([
      'progress (10s): scan #3 rules: 1,000 findings',
      'progress (20s): scan #3 rules: 2,000 findings',
    ]);
  });

  it('writes JSON lines when the log format is json', () => {
    let now = 0;
    const lines: string[] = [];
    const p = heartbeatProgress({
      intervalSeconds: 1,
      format: 'json',
      write: (l) => lines.push(l),
      clock: () => new Date(now),
    });
    p.start('github:acme', undefined, 'records');
    now = 1_000;
    p.tick('github:acme', 5);
    p.stop();
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'info',
      msg: 'progress',
      tasks: ['github:acme: 5 records'],
    });
  });
});
