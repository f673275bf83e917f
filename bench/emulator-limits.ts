/**
 * The bench's view of the emulator's quota limits (src/emulator/limits.ts: `EmulatorLimits`,
 * `REALISTIC_LIMITS`, `limitLowerBoundSeconds`, `grantscope emulator --limits <preset|file>`, per-platform
 * `limits` in `/_emulator/stats`). Loaded from the emulator's build at run time so that the bench still
 * runs (and says the limit rows could not be measured) on a build without them.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EmulatorStatsBody } from './processes.js';
import { repoRoot } from './processes.js';
import type { BenchPlatform } from './worlds.js';

/** The contract's shapes (kept structural: the bench does not import the emulator's sources). */
export interface LatencyAndPool {
  latencyMs: number;
  maxConcurrent: number;
}
export interface LimitsSpec {
  timeScale: number;
  github?: LatencyAndPool & {
    restPerHour: number;
    graphqlPointsPerHour: number;
    secondaryRestPointsPerMinute: number;
    secondaryGraphqlPointsPerMinute: number;
    secondaryMaxConcurrent?: number;
    installationScaling?: boolean;
  };
  microsoft365?: LatencyAndPool & { resourceUnitsPer10s: number };
  googleWorkspace?: LatencyAndPool & { directoryQueriesPerMinute: number };
}
export interface LimitDemand {
  requests: number;
  cost: number;
  graphqlCost?: number;
  graphqlRequests?: number;
  busiestEndpointPoints?: number;
}
export interface LimitsModule {
  REALISTIC_LIMITS: LimitsSpec;
  limitLowerBoundSeconds(limits: LimitsSpec, platform: BenchPlatform, demand: LimitDemand): number;
  /** An app installation's hourly budget for an org of this size (absent on older builds). */
  installationHourlyLimit?(floor: number, repositories: number, users: number): number;
}

/** The emulator's limits module, or null when this build has none. */
export async function loadLimits(): Promise<LimitsModule | null> {
  const file = join(repoRoot(), 'src', 'emulator', 'dist', 'limits.js');
  if (!existsSync(file)) return null;
  const mod = (await import(pathToFileURL(file).href)) as Partial<LimitsModule>;
  return mod.REALISTIC_LIMITS && mod.limitLowerBoundSeconds ? (mod as LimitsModule) : null;
}

/**
 * Limits that never hold a request back (no latency, quotas no scan reaches), so that the emulator
 * meters each platform's quota cost (`/_emulator/stats` → `limits`) without changing the scan's time.
 */
export const METERING_LIMITS: LimitsSpec = {
  timeScale: 1,
  github: {
    latencyMs: 0,
    maxConcurrent: 1000,
    restPerHour: 1e9,
    graphqlPointsPerHour: 1e9,
    secondaryRestPointsPerMinute: 1e9,
    secondaryGraphqlPointsPerMinute: 1e9,
    secondaryMaxConcurrent: 1000,
  },
  microsoft365: { latencyMs: 0, maxConcurrent: 1000, resourceUnitsPer10s: 1e9 },
  googleWorkspace: { latencyMs: 0, maxConcurrent: 1000, directoryQueriesPerMinute: 1e9 },
};

export function writeLimitsFile(dir: string, name: string, limits: LimitsSpec): string {
  const file = join(dir, `${name}.limits.json`);
  writeFileSync(file, JSON.stringify(limits, null, 1));
  return file;
}

export interface PlatformCost {
  requests: number;
  /** Primary quota units: GitHub core requests + GraphQL points; Graph resource units; Google Directory queries. */
  cost: number;
  refused: number;
  demand: LimitDemand;
}

/** The quota cost the emulator metered for `platform`, or null when it metered none. */
export function platformCost(stats: EmulatorStatsBody, platform: BenchPlatform): PlatformCost | null {
  const limits = stats.limits as
    | Partial<Record<string, { requests: number; cost: number; graphqlCost?: number; refused: number }>>
    | undefined;
  const s = limits?.[platform];
  if (!s) return null;
  const graphql = stats.routes.filter((r) => r.pattern.endsWith('/graphql'));
  const busiest = Math.max(
    0,
    ...stats.routes.filter((r) => r.service === 'github' && r.method === 'GET').map((r) => r.count),
  );
  return {
    requests: s.requests,
    cost: s.cost + (s.graphqlCost ?? 0),
    refused: s.refused,
    demand: {
      requests: s.requests,
      cost: s.cost,
      ...(platform === 'github'
        ? {
            graphqlCost: s.graphqlCost ?? 0,
            graphqlRequests: graphql.reduce((n, r) => n + r.count, 0),
            busiestEndpointPoints: busiest,
          }
        : {}),
    },
  };
}

/** How busy the emulator's connection pool for `platform` was (`/_emulator/stats` → `concurrency`). */
export interface PoolBusy {
  max: number;
  spanMs: number;
  meanActive: number;
  fullShare: number;
  peakWaiting: number;
  timeline: number[];
}

/** The pool occupancy the emulator recorded for `platform`, or null on a build that records none. */
export function poolBusy(stats: EmulatorStatsBody, platform: BenchPlatform): PoolBusy | null {
  const pools = stats.concurrency as Partial<Record<string, PoolBusy>> | undefined;
  return pools?.[platform] ?? null;
}
