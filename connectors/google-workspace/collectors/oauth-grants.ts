import { defineCollector, PartialFailure } from '../../../src/connector/collector.js';
import type { ConnectorContext } from '../../../src/connector/context.js';
import { attributeTo } from '../../../src/connector/coverage.js';
import { fanOut } from '../../../src/connector/fan-out.js';
import { EndpointUnreachableError } from '../../../src/connector/http.js';
import { ApiError } from '../../../src/errors.js';
import type { Tenant } from '../../../src/model/common.js';
import type { GrantInput, IdentityInput, PrincipalRef } from '../../../src/model/index.js';
import { SCOPES } from '../auth.js';
import { type CallSpec, callGoogle } from '../client.js';
import { planIncrementalTokens, TOKENS_READ_AT } from '../incremental-tokens.js';
import { oauthGrantKey, type PreviousOAuthClient } from '../previous-scan.js';
import { scopeRisk } from '../risk.js';
import { type Token, TokenList } from '../schema.js';
import { type GoogleSession, PLATFORM, previousForRecords } from '../session.js';
import {
  LAST_USE_SOURCE,
  type LastUseRead,
  pairKey,
  readLastUse,
  type TokenActivity,
  tokenActivity,
} from './token-activity.js';
import { type UserDirectory, users, usersGone, type WorkspaceUser } from './users.js';

const NAME = 'oauth-grants';

export const TOKENS_SPEC: CallSpec = {
  api: 'Admin SDK Directory API',
  method: 'GET',
  path: '/admin/directory/v1/users/{userKey}/tokens',
  requiredPermission:
    'domain-wide delegation of https://www.googleapis.com/auth/admin.directory.user.security (tokens.list accepts no read-only scope); the subject needs the User security management admin privilege',
};

const FIELDS = 'items(clientId,displayText,scopes,anonymous,nativeApp)';

/** Google's own OAuth clients (origin `platform`): Chrome sync, the Cloud SDK and its application-default login. */
const GOOGLE_CLIENT_IDS = new Set([
  '77185425430.apps.googleusercontent.com',
  '32555940559.apps.googleusercontent.com',
  '764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com',
]);

/** Where an admin reviews and revokes third-party app access (Security → API controls → App access control). */
const MANAGE_URL = 'https://admin.google.com/ac/owl/list?tab=apps';
const MAX_LISTED = 50;

/** What the fetch read: each user's tokens, and the apps' last use (token-activity's reads). */
export interface OAuthGrants {
  /** tokens.list results, per user id: every user's, or (after a failure) those that answered. */
  readonly perUser: Map<string, Token[]>;
  /** Whether tokens.list answered for every user. */
  readonly complete: boolean;
  readonly lastUse: LastUseRead;
}

/**
 * Errors that would repeat for every user: stop the fan-out instead of spending the quota on them. An
 * endpoint that stayed unreachable through the retries will not answer the next user either.
 */
function isFatal(err: ApiError): boolean {
  return (
    err.status === 401 ||
    err.status === 403 ||
    err.api === 'Google OAuth token endpoint' ||
    err instanceof EndpointUnreachableError
  );
}

/**
 * Third-party OAuth apps, from tokens.list once per user — the API has no domain-wide listing — and the
 * scopes each user granted them. When some users fail, the grants of those that answered are still
 * emitted (they are exact) and the collector fails, so the store keeps the rest.
 *
 * The fetch also looks up each app's last use in the Reports token log: only now are the apps known.
 * Those requests and their failure are token-activity's (its `transform` raises it).
 */
export const oauthGrants = defineCollector<GoogleSession, OAuthGrants>({
  name: NAME,
  description: 'Third-party OAuth apps and the scopes each user granted them (tokens.list per user)',
  permissions: [
    `domain-wide delegation of ${SCOPES.tokens} (tokens.list accepts no read-only scope; it would also allow revoking tokens, which grantscope never does)`,
    'admin privilege Security › User security management',
  ],
  dependsOn: [users.name],
  enrichedBy: [tokenActivity.name],
  async fetch(session, run) {
    const { ctx } = run;
    const directory = run.input(users);
    const perUser = new Map<string, Token[]>();
    let failure: unknown;
    try {
      // Since the last scan, only users with token events are listed again (incremental-tokens.ts).
      const plan = await planIncrementalTokens(session, ctx, NAME, directory);
      if (plan) for (const [userId, tokens] of plan.carried) perUser.set(userId, tokens);
      const toList: UserDirectory = plan
        ? { list: plan.relist, byId: directory.byId, byEmail: (e) => directory.byEmail(e) }
        : directory;
      await listTokens(session, ctx, toList, perUser);
      // Kept for the next scan only if this collector completes (the engine drops it otherwise), and
      // only if every token shows in the records: one without scopes makes no grant to rebuild it from.
      const unscoped = [...perUser.values()].flat().filter((t) => !t.scopes?.length).length;
      if (unscoped > 0) {
        ctx.coverage.note(NAME, `${unscoped} token(s) without scopes: the next scan lists every user again`);
      }
      ctx.state?.set(TOKENS_READ_AT, unscoped > 0 ? null : session.now.toISOString());
    } catch (err) {
      failure = err;
    }
    // Last use of the apps seen, even if some users failed (their grants are still emitted); not when
    // token-activity failed already, which makes the activity fields unusable anyway.
    const clientIds = new Set([...perUser.values()].flatMap((tokens) => tokens.map((t) => t.clientId)));
    const lastUse: LastUseRead =
      run.status(tokenActivity.name) === 'failed'
        ? { ok: false, failure: null }
        : await attributeTo(tokenActivity.name, () => readLastUse(session, ctx, clientIds)).then(
            (read) => ({ ok: true, lastUse: read }),
            (err: unknown) => ({ ok: false, failure: err }),
          );
    ctx.logger.debug('google-workspace: directory pacing', { ...session.apis.directoryPacer.stats() });
    const fetched: OAuthGrants = { perUser, complete: failure === undefined, lastUse };
    if (failure !== undefined) throw new PartialFailure(failure, fetched);
    return fetched;
  },
  transform(fetched, session, run) {
    const previous = previousForRecords(session, run);
    if (!previous) return [];
    const history = run.optional(tokenActivity);
    return oauthClientRecordsOf({
      tenant: session.tenant,
      windowStart: session.windowStart,
      users: run.input(users),
      grants: fetched.perUser,
      grantsComplete: fetched.complete,
      activity: history && fetched.lastUse.ok ? { ...history, ...fetched.lastUse.lastUse } : undefined,
      previous: previous.oauthClients,
      origins: {
        internal: new Set(session.config.internalClientIds),
        firstParty: new Set(session.config.firstPartyClientIds),
      },
    });
  },
});

/**
 * tokens.list for every user, with bounded concurrency (ctx.limit, fanOut) and the Directory pacer, asking only
 * for the fields used, into `out` (so that a failure leaves what was read). The first user is a probe:
 * a scope that is not delegated or a subject without the privilege fails once, not once per user.
 */
async function listTokens(
  session: GoogleSession,
  ctx: ConnectorContext,
  directory: UserDirectory,
  out: Map<string, Token[]>,
): Promise<void> {
  const { apis } = session;
  const task = 'google-workspace: tokens.list';
  let fatal: ApiError | undefined;
  const failures: ApiError[] = [];
  const vanished: WorkspaceUser[] = [];
  const one = async (u: WorkspaceUser) => {
    if (fatal || ctx.signal.aborted) return;
    try {
      const r = await callGoogle(apis, TOKENS_SPEC, TokenList, () =>
        apis.tokensDirectory.tokens.list({ userKey: u.id, fields: FIELDS }),
      );
      out.set(u.id, r.items ?? []);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(TOKENS_SPEC.api, null, String(err));
      // Deleted since users.list, or a transient 404: checked below.
      if (e.status === 404) vanished.push(u);
      else if (isFatal(e)) fatal ??= e;
      else failures.push(e);
    }
    ctx.progress.tick(task);
  };
  ctx.progress.start(task, directory.list.length, 'users (tokens)');
  const [probe, ...rest] = directory.list;
  if (probe) await one(probe);
  // Queued a few at a time (fanOut), so that the IAM collectors' calls are not queued behind them all.
  if (!fatal) await fanOut(rest, ctx.limit, one);
  ctx.progress.done(task);
  if (fatal) throw fatal;
  // A 404 is not "no grants": only a user that is gone (users.get answers 404 too) takes them along.
  const gone = await usersGone(apis, ctx, vanished);
  for (const u of vanished) {
    if (gone.has(u.id)) continue;
    failures.push(
      new ApiError(
        TOKENS_SPEC.api,
        404,
        `tokens.list answered 404 for ${u.email}, who still exists: a transient error; the user's grants are kept from the previous scan, not reported removed`,
        { method: TOKENS_SPEC.method, path: TOKENS_SPEC.path },
      ),
    );
  }
  const inactive = directory.list.filter((u) => !u.active).length;
  ctx.coverage.note(
    NAME,
    // `out` also holds the users an incremental read carried over: count those listed here.
    `tokens.list for ${directory.list.filter((u) => out.has(u.id)).length} users (${inactive} suspended or archived), paced at ${apis.directoryPacer.perMinute}/min`,
  );
  if (gone.size > 0) {
    const emails = vanished.filter((u) => gone.has(u.id)).map((u) => u.email);
    ctx.coverage.note(
      NAME,
      `${gone.size} users were deleted during the scan: ${emails.slice(0, 5).join(', ')}`,
    );
  }
  if (failures.length > 0) {
    const first = failures[0]!;
    throw new ApiError(
      TOKENS_SPEC.api,
      first.status,
      `tokens.list failed for ${failures.length} of ${directory.list.length} users after retries; first: ${first.message}`,
      {
        method: TOKENS_SPEC.method,
        path: TOKENS_SPEC.path,
        requiredPermission: TOKENS_SPEC.requiredPermission,
      },
    );
  }
}

export interface OAuthOrigins {
  internal: ReadonlySet<string>;
  firstParty: ReadonlySet<string>;
}

function originOf(clientId: string, origins: OAuthOrigins): 'platform' | 'internal' | 'third-party' {
  if (GOOGLE_CLIENT_IDS.has(clientId) || origins.firstParty.has(clientId)) return 'platform';
  if (origins.internal.has(clientId)) return 'internal';
  return 'third-party';
}

function principal(u: WorkspaceUser): PrincipalRef {
  return { id: u.id, name: u.email, type: 'user', active: u.active };
}

interface AppAggregate {
  clientId: string;
  displayText: string | null;
  nativeApp: boolean;
  anonymous: boolean;
  scopes: Set<string>;
  holders: Array<{ user: WorkspaceUser; token: Token }>;
}

export interface OAuthClientInputs {
  tenant: Tenant;
  /** Start of the audit window (the upper bound of a last use not seen in it). */
  windowStart: Date;
  users: UserDirectory;
  /** Tokens per user id. */
  grants: ReadonlyMap<string, readonly Token[]>;
  /** Whether tokens.list answered for every user; else `grants` holds some users' tokens only. */
  grantsComplete: boolean;
  /** The token log's picture (token-activity's history and the apps' last use); undefined when it failed. */
  activity: TokenActivity | undefined;
  /** The previous snapshot's apps: read when oauth-grants or token-activity failed. */
  previous: ReadonlyMap<string, PreviousOAuthClient>;
  origins: OAuthOrigins;
}

/**
 * One `oauth-client` identity per client id, with the users who granted it and the union of their scopes,
 * and one grant per (scope, user).
 *
 * Why per user: a grant's principal is the user the app acts for, and `active: false` on it (suspended or
 * archived user) is what marks that grant orphaned. Aggregating users into one grant per scope would
 * leave no principal to carry that, and a user being suspended would look like a grant removed and another
 * added rather than one grant changing. The identity still lists the users and their count.
 *
 * Owners are the consenting users (Workspace has no owner for a user-consented app): an app whose every
 * consenting user is suspended or archived is ownerless as well as orphaned.
 *
 * When tokens.list failed for some users, an app's users, owners and scopes are only partly known: the
 * identity of an app the previous snapshot has is not emitted (the store carries it over as it was,
 * rather than dropping the failed users from its owners), and that of a new app is emitted with
 * `ownersKnown: false`. The grants of the users that answered are emitted either way: they are exact.
 * When the token log could not be read, an app's grant times, first grant, last use and last revocation
 * keep the previous snapshot's values.
 */
export function oauthClientRecords(inputs: OAuthClientInputs): Array<IdentityInput | GrantInput> {
  return [...oauthClientRecordsOf(inputs)];
}

/** The records one at a time: the runner stores them in batches, never a domain's worth at once. */
export function* oauthClientRecordsOf(inputs: OAuthClientInputs): Generator<IdentityInput | GrantInput> {
  const { tenant, users, grants, activity, origins, previous } = inputs;
  const apps = new Map<string, AppAggregate>();
  for (const [userId, tokens] of grants) {
    const user = users.byId.get(userId);
    if (!user) continue;
    for (const token of tokens) {
      let app = apps.get(token.clientId);
      if (!app) {
        app = {
          clientId: token.clientId,
          displayText: token.displayText ?? null,
          nativeApp: token.nativeApp === true,
          anonymous: token.anonymous === true,
          scopes: new Set(),
          holders: [],
        };
        apps.set(token.clientId, app);
      }
      for (const s of token.scopes ?? []) app.scopes.add(s);
      app.holders.push({ user, token });
    }
  }

  const windowStart = inputs.windowStart.toISOString();
  for (const app of [...apps.values()].sort((a, b) => a.clientId.localeCompare(b.clientId))) {
    const holders = app.holders.sort(
      (a, b) => Number(b.user.active) - Number(a.user.active) || a.user.email.localeCompare(b.user.email),
    );
    const before = previous.get(app.clientId);
    const grantTimes = holders.map(
      (h) => activity?.authorizedAt.get(pairKey(app.clientId, h.user.id)) ?? null,
    );
    // Every current grant's authorize event was seen (in this window or by an earlier scan): the app's
    // first grant time is known.
    const allKnown = activity !== undefined && grantTimes.every((t) => t !== null);
    // The token log could not be read this time: what the previous snapshot had from it.
    const kept = activity ? undefined : before;
    const fromLog = kept
      ? { createdAt: kept.createdAt, lastUsed: kept.lastUsed, attributes: kept.activityAttributes }
      : {
          createdAt: allKnown ? [...(grantTimes as string[])].sort()[0]! : null,
          lastUsed: lastUsedOf(app.clientId, activity, allKnown, windowStart),
          attributes: activity
            ? {
                lastRevokedAt: activity.lastRevokedAt.get(app.clientId) ?? null,
                // Some current grant is older than anything grantscope has read of the audit log.
                grantedBeforeWindow: !allKnown,
              }
            : {},
        };
    const grantedAt = (scope: string, i: number) =>
      kept ? (kept.grantedAt.get(oauthGrantKey(scope, holders[i]!.user.id)) ?? null) : grantTimes[i]!;
    // Built from some users' tokens only: the previous version stays (the store carries it over).
    if (inputs.grantsComplete || !before) {
      yield {
        type: 'identity',
        platform: PLATFORM,
        tenant,
        kind: 'oauth-client',
        nativeId: app.clientId,
        displayName: app.displayText,
        origin: originOf(app.clientId, origins),
        createdAt: fromLog.createdAt,
        enabled: null,
        lastUsed: fromLog.lastUsed,
        owners: holders.slice(0, MAX_LISTED).map((h) => principal(h.user)),
        // A new app seen through some users only: others may hold it too.
        ownersKnown: inputs.grantsComplete,
        manageUrl: MANAGE_URL,
        attributes: {
          clientId: app.clientId,
          nativeApp: app.nativeApp,
          anonymous: app.anonymous,
          scopes: [...app.scopes].sort(),
          userCount: holders.length,
          activeUserCount: holders.filter((h) => h.user.active).length,
          users: holders.slice(0, 100).map((h) => h.user.email),
          ownersAre: 'consenting users',
          ...fromLog.attributes,
        },
        collector: NAME,
        raw: {
          clientId: app.clientId,
          displayText: app.displayText,
          anonymous: app.anonymous,
          nativeApp: app.nativeApp,
        },
      };
    }
    for (const [i, { user, token }] of holders.entries()) {
      for (const scope of token.scopes ?? []) {
        const { access, risk } = scopeRisk(scope);
        yield {
          type: 'grant',
          platform: PLATFORM,
          tenant,
          identity: { kind: 'oauth-client', nativeId: app.clientId },
          permission: { id: scope, name: scope, resource: null, nativeLevel: 'user-consent', access },
          target: { breadth: 'user', type: 'user', id: user.id, label: user.email, resources: [], count: 1 },
          grantedVia: 'user-consent',
          grantedBy: principal(user),
          grantedAt: grantedAt(scope, i),
          principal: principal(user),
          risk,
          attributes: { userSuspended: user.suspended, userArchived: user.archived },
          collector: NAME,
          raw: token,
        };
      }
    }
  }
}

/**
 * Last use from the Reports `token` activity events. Within the audit window that is exact. When there is
 * none, the previous scan's signal still holds (its window and this one overlap): its exact time, or its
 * upper bound — kept rather than moved to this window's start, which would change the record every day.
 * Without one, the app was either granted after reading began and never used (`at: null`), or granted
 * earlier and not used since the window start, which is then an upper bound of its last use
 * (`at: windowStart`). Without the Reports data there is no signal (null).
 */
function lastUsedOf(
  clientId: string,
  activity: TokenActivity | undefined,
  allKnown: boolean,
  windowStart: string,
): IdentityInput['lastUsed'] {
  if (!activity?.queried.has(clientId)) return null;
  const at = activity.lastUsed.get(clientId);
  if (at) return { at, source: LAST_USE_SOURCE };
  const earlier = activity.earlierLastUse.get(clientId);
  if (earlier) return earlier;
  if (allKnown) return { at: null, source: `${LAST_USE_SOURCE} (none since granted)` };
  return {
    at: windowStart,
    source: `${LAST_USE_SOURCE} (none in the audit window; last use, if any, was before this time)`,
  };
}
