import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import github from '../connectors/github/index.js';
import googleWorkspace from '../connectors/google-workspace/index.js';
import microsoft365 from '../connectors/microsoft365/index.js';
import type { AnyConnector } from '../src/connector/connector.js';
import type { EmulatorLimits } from '../src/emulator/limits.js';
import { startEmulator } from '../src/emulator/server.js';
import { loadWorld, type World } from '../src/emulator/world.js';
import { collectScan, createTestContext } from './support/connector-context.js';

/**
 * Scans under quota limits far tighter than the world needs, windows shortened by a time scale: the
 * scanner paces itself to each platform's quota, so it completes without being refused. These count
 * refusals and requests, not time. Without the pacing, each of them runs into the limit.
 */
async function scanUnder(connector: AnyConnector, world: string | World, limits: EmulatorLimits) {
  const emu = await startEmulator({ world, limits });
  try {
    const setup = emu.clientSetup();
    // The engine's requests in flight, as the written grantscope.yaml would set them.
    const concurrency = setup.config.concurrency as number | undefined;
    // Real waits: the emulator's windows pass on the real clock.
    const ctx = await createTestContext({
      connector,
      tenant: connector.id,
      caCert: emu.caCert,
      sleepScale: 1,
      ...(concurrency ? { concurrency } : {}),
    });
    for (const [name, content] of Object.entries(setup.files))
      await writeFile(`${ctx.configDir}/${name}`, content);
    const { coverage } = await collectScan(
      connector,
      connector.configSchema.parse(setup.config[connector.id]),
      ctx,
    );
    const refusals = emu
      .stats()
      .routes.reduce((n, r) => n + (r.statuses[429] ?? 0) + (r.statuses[403] ?? 0), 0);
    return { coverage, stats: emu.stats(), refusals };
  } finally {
    await emu.stop();
  }
}

const fixture = (name: string) => new URL(`../fixtures/worlds/test/${name}`, import.meta.url).pathname;

describe('scans paced to quota limits', () => {
  it('GitHub: 12 repositories and 8 apps read at 5 points per endpoint per (scaled) minute, never refused', async () => {
    const world = structuredClone(loadWorld(fixture('github-generated.yaml')));
    const section = world.platforms.github as { generate: Record<string, unknown> };
    section.generate = { ...section.generate, repos: 12, installations: 8 };
    const { coverage, stats, refusals } = await scanUnder(github, world, {
      // A minute lasts 2 s: 12 webhook lists at 5 points a minute need 3 of them, 8 app lookups 2 (a
      // token request costs 5 points).
      timeScale: 30,
      github: {
        latencyMs: 0,
        maxConcurrent: 8,
        restPerHour: 5000,
        graphqlPointsPerHour: 5000,
        secondaryRestPointsPerMinute: 5,
        secondaryGraphqlPointsPerMinute: 5,
      },
    });
    expect(
      coverage.collectors.filter((c) => c.status === 'failed').map((c) => [c.collector, c.reason]),
    ).toEqual([]);
    expect(coverage.status).toBe('complete');
    expect(stats.routes.filter((r) => r.statuses[403]).map((r) => [r.pattern, r.statuses])).toEqual([]);
    expect(refusals).toBe(0);
    expect(stats.limits?.github).toMatchObject({ refused: 0 });
    const hooks = stats.routes.find((r) => r.pattern === '/api/v3/repos/{owner}/{repo}/hooks')!;
    expect(hooks.count).toBe(12);
    expect(hooks.statuses[403]).toBeUndefined();
  });

  it('GitHub: the per-repository reads keep the connection pool full, with requests waiting for a place', async () => {
    const world = structuredClone(loadWorld(fixture('github-generated.yaml')));
    const section = world.platforms.github as { generate: Record<string, unknown> };
    section.generate = { ...section.generate, repos: 60 };
    const { coverage, stats } = await scanUnder(github, world, {
      timeScale: 1,
      github: {
        latencyMs: 20,
        maxConcurrent: 4,
        restPerHour: 5000,
        graphqlPointsPerHour: 5000,
        secondaryRestPointsPerMinute: 900,
        secondaryGraphqlPointsPerMinute: 2000,
      },
    });
    expect(coverage.status).toBe('complete');
    const pool = stats.concurrency?.github;
    expect(pool?.max).toBe(4);
    // The scanner sent more than the pool serves (twice its size in flight, the client setup says),
    // so places freed were taken at once: the pool was full, with requests queued behind it.
    expect(pool?.peakWaiting).toBeGreaterThan(0);
    expect(pool?.msAtActive[4]).toBeGreaterThan(0);
  });

  it('Microsoft Graph: a bucket of 30 RU per (scaled) 10 s, paced (at most one refusal from scheduling jitter)', async () => {
    // A 10 s window lasts 0.5 s: wide enough that a loaded machine's scheduling jitter does not bunch
    // requests paced apart into one window.
    const { coverage, stats, refusals } = await scanUnder(microsoft365, fixture('m365-demo.yaml'), {
      timeScale: 20,
      microsoft365: { latencyMs: 0, maxConcurrent: 8, resourceUnitsPer10s: 30 },
    });
    expect(coverage.status).toBe('complete');
    // The scanner paces to what the bucket's headers said a moment ago: on a loaded machine a request can
    // reach the emulator before the refill the scanner counted on, once. Unpaced, the 8-wide scan empties
    // the 30 RU bucket at once and is refused until each refill.
    expect(refusals).toBeLessThanOrEqual(1);
    // More RU than one bucket holds: the scan had to wait for refills.
    expect(stats.limits?.microsoft365?.cost).toBeGreaterThan(30);
    expect(stats.limits?.microsoft365?.refused).toBeLessThanOrEqual(1);
  });

  it('Google: Directory queries at 10 per (scaled) minute, paced (at most one refusal from scheduling jitter)', async () => {
    // A minute lasts 2 s, 200 ms between queries: more than a loaded machine's scheduling jitter.
    const { coverage, stats, refusals } = await scanUnder(googleWorkspace, fixture('google-workspace.yaml'), {
      timeScale: 30,
      googleWorkspace: { latencyMs: 0, maxConcurrent: 8, directoryQueriesPerMinute: 10 },
    });
    expect(coverage.status).toBe('complete');
    // Queries are paced exactly to the quota (200 ms apart), and the emulator's window opens when the
    // first query arrives: on a loaded machine a late window-opener can make the query one minute after it
    // early, once. Unpaced, the 8-wide fan-out is refused on every query past the tenth of each minute.
    expect(refusals).toBeLessThanOrEqual(1);
    expect(stats.limits?.['google-workspace']?.cost).toBeGreaterThan(10);
    expect(stats.limits?.['google-workspace']?.refused).toBeLessThanOrEqual(1);
  });
});
