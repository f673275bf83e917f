import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { systemClock } from './context.js';

describe('systemClock.sleep', () => {
  it('keeps one abort listener on a signal, however many sleeps were or are on it', async () => {
    const scan = new AbortController();
    // Connectors sleep many times on the scan's one signal (pacing, back-offs), often at once.
    for (let i = 0; i < 25; i++) await systemClock.sleep(1, scan.signal);
    const sleeping = Array.from({ length: 50 }, () => systemClock.sleep(5, scan.signal));
    expect(getEventListeners(scan.signal, 'abort').length).toBeLessThanOrEqual(1);
    await Promise.all(sleeping);
    expect(getEventListeners(scan.signal, 'abort').length).toBeLessThanOrEqual(1);
  });

  it('ends every sleep early with the reason the signal was aborted with', async () => {
    const scan = new AbortController();
    const started = performance.now();
    const sleeping = Array.from({ length: 12 }, () => systemClock.sleep(60_000, scan.signal));
    scan.abort(new Error('interrupted'));
    for (const s of sleeping) await expect(s).rejects.toThrow('interrupted');
    expect(performance.now() - started).toBeLessThan(10_000);
    await expect(systemClock.sleep(1, scan.signal)).rejects.toThrow('interrupted');
  });
});
