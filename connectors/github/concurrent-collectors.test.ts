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

describe('GitHub collector order', () => {
  let gh: EmulatedGithub;
  beforeAll(async () => {
    gh = await emulatedGithub(WORLD);
  });
  afterAll(() => gh.stop());

  it('lists repositories right after members, before the org-level lists, when collectors take turns', async () => {
    const { coverage } = await gh.scan({ config: { collectorConcurrency: 1 } });
    const started = [...coverage.collectors]
      .sort((a, b) => Date.parse(a.startedAt ?? '') - Date.parse(b.startedAt ?? ''))
      .map((c) => c.collector);
    // The per-repository fan-outs wait for the repository list: it goes before what does not lead to them.
    expect(started.slice(0, 3)).toEqual(['members', 'repositories', 'app-installations']);
  });
});
