import { describe, expect, it } from 'vitest';
import { RateBudget } from './rate-budget.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');

/** A budget that has seen one response: `remaining` of 5,000 left, the window resetting in `resetInS`. */
function budget(remaining: number, resetInS: number, options: { maxWaitS: number; windowS?: number }) {
  const b = new RateBudget({
    reserve: 100,
    maxWaitMs: options.maxWaitS * 1000,
    windowMs: (options.windowS ?? 3600) * 1000,
    now: () => new Date(NOW),
    sleep: async () => {},
  });
  b.observe({
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': String(NOW / 1000 + resetInS),
    'x-ratelimit-resource': 'core',
  });
  return b;
}

describe('RateBudget.affords: work larger than what is left above the reserve', () => {
  it('fits above the reserve: affordable whatever the wait', () => {
    expect(budget(1000, 3000, { maxWaitS: 0 }).affords('core', 900)).toBe(true);
    expect(budget(1000, 3000, { maxWaitS: 0 }).affords('core', 901)).toBe(false);
  });

  it('affordable when the reset comes within maxWaitSeconds: the scan waits for it instead of giving up', () => {
    expect(budget(1000, 600, { maxWaitS: 602 }).affords('core', 5000)).toBe(true);
    // The wait is to the reset plus a second (take's margin for clocks).
    expect(budget(1000, 600, { maxWaitS: 600 }).affords('core', 5000)).toBe(false);
  });

  it('work needing more than one more window waits whole windows too: only when a window fits the wait', () => {
    // 900 now, then 4,900 per window: 5,800 fits one reset; 5,801 needs a second.
    expect(budget(1000, 60, { maxWaitS: 120 }).affords('core', 5800)).toBe(true);
    expect(budget(1000, 60, { maxWaitS: 120 }).affords('core', 5801)).toBe(false);
    // A window of 900 s (an emulator at time scale 4) within a wait of an hour.
    expect(budget(1000, 60, { maxWaitS: 3600, windowS: 900 }).affords('core', 20_000)).toBe(true);
  });

  it('says what to do when it does not: resume after the reset, wait for it, or lower the reserve', () => {
    const b = budget(1000, 3000, { maxWaitS: 120 });
    const err = b.exhausted('core', { method: 'GET', path: '/repos/{owner}/{repo}/hooks' }, undefined, 5000);
    expect(err.message).toMatch(/1000 of 5000 requests left, about 5000 needed, reserve 100/);
    expect(err.message).toMatch(/scan --resume.*maxWaitSeconds.*reserve/);
  });
});
