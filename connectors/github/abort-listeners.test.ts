import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatedGithub, emulatedGithub } from '../../test/support/emulated-github.js';

const WORLD = new URL('../../fixtures/worlds/test/github-generated.yaml', import.meta.url).pathname;

/**
 * Every request needs the scan's signal to reach it; a listener per request on that one signal would
 * number the requests in flight and queued (Node warns "MaxListenersExceededWarning" past 10).
 */
describe("GitHub requests and the scan's abort signal", () => {
  let gh: EmulatedGithub;
  beforeAll(async () => {
    gh = await emulatedGithub(WORLD);
  });
  afterAll(() => gh.stop());

  it('keeps a constant number of listeners on it, however many requests are under way', async () => {
    const scan = new AbortController();
    const signal = scan.signal;
    let listening = 0;
    let most = 0;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<AbortSignal['addEventListener']>) => {
      listening += 1;
      most = Math.max(most, listening);
      add(...args);
    }) as AbortSignal['addEventListener'];
    signal.removeEventListener = ((...args: Parameters<AbortSignal['removeEventListener']>) => {
      listening -= 1;
      remove(...args);
    }) as AbortSignal['removeEventListener'];
    const { coverage } = await gh.scan({
      signal,
      config: { collectorConcurrency: 4 },
      context: { concurrency: 24 },
    });
    expect(coverage.status).toBe('complete');
    expect(coverage.requests).toBeGreaterThan(100);
    // One for the client's requests (and one for the token's), not one per request.
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(3);
  });
});
