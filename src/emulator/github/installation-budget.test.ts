import { describe, expect, it } from 'vitest';
import { type EmulatorLimits, installationHourlyLimit, REALISTIC_LIMITS } from '../limits.js';
import { loadWorld } from '../world.js';
import { githubEmulator } from './index.js';
import type { GithubState } from './state.js';

const WORLD = new URL('../../../fixtures/worlds/test/github-generated.yaml', import.meta.url).pathname;

/** The GitHub state the emulator serves for the generated org resized to `repos` and `users`. */
function loaded(limits: EmulatorLimits, repos: number, users: number): GithubState {
  const world = loadWorld(WORLD);
  const section = structuredClone(world.platforms.github) as { generate: Record<string, number> };
  Object.assign(section.generate, { repos, users });
  const ctx = { now: new Date('2026-11-01T00:00:00Z'), origin: () => 'https://127.0.0.1', limits };
  return githubEmulator.load(section, ctx as never, WORLD);
}

describe("an app installation's primary budget under realistic limits", () => {
  it('is 5,000 per hour, plus 50 per repository and per user beyond 20, at most 12,500 (rate-limits docs)', () => {
    expect(installationHourlyLimit(5000, 20, 20)).toBe(5000);
    expect(installationHourlyLimit(5000, 21, 0)).toBe(5050);
    expect(installationHourlyLimit(5000, 60, 30)).toBe(5000 + 50 * 40 + 50 * 10);
    expect(installationHourlyLimit(5000, 5000, 20_000)).toBe(12_500);
    // A floor set above the cap (a limits file) is kept as given.
    expect(installationHourlyLimit(20_000, 5000, 0)).toBe(20_000);
  });

  it("is sized by the world's repositories and members, REST and GraphQL alike", () => {
    const small = loaded(REALISTIC_LIMITS, 10, 10);
    expect(small.rate.core.limit).toBe(5000);
    const org = loaded(REALISTIC_LIMITS, 60, 30);
    const expected = installationHourlyLimit(5000, org.repos.length, org.members.length);
    expect(org.repos.length).toBe(60);
    expect(expected).toBeGreaterThan(5000);
    expect(org.rate.core.limit).toBe(expected);
    expect(org.rate.graphql.limit).toBe(expected);
    expect(loaded(REALISTIC_LIMITS, 5000, 2000).rate.core.limit).toBe(12_500);
  });

  it('is exactly the given numbers with installationScaling off', () => {
    const off = { ...REALISTIC_LIMITS, github: { ...REALISTIC_LIMITS.github!, installationScaling: false } };
    const org = loaded(off, 5000, 2000);
    expect(org.rate.core.limit).toBe(5000);
    expect(org.rate.graphql.limit).toBe(5000);
  });
});
