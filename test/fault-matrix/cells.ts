import type { FaultRuleInput } from '../../src/emulator/faults.js';

/**
 * The fault matrix: every fault of issue 10 on every platform, each injected into the emulator while
 * the CLI scans the demo organisation after one good scan. A cell says which requests the fault hits
 * (from what the good scan found, so a child-list fault hits a parent that really has children) and
 * what the scan may end as.
 */

export const FAULTS = [
  { key: 'rate-limit-storm', label: 'a 429 storm with Retry-After' },
  { key: 'server-error-burst', label: 'a 5xx burst' },
  { key: 'reset-mid-body', label: 'a connection reset mid-body' },
  { key: 'malformed-json', label: 'a malformed JSON body' },
  { key: 'never-answers', label: 'a page that never answers' },
  { key: 'token-expires', label: 'a token that expires mid-scan' },
  { key: 'permission-missing', label: 'a permission missing for one collector' },
  { key: 'paging-loop', label: 'a next link that loops back to a page already read' },
  { key: 'child-list-404', label: 'a transient 404 on one child list, parent still listed' },
] as const;

export type FaultKey = (typeof FAULTS)[number]['key'];
export type Platform = 'github' | 'microsoft365' | 'google-workspace';
export const PLATFORMS: readonly Platform[] = ['github', 'microsoft365', 'google-workspace'];

/**
 * The client settings every cell scans with (grantscope.yaml `http:`): short, so that a fault that
 * never ends costs seconds; retries as documented (429, 5xx and connection errors, each wait capped).
 */
export const HTTP_SETTINGS = { timeoutSeconds: 2, maxRetries: 4, maxRetryWaitSeconds: 2 } as const;

/**
 * No hang: a cell that has not finished in this time fails, and its scan is killed. Every request has
 * a timeout and every retry loop a bound (HTTP_SETTINGS), so a scan under any fault ends well within it.
 */
export const CELL_TIMEOUT_MS = 90_000;

/**
 * How the scan must end:
 * - `complete`: the fault is one the scanner must ride out (it lasts fewer attempts than the
 *   documented retries, or it is a token expiring, which every long scan meets);
 * - `incomplete`: the fault never ends, so the data behind it cannot be read: the scan must say so
 *   and name the collector;
 * - `either`: complete only if the scanner read the data after all (the diff then shows it kept).
 */
export type Expectation = 'complete' | 'incomplete' | 'either';

/** What the good scan found, for faults that must hit a parent that has children. */
export interface Baseline {
  identities: BaselineIdentity[];
}

export interface BaselineIdentity {
  kind: string;
  nativeId: string;
  attributes: Record<string, unknown>;
  grants: Array<{
    collector: string;
    principal: { id: string } | null;
    attributes: Record<string, unknown>;
  }>;
  credentials: Array<{ collector: string }>;
}

export interface FaultCell {
  platform: Platform;
  fault: FaultKey;
  /** The emulator fault rules, given the good scan. */
  rules(baseline: Baseline): FaultRuleInput[];
  expect: Expectation;
  /**
   * Collectors the fault reaches (the one whose request is hit, and those that need its data). An
   * incomplete scan must fail the first, and may fail only these.
   */
  collectors: string[];
}

/** One platform's cells. */
function row(platform: Platform, cells: Array<Omit<FaultCell, 'platform'>>): FaultCell[] {
  return cells.map((c) => ({ ...c, platform }));
}

/** `s` as a regular expression matching exactly it. */
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `status` answers in each platform's 5xx shape, once each, in this order. */
function burst(
  match: Omit<FaultRuleInput, 'action'>,
  bodyFor: (status: number) => unknown,
): FaultRuleInput[] {
  return [500, 502, 503, 504].map((status) => ({
    ...match,
    times: 1,
    action: { kind: 'status', status, body: bodyFor(status) },
  }));
}

/** As many 429s as the scanner retries, each with Retry-After: 1. */
function storm(match: Omit<FaultRuleInput, 'action'>): FaultRuleInput[] {
  return [{ ...match, times: HTTP_SETTINGS.maxRetries, action: { kind: 'rate-limit', retryAfter: 1 } }];
}

function requireTarget<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the good scan found no ${what} to aim the fault at`);
  return value;
}

// --- GitHub -----------------------------------------------------------------------------------------
const GITHUB_REST = { service: 'github', method: 'GET', path: '^/api/v3/(orgs|repos)/' };

const github = row('github', [
  { fault: 'rate-limit-storm', rules: () => storm(GITHUB_REST), expect: 'complete', collectors: [] },
  {
    fault: 'server-error-burst',
    rules: () => burst(GITHUB_REST, () => ({ message: 'Server Error' })),
    expect: 'complete',
    collectors: [],
  },
  {
    fault: 'reset-mid-body',
    rules: () => [
      { path: '^/api/v3/orgs/[^/]+/installations$', times: 1, action: { kind: 'reset-mid-body' } },
    ],
    expect: 'complete',
    collectors: [],
  },
  {
    fault: 'malformed-json',
    rules: () => [{ path: '^/api/v3/orgs/[^/]+/hooks$', action: { kind: 'malformed' } }],
    expect: 'incomplete',
    collectors: ['org-webhooks'],
  },
  {
    fault: 'never-answers',
    rules: () => [{ path: '^/api/v3/orgs/[^/]+/outside_collaborators$', action: { kind: 'timeout' } }],
    expect: 'incomplete',
    collectors: ['outside-collaborators'],
  },
  {
    fault: 'token-expires',
    rules: () => [{ ...GITHUB_REST, skip: 6, times: 1, action: { kind: 'token-expired' } }],
    expect: 'complete',
    collectors: [],
  },
  {
    fault: 'permission-missing',
    rules: () => [
      { path: '^/api/v3/orgs/[^/]+/personal-access-tokens$', action: { kind: 'permission-denied' } },
    ],
    expect: 'incomplete',
    collectors: ['pat-grants'],
  },
  {
    fault: 'paging-loop',
    rules: () => [{ path: '^/api/v3/orgs/[^/]+/installations$', action: { kind: 'paging-loop' } }],
    expect: 'incomplete',
    collectors: ['app-installations'],
  },
  {
    // A repository with deploy keys: on real GitHub a 404 on /keys also means "no permission".
    fault: 'child-list-404',
    rules: (b) => {
      const repo = requireTarget(
        b.identities.find((i) => i.kind === 'deploy-key')?.attributes.repository as string | undefined,
        'repository with deploy keys',
      );
      return [{ path: `^/api/v3/repos/${literal(repo)}/keys$`, times: 1, action: { kind: 'not-found' } }];
    },
    expect: 'either',
    collectors: ['deploy-keys'],
  },
]);

// --- Microsoft 365 ----------------------------------------------------------------------------------
const GRAPH = { service: 'graph' };
const graphError = (status: number) => ({
  error: {
    code: status === 503 ? 'serviceNotAvailable' : status === 504 ? 'GatewayTimeout' : 'generalException',
    message: 'An unexpected error occurred (emulated).',
  },
});

const microsoft365 = row('microsoft365', [
  { fault: 'rate-limit-storm', rules: () => storm(GRAPH), expect: 'complete', collectors: [] },
  {
    fault: 'server-error-burst',
    rules: () => burst(GRAPH, graphError),
    expect: 'complete',
    collectors: [],
  },
  {
    fault: 'reset-mid-body',
    rules: () => [{ path: '^/v1\\.0/servicePrincipals$', times: 1, action: { kind: 'reset-mid-body' } }],
    expect: 'complete',
    collectors: [],
  },
  {
    fault: 'malformed-json',
    rules: () => [{ path: '^/v1\\.0/oauth2PermissionGrants$', action: { kind: 'malformed' } }],
    expect: 'incomplete',
    collectors: ['oauth2-permission-grants'],
  },
  {
    fault: 'never-answers',
    rules: () => [{ path: '^/beta/reports/servicePrincipalSignInActivities$', action: { kind: 'timeout' } }],
    expect: 'incomplete',
    collectors: ['sign-in-activity'],
  },
  {
    fault: 'token-expires',
    rules: () => [{ ...GRAPH, skip: 3, times: 1, action: { kind: 'token-expired' } }],
    expect: 'complete',
    collectors: [],
  },
  {
    fault: 'permission-missing',
    rules: () => [{ path: '^/v1\\.0/oauth2PermissionGrants$', action: { kind: 'permission-denied' } }],
    expect: 'incomplete',
    collectors: ['oauth2-permission-grants'],
  },
  {
    fault: 'paging-loop',
    rules: () => [{ path: '^/v1\\.0/applications$', action: { kind: 'paging-loop' } }],
    expect: 'incomplete',
    collectors: ['application-credentials', 'owners'],
  },
  {
    // The assignments of one resource (e.g. Microsoft Graph) while it is still listed.
    fault: 'child-list-404',
    rules: (b) => {
      const resource = requireTarget(
        b.identities.flatMap((i) => i.grants).find((g) => g.collector === 'app-role-assignments')?.attributes
          .resourceId as string | undefined,
        'resource service principal with app-role assignments',
      );
      return [
        {
          path: `^/(v1\\.0|beta)/servicePrincipals/${literal(resource)}/appRoleAssignedTo$`,
          times: 1,
          action: { kind: 'not-found' },
        },
      ];
    },
    expect: 'either',
    collectors: ['app-role-assignments'],
  },
]);

// --- Google Workspace -------------------------------------------------------------------------------
/** Every Google API call the scanner makes, but not its token endpoint. */
const GOOGLE_API = { service: 'google', path: '^/(admin|v1|v3)/' };
const RPC_STATUS: Record<number, string> = {
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};
const googleError = (status: number) => ({
  error: { code: status, message: 'The service is currently unavailable.', status: RPC_STATUS[status] },
});

const googleWorkspace = row('google-workspace', [
  { fault: 'rate-limit-storm', rules: () => storm(GOOGLE_API), expect: 'complete', collectors: [] },
  {
    fault: 'server-error-burst',
    rules: () => burst(GOOGLE_API, googleError),
    expect: 'complete',
    collectors: [],
  },
  {
    fault: 'reset-mid-body',
    // skip 1: the first users.list is the customer check when the scan opens (customer-check.ts).
    rules: () => [
      { path: '^/admin/directory/v1/users$', skip: 1, times: 1, action: { kind: 'reset-mid-body' } },
    ],
    expect: 'complete',
    collectors: [],
  },
  {
    fault: 'malformed-json',
    rules: () => [{ path: '^/v1/projects/acme-legacy/serviceAccounts$', action: { kind: 'malformed' } }],
    expect: 'incomplete',
    collectors: ['service-accounts', 'service-account-keys'],
  },
  {
    fault: 'never-answers',
    rules: () => [
      {
        path: '^/admin/reports/v1/activity/users/all/applications/admin$',
        action: { kind: 'timeout' },
      },
    ],
    expect: 'incomplete',
    collectors: ['domain-wide-delegation'],
  },
  {
    fault: 'token-expires',
    rules: () => [{ ...GOOGLE_API, skip: 6, times: 1, action: { kind: 'token-expired' } }],
    expect: 'complete',
    collectors: [],
  },
  {
    // IAM permission iam.serviceAccountKeys.list withdrawn on one service account.
    fault: 'permission-missing',
    rules: (b) => {
      const account = requireTarget(
        b.identities.find(
          (i) =>
            i.kind === 'service-account' && i.credentials.some((c) => c.collector === 'service-account-keys'),
        )?.nativeId,
        'service account with keys',
      );
      return [
        {
          path: `^/v1/projects/[^/]+/serviceAccounts/(${literal(account)}|${literal(encodeURIComponent(account))})/keys$`,
          action: { kind: 'permission-denied' },
        },
      ];
    },
    expect: 'incomplete',
    collectors: ['service-account-keys'],
  },
  {
    fault: 'paging-loop',
    rules: () => [{ path: '^/v1/projects/[^/]+/serviceAccounts$', action: { kind: 'paging-loop' } }],
    expect: 'incomplete',
    collectors: ['service-accounts', 'service-account-keys'],
  },
  {
    // One user's OAuth tokens while the user is still listed.
    fault: 'child-list-404',
    rules: (b) => {
      const user = requireTarget(
        b.identities.flatMap((i) => i.grants).find((g) => g.collector === 'oauth-grants')?.principal?.id,
        'user with OAuth grants',
      );
      return [
        {
          path: `^/admin/directory/v1/users/${literal(user)}/tokens$`,
          times: 1,
          action: { kind: 'not-found' },
        },
      ];
    },
    expect: 'either',
    collectors: ['oauth-grants'],
  },
]);

export const CELLS: Record<Platform, FaultCell[]> = {
  github,
  microsoft365,
  'google-workspace': googleWorkspace,
};
