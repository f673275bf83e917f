import { createHash } from 'node:crypto';
import type { EmulatorKeys } from '../platform.js';
import { withJsonText } from '../response-text.js';
import type { EmuRequest, EmuResponse, RouteFaults } from '../router.js';
import {
  type Caller,
  classicTokenValue,
  credentialOf,
  hasPermission,
  type IssuedToken,
  type JwtClaims,
  type TokenStore,
  verifyAppJwt,
} from './auth.js';
import type { BudgetState, GithubState, Listing } from './state.js';
import type { Level } from './world.js';

/**
 * What every GitHub route does before its own work, in GitHub's order: API version, authentication,
 * rate limit (counted once authenticated, refused with 403 + `x-ratelimit-remaining: 0` when spent),
 * then the permission the route needs (403 with `X-Accepted-GitHub-Permissions` when missing).
 */

export const API_VERSIONS = ['2022-11-28', '2026-03-10'];
/** Where GitHub points errors that are not about one operation (bad or missing credentials). */
export const REST_DOCS = 'https://docs.github.com/rest';

export type Resource = 'core' | 'graphql';

export interface Requirement {
  /** The installation permission the route needs, e.g. ['organization_administration', 'read']. */
  app?: [string, Level] | null;
  /** Classic OAuth scopes that work instead (any of); `never` = GitHub Apps only. Default: any token. */
  classic?: string[] | 'never';
  /** The route takes the app's JWT, not an installation token. */
  jwt?: boolean;
  resource?: Resource;
  /** Rate-limit points this request costs (GraphQL computes it from the query). */
  cost?: number;
  /**
   * The operation's reference page (`externalDocs.url` in GitHub's OpenAPI description), which GitHub
   * sends as `documentation_url` in the operation's errors.
   */
  docs?: string;
}

export type Guarded =
  | { ok: true; state: GithubState; caller: Caller; claims?: JwtClaims; headers: Record<string, string> }
  | { ok: false; response: EmuResponse };

/**
 * GitHub's error body: `{message, documentation_url, status}` (`basic-error` in the OpenAPI
 * description; `status` as a string, as github.com sends it, e.g. `{"message": "Resource not
 * accessible by integration", "documentation_url": "https://docs.github.com/rest/users/users#get-the-
 * authenticated-user", "status": "403"}` quoted in actions/create-github-app-token#258).
 */
export function error(
  status: number,
  message: string,
  headers: Record<string, string> = {},
  docs: string = REST_DOCS,
): EmuResponse {
  return { status, headers, body: { message, documentation_url: docs, status: String(status) } };
}

function refresh(b: BudgetState, nowMs: number): void {
  if (nowMs >= b.resetAt) {
    b.used = 0;
    b.resetAt = nowMs + b.windowMs;
  }
}

export function rateHeaders(b: BudgetState, resource: Resource): Record<string, string> {
  return {
    'x-ratelimit-limit': String(b.limit),
    'x-ratelimit-remaining': String(Math.max(0, b.limit - b.used)),
    'x-ratelimit-reset': String(Math.ceil(b.resetAt / 1000)),
    'x-ratelimit-used': String(b.used),
    'x-ratelimit-resource': resource,
  };
}

/**
 * Conditional requests (docs "Best practices for using the REST API", "Use conditional requests if
 * appropriate"): "Most endpoints return an etag header … You can use the values of these headers to
 * make conditional GET requests … If the data has not changed, you will receive a 304 Not Modified
 * response. Making a conditional request does not count against your primary rate limit if a 304
 * response is returned and the request was made while correctly authorized with an Authorization
 * header." The emulator's ETag is a weak validator derived from the body (GitHub's own are opaque);
 * a matching `If-None-Match` gets a 304 with no body, the ETag and the rate-limit headers, and the
 * point the guard counted is given back.
 */
export function conditional(
  req: EmuRequest,
  resp: EmuResponse,
  g: Extract<Guarded, { ok: true }>,
  resource: Resource,
  cost: number,
): EmuResponse {
  if (req.method !== 'GET' || resp.status !== 200 || resp.body === undefined) return resp;
  const text = JSON.stringify(resp.body);
  const etag = `W/"${createHash('sha256').update(text).digest('hex').slice(0, 32)}"`;
  const sent = req.headers['if-none-match'];
  const candidates = (Array.isArray(sent) ? sent.join(',') : (sent ?? ''))
    .split(',')
    .map((v) => v.trim().replace(/^W\//, ''));
  if (!candidates.includes(etag.replace(/^W\//, '')) && !candidates.includes('*')) {
    // The text the ETag was taken of is the one sent (../response-text.ts).
    return withJsonText({ ...resp, headers: { ...resp.headers, etag } }, text);
  }
  const budget = g.state.rate[resource];
  // JWT routes were never counted (the guard returns before the budget).
  if (g.caller.kind !== 'jwt') budget.used = Math.max(0, budget.used - Math.max(1, cost));
  const headers: Record<string, string> = { ...g.headers, ...rateHeaders(budget, resource), etag };
  if (resp.headers?.link) headers.link = resp.headers.link;
  return { status: 304, headers, notCounted: true };
}

export interface GuardDeps {
  state: () => GithubState | undefined;
  tokens: TokenStore;
  keys: EmulatorKeys;
}

export function guard(req: EmuRequest, need: Requirement, deps: GuardDeps): Guarded {
  const state = deps.state();
  if (!state) return { ok: false, response: error(404, 'Not Found') };
  const base: Record<string, string> = {
    'x-github-media-type': 'github.v3; format=json',
    'x-github-request-id': `EMU:${Math.random().toString(16).slice(2, 10).toUpperCase()}`,
  };
  const requested = req.headers['x-github-api-version'];
  const version = Array.isArray(requested) ? requested[0] : requested;
  // Docs "API Versions": a version GitHub does not support is answered with 400 (the message text
  // here is the emulator's; GitHub's exact wording is not published).
  if (version && !API_VERSIONS.includes(version)) {
    return {
      ok: false,
      response: error(
        400,
        `Unsupported 'X-GitHub-Api-Version' header value: ${version}. Supported: ${API_VERSIONS.join(', ')}`,
        base,
      ),
    };
  }
  base['x-github-api-version-selected'] = version ?? API_VERSIONS[0]!;

  const docs = need.docs ?? REST_DOCS;
  const cred = credentialOf(req.headers);
  // OpenAPI components/responses/requires_authentication: 401 with basic-error.
  if (!cred) return { ok: false, response: error(401, 'Requires authentication', base, docs) };

  if (need.jwt) {
    // Operations whose description says "You must use a JWT to access this endpoint" (OpenAPI
    // apps/get-org-installation, apps/create-installation-access-token). Anything else in the
    // Authorization header, an installation token included, is refused as GitHub refuses it:
    // 401 "A JSON web token could not be decoded" (an installation token sent to GET /app/installations,
    // urcomputeringpal/kubevalidator#48; a JWT that does not verify, octokit/auth-app.js#375).
    const appIds = [String(state.app.id)];
    const check = verifyAppJwt(cred, deps.keys.rsa('github-app').publicKeyPem, appIds);
    if (!check.ok) return { ok: false, response: error(401, check.reason, base) };
    return { ok: true, state, caller: { kind: 'jwt', raw: cred }, claims: check.claims, headers: base };
  }

  let caller: Caller;
  let token: IssuedToken | undefined;
  if (cred.startsWith('ghs_')) {
    token = deps.tokens.lookup(cred);
    caller = token ? { kind: 'installation', token } : { kind: 'invalid' };
    if (token && token.installationId !== state.app.installation_id) caller = { kind: 'invalid' };
  } else if (state.classicToken && cred === classicTokenValue(deps.keys.secret('github-classic-token'))) {
    caller = { kind: 'classic', scopes: state.classicToken.scopes };
  } else {
    caller = { kind: 'invalid' };
  }
  // Unknown or expired tokens, and the app's JWT used where an installation token is needed
  // ("the JWT will only give your application the ability to request an access token": GitHub's answer
  // to a JWT sent to a repository endpoint is 401 "Bad credentials", platform.github.community/t/5506;
  // docs "Authenticating as a GitHub App": JWT endpoints say so in their reference).
  if (caller.kind === 'invalid') return { ok: false, response: error(401, 'Bad credentials', base) };

  const resource = need.resource ?? 'core';
  const budget = state.rate[resource];
  refresh(budget, Date.now());
  if (budget.used >= budget.limit) {
    const who = token ? `installation ID ${token.installationId}` : 'user';
    const message = `API rate limit exceeded for ${who}. If you reach out to GitHub Support for help, please include the request ID ${base['x-github-request-id']}.`;
    const headers = { ...base, ...rateHeaders(budget, resource) };
    // GraphQL reports an exhausted budget as a 200 with a RATE_LIMITED error; REST as a 403.
    const response =
      resource === 'graphql'
        ? {
            status: 200,
            headers,
            body: { data: null, errors: [{ type: 'RATE_LIMITED', code: 'graphql_rate_limit', message }] },
          }
        : error(403, message, headers);
    return { ok: false, response };
  }
  budget.used += Math.max(1, need.cost ?? 1);
  const headers = { ...base, ...rateHeaders(budget, resource) };

  // The permission the installation lacks: 403 "Resource not accessible by integration", naming the
  // permission in X-Accepted-GitHub-Permissions (docs "Troubleshooting the REST API" and
  // "Permissions required for GitHub Apps"; each route's permission is cited where it is declared).
  if (caller.kind === 'installation' && need.app) {
    const [perm, level] = need.app;
    if (!hasPermission(caller.token.permissions, perm, level)) {
      return {
        ok: false,
        response: error(
          403,
          'Resource not accessible by integration',
          { ...headers, 'x-accepted-github-permissions': `${perm}=${level}` },
          docs,
        ),
      };
    }
  }
  if (caller.kind === 'classic') {
    headers['x-oauth-scopes'] = caller.scopes.join(', ');
    if (need.classic === 'never') {
      return {
        ok: false,
        response: error(403, 'Resource not accessible by personal access token', headers, docs),
      };
    }
    if (need.classic && !need.classic.some((s) => caller.scopes.includes(s))) {
      return {
        ok: false,
        response: error(
          403,
          'Resource not accessible by personal access token',
          { ...headers, 'x-accepted-oauth-scopes': need.classic.join(', ') },
          docs,
        ),
      };
    }
  }
  return { ok: true, state, caller, headers };
}

/**
 * `per_page` (default 30, "max 100": OpenAPI components/parameters/per-page) and `page` (default 1),
 * as GitHub reads them. A larger `per_page` is not refused: github.com answers 100 items
 * (`?per_page=1000` "fetches only 100 repositories which is the maximum limit", fledge-iot/fledge#428;
 * "github ignores per_page values larger than 100", github-tools/github#25), so the emulator does
 * the same. The request-conformance check (test/conformance/github.ts) still fails any request of
 * ours that asks for more than the documented maximum.
 */
export function pageParams(req: EmuRequest): { perPage: number; page: number } {
  const rawPer = Number.parseInt(req.query.get('per_page') ?? '', 10);
  const rawPage = Number.parseInt(req.query.get('page') ?? '', 10);
  const perPage = Number.isFinite(rawPer) && rawPer > 0 ? Math.min(rawPer, 100) : 30;
  const page = Number.isFinite(rawPage) && rawPage > 0 ? rawPage : 1;
  return { perPage, page };
}

/**
 * One page of a listing plus GitHub's `Link` header, with absolute URLs on the emulator's own origin
 * (clients follow them verbatim; a github.com link would leave the machine).
 */
export function paginate<T, R>(
  req: EmuRequest,
  list: Listing<T>,
  shape: (item: T) => R,
): { items: R[]; headers: Record<string, string> } {
  const { perPage, page } = pageParams(req);
  const start = (page - 1) * perPage;
  const end = Math.min(list.length, start + perPage);
  const items: R[] = [];
  for (let i = start; i < end; i++) items.push(shape(list.at(i)));
  const last = Math.max(1, Math.ceil(list.length / perPage));
  const link = (p: number) => {
    const q = new URLSearchParams(req.query);
    q.set('page', String(p));
    if (!q.has('per_page')) q.set('per_page', String(perPage));
    return `<${req.origin}${req.path}?${q.toString()}>`;
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`${link(page - 1)}; rel="prev"`);
  if (page < last) rels.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
  if (page > 1) rels.push(`${link(1)}; rel="first"`);
  return { items, headers: rels.length > 0 ? { link: rels.join(', ') } : {} };
}

/**
 * How a GitHub REST route answers the faults that must look like GitHub's own responses:
 * - an expired installation token: 401 "Bad credentials" ("Installation tokens expire one hour from
 *   the time you create them. Using an expired token produces a status code of `401 - Unauthorized`",
 *   OpenAPI apps/create-installation-access-token description; the body GitHub sends then is
 *   `Bad credentials - https://docs.github.com/rest`, quoted in qoomon/actions--access-token#588 and
 *   renovatebot/github-action#798). An expired app JWT gets the JWT check's own message instead;
 * - a missing permission: 403 "Resource not accessible by integration" naming the permission in
 *   `X-Accepted-GitHub-Permissions`, as `guard` answers it;
 * - a missing resource: 404 "Not Found" with the operation's reference page;
 * - a paging loop: a `Link` whose `rel="next"` is the URL just requested (GitHub's paging is "the link
 *   header ... URLs for the next page", docs "Using pagination in the REST API").
 */
export function restRouteFaults(need: Requirement, paged: boolean): RouteFaults {
  const docs = need.docs ?? REST_DOCS;
  const faults: RouteFaults = {
    tokenExpired: () =>
      need.jwt
        ? error(401, "'Expiration time' claim ('exp') is too far in the past", {}, docs)
        : error(401, 'Bad credentials'),
    notFound: () => error(404, 'Not Found', {}, docs),
  };
  const app = need.app;
  if (app) {
    faults.permissionDenied = () =>
      error(
        403,
        'Resource not accessible by integration',
        { 'x-accepted-github-permissions': `${app[0]}=${app[1]}` },
        docs,
      );
  }
  if (paged) faults.loopPaging = loopLinkToSelf;
  return faults;
}

/** `resp` with `rel="next"` pointing at the URL of the request it answers. */
function loopLinkToSelf(req: EmuRequest, resp: EmuResponse): EmuResponse {
  const query = req.query.toString();
  const self = `<${req.origin}${req.path}${query ? `?${query}` : ''}>; rel="next"`;
  const others = (resp.headers?.link ?? '')
    .split(/,\s*(?=<)/)
    .filter((part) => part !== '' && !/;\s*rel="(next|last)"/.test(part));
  return { ...resp, headers: { ...resp.headers, link: [self, ...others].join(', ') } };
}
