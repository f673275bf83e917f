import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import { type EmulatedGithub, emulatedGithub } from '../../test/support/emulated-github.js';

const WORLD = new URL('../../fixtures/worlds/test/github-generated.yaml', import.meta.url).pathname;

const perCollector = (c: CoverageReport) =>
  Object.fromEntries(c.collectors.map((x) => [x.collector, { requests: x.requests, items: x.items }]));

/**
 * Collectors fetching at once (`collectorConcurrency` > 1) share one client; each request is still
 * counted for the collector that made it, as when they take turns.
 */
describe('GitHub collectors fetching at once', () => {
  let gh: EmulatedGithub;
  beforeAll(async () => {
    gh = await emulatedGithub(WORLD);
  });
  afterAll(() => gh.stop());

  it('count each request for its own collector, as when they run one after another', async () => {
    const inTurn = await gh.scan({ config: { collectorConcurrency: 1 } });
    const atOnce = await gh.scan({ config: { collectorConcurrency: 4 }, context: { concurrency: 8 } });
    expect(inTurn.coverage.status).toBe('complete');
    expect(atOnce.coverage.status).toBe('complete');
    expect(atOnce.coverage.requests).toBe(inTurn.coverage.requests);
    expect(perCollector(atOnce.coverage)).toEqual(perCollector(inTurn.coverage));
    // Something was fetched by each, so equal counts are not zeros.
    expect(inTurn.coverage.collectors.find((c) => c.collector === 'deploy-keys')?.requests).toBeGreaterThan(
      1,
    );
  });
});
