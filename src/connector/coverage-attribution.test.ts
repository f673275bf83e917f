import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { activeCollector, attributeTo, beginAttribution } from './coverage.js';

describe('request attribution across scans', () => {
  it('keeps a running scan attributing when another scan of the process ends', async () => {
    const endA = beginAttribution();
    const endB = beginAttribution();
    const seen: (string | undefined)[] = [];
    const b = attributeTo('b-collector', async () => {
      await nextMacrotask();
      seen.push(activeCollector());
      // Scan A ends while B's collector waits on its next answer.
      endA();
      await nextMacrotask();
      await Promise.resolve();
      seen.push(activeCollector());
    });
    await b;
    endB();
    expect(seen).toEqual(['b-collector', 'b-collector']);
  });

  it('attributes again once a scan starts after the last one ended', async () => {
    beginAttribution()();
    expect(activeCollector()).toBeUndefined();
    const end = beginAttribution();
    const got = await attributeTo('later', async () => {
      await nextMacrotask();
      return activeCollector();
    });
    end();
    expect(got).toBe('later');
  });

  it('counts an end said twice once', async () => {
    const endA = beginAttribution();
    const endB = beginAttribution();
    const got = await attributeTo('still-b', async () => {
      await nextMacrotask();
      endA();
      endA();
      await nextMacrotask();
      return activeCollector();
    });
    endB();
    expect(got).toBe('still-b');
  });
});
