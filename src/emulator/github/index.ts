import {
  type EmulatorLimits,
  installationHourlyLimit,
  scaledWindowMs,
  scannerConcurrency,
  WINDOW_MS,
} from '../limits.js';
import type { EmulatorPlatform } from '../platform.js';
import { AuditLog } from './audit-log.js';
import { classicTokenValue, TokenStore } from './auth.js';
import { graphqlRoute } from './graphql.js';
import { issueRoutes } from './issues.js';
import { restRoutes } from './rest.js';
import { buildState, type GithubState } from './state.js';
import { parseGithubSection } from './world.js';

/** File names `clientSetup` hands the scanner (next to grantscope.yaml). */
export const GITHUB_APP_KEY_FILE = 'github-app.private-key.pem';
export const GITHUB_CLASSIC_TOKEN_FILE = 'github-classic-token.txt';

/**
 * What the scanner must know of the limits to pace itself to them: GitHub reports no remaining count
 * for its secondary limits, so the scanner is told their values, and the time scale of the windows.
 */
function scannerLimits(state: GithubState, limits: EmulatorLimits | undefined): Record<string, unknown> {
  if (!limits?.github) return {};
  const own = (state.scannerConfig as { rateLimit?: Record<string, unknown> } | undefined)?.rateLimit;
  return {
    rateLimit: {
      ...own,
      secondaryRestPointsPerMinute: limits.github.secondaryRestPointsPerMinute,
      secondaryGraphqlPointsPerMinute: limits.github.secondaryGraphqlPointsPerMinute,
      timeScale: limits.timeScale,
    },
    // Under limits, the scan is measured against the bound they impose: collectors overlap.
    collectorConcurrency: 4,
  };
}

/**
 * The engine's requests in flight under limits: twice the pool's size (`scannerConcurrency`, ../limits.ts).
 * GitHub allows "No more than 100 concurrent requests" (rate-limits-for-the-rest-api.md, "About
 * secondary rate limits").
 */
function githubScannerConcurrency(limits: EmulatorLimits | undefined): Record<string, number> {
  return scannerConcurrency(limits?.github?.maxConcurrent);
}

/**
 * The state each emulator served last, so that a world switch can carry the org's audit log over and
 * log what the switch changed (audit-log.ts).
 */
const lastServed = new WeakMap<object, GithubState>();

/**
 * The GitHub part of the emulator: REST under `/api/v3` (a GHES-style base URL) and GraphQL at
 * `/api/graphql`, serving the world's `github:` section to a scanner that authenticates as the
 * world's GitHub App (key from `ctx.keys.rsa('github-app')`).
 */
export const githubEmulator: EmulatorPlatform<GithubState> = {
  key: 'github',
  load(section, ctx, file) {
    const state = buildState(parseGithubSection(section, file), ctx.now);
    const before = lastServed.get(ctx);
    if (before && before.org.login.toLowerCase() === state.org.login.toLowerCase())
      state.auditLog = AuditLog.afterSwitch(before.auditLog, before, () => state);
    lastServed.set(ctx, state);
    const limits = ctx.limits;
    if (limits?.github) {
      // The primary budgets sized by the limits, their hour lasting 3600/timeScale s; the window
      // starts with the first request (resetAt 0), and x-ratelimit-reset reports its scaled end.
      const windowMs = scaledWindowMs(limits, WINDOW_MS.githubPrimary);
      const hourly = (floor: number) =>
        limits.github?.installationScaling && !state.classicToken
          ? installationHourlyLimit(floor, state.repos.length, state.members.length)
          : floor;
      state.rate.core = { limit: hourly(limits.github.restPerHour), used: 0, resetAt: 0, windowMs };
      state.rate.graphql = {
        limit: hourly(limits.github.graphqlPointsPerHour),
        used: 0,
        resetAt: 0,
        windowMs,
      };
    }
    return state;
  },
  routes(state, ctx) {
    // Tokens outlive world switches, as minted tokens do on GitHub.
    const deps = { state, tokens: new TokenStore(), keys: ctx.keys };
    return [...restRoutes(deps), ...issueRoutes(deps), graphqlRoute(deps)];
  },
  clientSetup(state, ctx) {
    const files: Record<string, string> = { [GITHUB_APP_KEY_FILE]: ctx.keys.rsa('github-app').privateKeyPem };
    if (state.classicToken)
      files[GITHUB_CLASSIC_TOKEN_FILE] = classicTokenValue(ctx.keys.secret('github-classic-token'));
    return {
      config: {
        github: {
          org: state.org.login,
          baseUrl: `${ctx.origin()}/api/v3`,
          app: {
            id: state.app.id,
            installationId: state.app.installation_id,
            privateKeyFile: GITHUB_APP_KEY_FILE,
          },
          ...state.scannerConfig,
          ...scannerLimits(state, ctx.limits),
        },
        ...githubScannerConcurrency(ctx.limits),
      },
      files,
    };
  },
};
