import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type EmulatorLimits,
  limitLowerBoundSeconds,
  limitsPreset,
  REALISTIC_LIMITS,
  resolveLimits,
} from './limits.js';
import { WorldError } from './world-error.js';

const at = (timeScale: number): EmulatorLimits => ({ ...REALISTIC_LIMITS, timeScale });

describe('limitLowerBoundSeconds', () => {
  it('is the round trips through the pool when no quota binds', () => {
    // 1,000 requests × 100 ms / 8 at once = 12.5 s; 1,000 core requests fit one hour's 5,000.
    expect(limitLowerBoundSeconds(at(1), 'github', { requests: 1000, cost: 1000 })).toBeCloseTo(12.5);
  });

  it('waits out every full GitHub hour but the last, in scaled time', () => {
    // 12,000 core requests at 5,000/h: two hours waited; at timeScale 60 an hour is 60 s.
    const demand = { requests: 12_000, cost: 12_000 };
    expect(limitLowerBoundSeconds(at(1), 'github', demand)).toBe(7200);
    expect(limitLowerBoundSeconds(at(60), 'github', demand)).toBe(150); // pool: 12,000 × 0.1 / 8
    const noLatency: EmulatorLimits = { ...at(60), github: { ...REALISTIC_LIMITS.github!, latencyMs: 0 } };
    expect(limitLowerBoundSeconds(noLatency, 'github', demand)).toBe(120);
  });

  it('counts GitHub GraphQL points and the busiest endpoint against their own windows', () => {
    const limits: EmulatorLimits = { ...at(10), github: { ...REALISTIC_LIMITS.github!, latencyMs: 0 } };
    // 11,000 GraphQL points at 5,000/h (6 min scaled): 2 windows waited = 720 s.
    expect(limitLowerBoundSeconds(limits, 'github', { requests: 0, cost: 0, graphqlCost: 11_000 })).toBe(720);
    // 2,000 GETs of one endpoint at 900 points/min (6 s scaled): 2 windows waited = 12 s.
    expect(
      limitLowerBoundSeconds(limits, 'github', { requests: 0, cost: 0, busiestEndpointPoints: 2000 }),
    ).toBe(12);
  });

  it("spends Graph's bucket at its refill rate once the first 10 s worth is gone", () => {
    const limits: EmulatorLimits = {
      timeScale: 5,
      microsoft365: { latencyMs: 0, maxConcurrent: 8, resourceUnitsPer10s: 8000 },
    };
    expect(limitLowerBoundSeconds(limits, 'microsoft365', { requests: 10, cost: 8000 })).toBe(0);
    // 24,000 RU: 16,000 beyond the full bucket at 8,000 per 2 s (10 s / 5) = 4 s.
    expect(limitLowerBoundSeconds(limits, 'microsoft365', { requests: 10, cost: 24_000 })).toBe(4);
  });

  it('spends Google Directory queries per scaled minute', () => {
    const limits: EmulatorLimits = {
      timeScale: 6,
      googleWorkspace: { latencyMs: 100, maxConcurrent: 8, directoryQueriesPerMinute: 2400 },
    };
    // 5,000 queries: 3 minutes, 2 waited, each 10 s scaled; the pool alone needs 62.5 s.
    expect(limitLowerBoundSeconds(limits, 'google-workspace', { requests: 5000, cost: 5000 })).toBe(62.5);
    const fast = { ...limits, googleWorkspace: { ...limits.googleWorkspace!, latencyMs: 10 } };
    expect(limitLowerBoundSeconds(fast, 'google-workspace', { requests: 5000, cost: 5000 })).toBe(20);
  });

  it('is 0 for a platform that is not limited', () => {
    expect(limitLowerBoundSeconds({ timeScale: 1 }, 'github', { requests: 1e6, cost: 1e6 })).toBe(0);
  });
});

describe('limit presets and files', () => {
  it('names the realistic preset and its time-scaled variants', () => {
    expect(limitsPreset('realistic')).toBe(REALISTIC_LIMITS);
    expect(limitsPreset('realistic-x60')).toEqual({ ...REALISTIC_LIMITS, timeScale: 60 });
    expect(limitsPreset('fast')).toBeNull();
  });

  it('reads a limits file and names the line of a bad value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'limits-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      'timeScale: 30\ngoogleWorkspace:\n  latencyMs: 50\n  maxConcurrent: 4\n  directoryQueriesPerMinute: 100\n',
    );
    expect(resolveLimits(good)).toEqual({
      timeScale: 30,
      googleWorkspace: { latencyMs: 50, maxConcurrent: 4, directoryQueriesPerMinute: 100 },
    });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'timeScale: 1\nmicrosoft365:\n  latencyMs: 0\n  maxConcurrent: 0\n  resourceUnitsPer10s: 1\n',
    );
    expect(() => resolveLimits(bad)).toThrow(WorldError);
    try {
      resolveLimits(bad);
    } catch (err) {
      expect((err as WorldError).issues[0]).toMatchObject({ path: 'microsoft365.maxConcurrent', line: 4 });
    }
  });
});
