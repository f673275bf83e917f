import { z } from 'zod';
import { readWorldFile, validateWorldFile } from './world-file.js';

/**
 * The quota limits the emulator can enforce, per platform, and the lower bound on a scan's wall time
 * they impose. Limits are off unless configured (`startEmulator({ limits })`, a world file's `limits:`
 * section, `grantscope emulator --limits <preset|file>`): tests and the demo run unlimited.
 *
 * Time scale: `timeScale > 1` makes every quota window pass faster (an hour lasts 3600/timeScale
 * seconds) while the quota per window is unchanged, so a bench can run a scan "at the quota" in
 * minutes. Headers that carry time (GitHub's `x-ratelimit-reset`, `Retry-After`) are reported in that
 * scaled time, so a client honouring them waits the scaled time. Latency is not scaled: it is the
 * cost of one round trip, not a quota.
 *
 * The enforcement is in ./limits-gate.ts; this file is the contract shared with the bench.
 */

export type LimitedPlatform = 'github' | 'microsoft365' | 'google-workspace';

export interface GithubLimits {
  /** Added to every response (ms). A modelling choice, not a vendor number. */
  latencyMs: number;
  /** Requests served at once; more wait, as behind a server's connection pool. */
  maxConcurrent: number;
  /** Primary budget of the `core` resource per hour (x-ratelimit-resource: core). */
  restPerHour: number;
  /** Primary budget of the `graphql` resource, in GraphQL points per hour. */
  graphqlPointsPerHour: number;
  /** Secondary limit: REST points per minute, per endpoint. */
  secondaryRestPointsPerMinute: number;
  /** Secondary limit: GraphQL points per minute. */
  secondaryGraphqlPointsPerMinute: number;
  /** Secondary limit: requests open at once (queued ones included); more are refused. Default 100. */
  secondaryMaxConcurrent?: number;
  /**
   * The primary budgets (`restPerHour`, `graphqlPointsPerHour`) are the floor of an app installation's,
   * raised by the world's repositories and members as GitHub documents (`installationHourlyLimit`).
   * Off: exactly the numbers given. Never applied to a world whose scanner uses a classic token (a
   * user's budget does not scale).
   */
  installationScaling?: boolean;
}

export interface Microsoft365Limits {
  latencyMs: number;
  maxConcurrent: number;
  /** Identity-and-access token bucket per app+tenant, resource units per 10 s. */
  resourceUnitsPer10s: number;
}

export interface GoogleWorkspaceLimits {
  latencyMs: number;
  maxConcurrent: number;
  /** Directory API queries per minute per user per project (with DWD: the impersonated admin). */
  directoryQueriesPerMinute: number;
}

export interface EmulatorLimits {
  /** >1 makes time windows pass faster: quotas per window are unchanged but windows last window/timeScale. */
  timeScale: number;
  github?: GithubLimits;
  microsoft365?: Microsoft365Limits;
  googleWorkspace?: GoogleWorkspaceLimits;
}

/** Quota windows, in unscaled milliseconds. */
export const WINDOW_MS = {
  /** "The primary rate limit ... per hour" (GitHub docs, rate-limits-for-the-rest-api.md). */
  githubPrimary: 3_600_000,
  /** "points per minute" (same page, "About secondary rate limits"). */
  githubSecondary: 60_000,
  /** "ResourceUnits per 10 seconds" (Graph concepts/throttling-limits.md, identity and access). */
  graphBucket: 10_000,
  /** "queries per minute per user per project" (Admin SDK Directory API limits). */
  googleDirectory: 60_000,
} as const;

/**
 * An app installation's primary budget per hour, REST and GraphQL alike: "GitHub App installations
 * ... not on a GitHub Enterprise Cloud organization have a rate limit of 5,000 requests per hour. ...
 * Installations that have more than 20 repositories receive another 50 requests per hour for each
 * repository. Installations that are on an organization that have more than 20 users receive another 50
 * requests per hour for each user. This limit cannot increase beyond 12,500 requests per hour" (docs
 * rest/using-the-rest-api/rate-limits-for-the-rest-api, "Primary rate limit for GitHub App installations";
 * the GraphQL page says the same in points: graphql/overview/rate-limits-and-query-limits-for-the-graphql-api).
 * Enterprise Cloud installations (15,000 REST, 10,000 GraphQL) are not modelled. A floor given above
 * the cap is kept.
 */
export function installationHourlyLimit(floor: number, repositories: number, users: number): number {
  const raised = floor + 50 * Math.max(0, repositories - 20) + 50 * Math.max(0, users - 20);
  return Math.max(floor, Math.min(12_500, raised));
}

/**
 * Values each platform documents:
 * - GitHub (docs content/rest/using-the-rest-api/rate-limits-for-the-rest-api.md; reference
 *   api-surface.md §1.10): installation tokens get at least 5,000 requests per hour (15,000 on
 *   Enterprise Cloud; we take the floor); the GraphQL API's primary limit is 5,000 points per hour
 *   (docs graphql/overview/rate-limits-and-node-limits-for-the-graphql-api, "Primary rate limit");
 *   secondary limits: "No more than 100 concurrent requests", "No more than 900 points per minute ...
 *   for REST API endpoints" and "2,000 points per minute for the GraphQL API endpoint". The 5,000 are
 *   the floor: an installation's budget grows with the org (`installationHourlyLimit`).
 * - Microsoft Graph (concepts/throttling-limits.md, "Identity and access service limits"; §2.10): token
 *   bucket of 3,500 / 5,000 / 8,000 RU per 10 s per app+tenant for S (<50 users) / M (50-500) /
 *   L (>500) tenants. The preset is L: the worlds it is used with are large.
 * - Google (developers.google.com/admin-sdk/directory/v1/limits; §3.10): 2,400 queries per minute per
 *   user per Google Cloud project.
 * Latency and the connection pool are not vendor numbers: 100 ms per round trip and 8 at once, what the
 * issue's measurements used (the scanner's own concurrency per platform is 8).
 */
export const REALISTIC_LIMITS: EmulatorLimits = {
  timeScale: 1,
  github: {
    latencyMs: 100,
    maxConcurrent: 8,
    restPerHour: 5_000,
    graphqlPointsPerHour: 5_000,
    secondaryRestPointsPerMinute: 900,
    secondaryGraphqlPointsPerMinute: 2_000,
    secondaryMaxConcurrent: 100,
    installationScaling: true,
  },
  microsoft365: { latencyMs: 100, maxConcurrent: 8, resourceUnitsPer10s: 8_000 },
  googleWorkspace: { latencyMs: 100, maxConcurrent: 8, directoryQueriesPerMinute: 2_400 },
};

/** Named presets for `--limits <preset>`: `realistic`, and `realistic-xN` for a time scale of N. */
export function limitsPreset(name: string): EmulatorLimits | null {
  if (name === 'realistic') return REALISTIC_LIMITS;
  const m = /^realistic-x(\d+(?:\.\d+)?)$/.exec(name);
  if (m) return { ...REALISTIC_LIMITS, timeScale: Number(m[1]) };
  return null;
}

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const latencyAndPool = { latencyMs: nonNegative, maxConcurrent: z.number().int().positive() };

/** The `limits:` section of a world file, or a `--limits` file. */
export const limitsSchema = z
  .object({
    timeScale: positive.default(1),
    github: z
      .object({
        ...latencyAndPool,
        restPerHour: positive,
        graphqlPointsPerHour: positive,
        secondaryRestPointsPerMinute: positive,
        secondaryGraphqlPointsPerMinute: positive,
        secondaryMaxConcurrent: z.number().int().positive().optional(),
        installationScaling: z.boolean().optional(),
      })
      .strict()
      .optional(),
    microsoft365: z
      .object({ ...latencyAndPool, resourceUnitsPer10s: positive })
      .strict()
      .optional(),
    googleWorkspace: z
      .object({ ...latencyAndPool, directoryQueriesPerMinute: positive })
      .strict()
      .optional(),
  })
  .strict();

/**
 * `--limits <preset|file>`: a preset name (`realistic`, `realistic-x60`) or a YAML/JSON file holding
 * the same object as a world's `limits:` section. Errors name the file and line (WorldError).
 */
export function resolveLimits(spec: string): EmulatorLimits {
  return limitsPreset(spec) ?? validateWorldFile(readWorldFile(spec), limitsSchema);
}

/** Milliseconds a window of `ms` unscaled milliseconds lasts under `limits.timeScale`. */
export function scaledWindowMs(limits: Pick<EmulatorLimits, 'timeScale'>, ms: number): number {
  return ms / limits.timeScale;
}

/**
 * What a scan asks of one platform, in its own units:
 * - `requests`: every HTTP request (a Graph `$batch` is one);
 * - `cost`: the platform's primary quota units: GitHub `core` requests; Graph resource units (a
 *   `$batch`'s inner requests each costed); Google Directory queries.
 * GitHub also has a second primary budget and secondary limits, given apart.
 */
export interface LimitDemand {
  requests: number;
  cost: number;
  /** GitHub: GraphQL points (primary, hourly). */
  graphqlCost?: number;
  /** GitHub: GraphQL requests (secondary: 1 point per query). */
  graphqlRequests?: number;
  /** GitHub: secondary REST points of the busiest endpoint (1 per GET). */
  busiestEndpointPoints?: number;
}

/**
 * Seconds to spend `demand` units of a fixed-window quota of `perWindow` units per window of
 * `windowMs` scaled ms, the first window starting with the first request: every full window but the
 * last must be waited out.
 */
function fixedWindowSeconds(demand: number, perWindow: number, windowMs: number): number {
  if (demand <= 0) return 0;
  return ((Math.ceil(demand / perWindow) - 1) * windowMs) / 1000;
}

/** Seconds to spend `demand` units of a token bucket of `capacity` refilling `capacity` per window. */
function tokenBucketSeconds(demand: number, capacity: number, windowMs: number): number {
  if (demand <= capacity) return 0;
  return ((demand - capacity) / capacity) * (windowMs / 1000);
}

/**
 * The lower bound on a scan's wall time that `limits` impose on `platform` for `demand`: the largest of
 * the round trips through the connection pool (latency × requests / maxConcurrent) and each quota's
 * time to spend the demand. Nothing the client does can finish sooner; 0 when the platform is not
 * limited.
 */
export function limitLowerBoundSeconds(
  limits: EmulatorLimits,
  platform: LimitedPlatform,
  demand: LimitDemand,
): number {
  const roundTrips = (l: { latencyMs: number; maxConcurrent: number }) =>
    (l.latencyMs * demand.requests) / l.maxConcurrent / 1000;
  const scaled = (ms: number) => scaledWindowMs(limits, ms);
  if (platform === 'github' && limits.github) {
    const g = limits.github;
    return Math.max(
      roundTrips(g),
      fixedWindowSeconds(demand.cost, g.restPerHour, scaled(WINDOW_MS.githubPrimary)),
      fixedWindowSeconds(demand.graphqlCost ?? 0, g.graphqlPointsPerHour, scaled(WINDOW_MS.githubPrimary)),
      fixedWindowSeconds(
        demand.graphqlRequests ?? 0,
        g.secondaryGraphqlPointsPerMinute,
        scaled(WINDOW_MS.githubSecondary),
      ),
      fixedWindowSeconds(
        demand.busiestEndpointPoints ?? 0,
        g.secondaryRestPointsPerMinute,
        scaled(WINDOW_MS.githubSecondary),
      ),
    );
  }
  if (platform === 'microsoft365' && limits.microsoft365) {
    const m = limits.microsoft365;
    return Math.max(
      roundTrips(m),
      tokenBucketSeconds(demand.cost, m.resourceUnitsPer10s, scaled(WINDOW_MS.graphBucket)),
    );
  }
  if (platform === 'google-workspace' && limits.googleWorkspace) {
    const g = limits.googleWorkspace;
    return Math.max(
      roundTrips(g),
      fixedWindowSeconds(demand.cost, g.directoryQueriesPerMinute, scaled(WINDOW_MS.googleDirectory)),
    );
  }
  return 0;
}

/** The largest `concurrency` a grantscope.yaml may set (src/config/config.ts `EngineSettings`). */
const MAX_CONFIG_CONCURRENCY = 64;

/**
 * The engine's requests in flight per connector that a platform's written config sets under a
 * connection pool of `pool`: twice its size. The bound (`limitLowerBoundSeconds`) has the pool serve
 * `maxConcurrent` at once throughout; a scanner keeping exactly that many open leaves places empty
 * while it reads each answer and sends the next, so it keeps a few waiting, as a client of a real
 * server's pool would. A pool wider than the config's `concurrency` may be (at most 64; the bench's
 * metering limits have 1,000) holds no request back: the scanner keeps its default (nothing is set).
 */
export function scannerConcurrency(pool: number | undefined): Record<string, number> {
  if (pool === undefined || 2 * pool > MAX_CONFIG_CONCURRENCY) return {};
  return { concurrency: 2 * pool };
}
