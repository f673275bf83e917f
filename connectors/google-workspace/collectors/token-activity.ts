import { defineCollector } from '../../../src/connector/collector.js';
import type { ConnectorContext } from '../../../src/connector/context.js';
import type { UsageSignal } from '../../../src/model/index.js';
import { SCOPES } from '../auth.js';
import { type CallSpec, callGoogle, eachPage } from '../client.js';
import type { PreviousOAuthClient } from '../previous-scan.js';
import { ActivitiesPage, type Activity, parameterValues } from '../schema.js';
import { type GoogleSession, previousOverlapsWindow, previousScan } from '../session.js';

export const TOKEN_EVENTS_SPEC: CallSpec = {
  api: 'Admin SDK Reports API',
  method: 'GET',
  path: '/admin/reports/v1/activity/users/all/applications/token',
  requiredPermission:
    'domain-wide delegation of https://www.googleapis.com/auth/admin.reports.audit.readonly; the subject needs the Reports admin privilege',
};

const LIST_FIELDS = 'nextPageToken,items(id/time,actor/profileId,events(name,parameters(name,value)))';

export const LAST_USE_SOURCE = 'google-workspace:reports.token.activity';

export function pairKey(clientId: string, userId: string): string {
  return `${clientId}|${userId}`;
}

/**
 * What the Reports `token` log says about grants within the audit window, completed with what the
 * previous scan saw when its window overlaps this one (events that have aged out since). Only facts that
 * stay true are kept — when a grant was given, when an app was last used or revoked — not counts of events
 * in the window, which would change every time one ages out.
 */
export interface TokenHistory {
  /** Latest `authorize` per (client id, user id): when the current grant was given. */
  readonly authorizedAt: Map<string, string>;
  readonly lastRevokedAt: Map<string, string>;
  /** The previous scan's last-use signal per client id, for apps with no use in this window. */
  readonly earlierLastUse: Map<string, UsageSignal>;
}

/** Last use per app (the newest `activity` event of each client id). */
export interface LastUse {
  /** Client ids whose last use was looked up (absence from lastUsed then means: no use in the window). */
  readonly queried: Set<string>;
  /** Latest `activity` (API call) per client id. */
  readonly lastUsed: Map<string, string>;
}

/** The whole token log picture an app's record is built from. */
export interface TokenActivity extends TokenHistory, LastUse {}

/**
 * Last use as the oauth-grants collector's fetch read it (see `readLastUse`): read, failed, or not read
 * (null failure: this collector had failed already, so it would not be used).
 */
export type LastUseRead = { ok: true; lastUse: LastUse } | { ok: false; failure: unknown };

export function emptyTokenHistory(): TokenHistory {
  return { authorizedAt: new Map(), lastRevokedAt: new Map(), earlierLastUse: new Map() };
}

/**
 * Grant and revoke history from the Reports token log, and last use of each app. Last use is looked up
 * per app, so it needs the apps: the oauth-grants collector's fetch reads it once it has them
 * (`readLastUse`, its requests counted here), and a failure there fails this collector (`transform`,
 * which waits for oauth-grants' fetch).
 */
export const tokenActivity = defineCollector<GoogleSession, TokenHistory>({
  name: 'token-activity',
  description: 'Grant, revoke and last-use history of OAuth apps from the Reports token audit log',
  permissions: [`domain-wide delegation of ${SCOPES.audit}`, 'admin privilege Reports'],
  enrichedBy: ['oauth-grants'],
  async fetch(session, { name, ctx }) {
    const history = emptyTokenHistory();
    const [a, r] = await Promise.all([
      listEvents(session, 'authorize', (e) => addAuthorize(history, e)),
      listEvents(session, 'revoke', (e) => addRevoke(history, e)),
    ]);
    ctx.coverage.countItems(name, a + r);
    ctx.coverage.note(
      name,
      `Reports token log read from ${session.windowStart.toISOString()} to ${session.now.toISOString()} (${session.config.auditWindowDays} days; Google keeps about 180): ` +
        `${a} authorize and ${r} revoke events. Grant times, last use and last revocation that earlier scans saw ` +
        `are kept when their events age out; a grant older than what any scan has read has no grant time, and an ` +
        `app with no API activity since is reported as last used before the start of the first window that showed none.`,
    );
    const previous = previousScan(session);
    if (previous.scanId === null) return history;
    if (!previousOverlapsWindow(previous, session.windowStart)) {
      ctx.coverage.note(
        name,
        `the previous scan (#${previous.scanId}, ${previous.scannedAt ?? 'time unknown'}) is older than the window ` +
          `start ${session.windowStart.toISOString()}: grant times and last use seen only by it are not carried over.`,
      );
      return history;
    }
    const grantTimes = carryEarlierActivity(history, previous.oauthClients);
    if (grantTimes > 0) {
      ctx.coverage.note(
        name,
        `${grantTimes} grant times whose authorize event is no longer in the window were kept from scan #${previous.scanId}.`,
      );
    }
    return history;
  },
  transform(_history, _session, run) {
    const grants = run.optional<{ lastUse: LastUseRead }>('oauth-grants');
    if (grants && !grants.lastUse.ok && grants.lastUse.failure) throw grants.lastUse.failure;
    return [];
  },
});

/** One page of the Reports `token` log within the scan's window. */
function tokenLogPage(
  session: GoogleSession,
  query: { eventName: string; maxResults: number; fields: string; pageToken?: string; filters?: string },
) {
  const { apis, windowStart, now } = session;
  return callGoogle(apis, TOKEN_EVENTS_SPEC, ActivitiesPage, () =>
    apis.reports.activities.list({
      userKey: 'all',
      applicationName: 'token',
      startTime: windowStart.toISOString(),
      endTime: now.toISOString(),
      ...query,
    }),
  );
}

async function listEvents(
  session: GoogleSession,
  eventName: string,
  onEvent: (a: Activity) => void,
): Promise<number> {
  let count = 0;
  await eachPage(
    TOKEN_EVENTS_SPEC,
    (pageToken) => tokenLogPage(session, { eventName, maxResults: 1000, pageToken, fields: LIST_FIELDS }),
    (page) => {
      for (const a of page.items ?? []) {
        count += 1;
        onEvent(a);
      }
    },
  );
  return count;
}

/** An `authorize` activity: the grant time of (app, user), the latest one winning. */
export function addAuthorize(history: TokenHistory, a: Activity): void {
  for (const e of a.events ?? []) {
    if (e.name !== 'authorize') continue;
    const clientId = parameterValues(e.parameters, 'client_id')[0];
    const userId = a.actor?.profileId;
    if (!clientId || !userId) continue;
    const k = pairKey(clientId, userId);
    const prev = history.authorizedAt.get(k);
    if (!prev || prev < a.id.time) history.authorizedAt.set(k, a.id.time);
  }
}

/** A `revoke` activity: the app's last revocation. */
export function addRevoke(history: TokenHistory, a: Activity): void {
  for (const e of a.events ?? []) {
    if (e.name !== 'revoke') continue;
    const clientId = parameterValues(e.parameters, 'client_id')[0];
    if (!clientId) continue;
    const prev = history.lastRevokedAt.get(clientId);
    if (!prev || prev < a.id.time) history.lastRevokedAt.set(clientId, a.id.time);
  }
}

/**
 * Keep what the previous scan knew about events that have aged out of this window: grant times per
 * (app, user), last revocation and last use per app. Only call it when the previous scan ran inside this
 * window, so that the two windows together leave no gap in which something could have happened unseen.
 * Window events read by this scan win. Returns how many grant times were kept.
 */
export function carryEarlierActivity(
  history: TokenHistory,
  previous: ReadonlyMap<string, PreviousOAuthClient>,
): number {
  let grantTimes = 0;
  for (const [clientId, app] of previous) {
    for (const [userId, at] of app.grantedAtByUser) {
      const k = pairKey(clientId, userId);
      if (history.authorizedAt.has(k)) continue;
      history.authorizedAt.set(k, at);
      grantTimes += 1;
    }
    const revoked = app.activityAttributes.lastRevokedAt;
    if (typeof revoked === 'string' && !history.lastRevokedAt.has(clientId))
      history.lastRevokedAt.set(clientId, revoked);
    // An actual time only: "never used since granted" is recomputed from the grant times.
    if (app.lastUsed?.at && app.lastUsed.source.startsWith(LAST_USE_SOURCE)) {
      history.earlierLastUse.set(clientId, app.lastUsed);
    }
  }
  return grantTimes;
}

/** Pages of the whole activity log read before falling back to one lookup per app (see `readLastUse`). */
export const ACTIVITY_LOG_PAGES = 10;

const ACTIVITY_FIELDS = 'nextPageToken,items(id/time,events(name,parameters(name,value)))';

/**
 * Last use per app: the newest `activity` event of each client id. The log comes newest first (the same
 * order the per-app lookup with maxResults=1 relies on), so an app's first event in it is its last use.
 * It is read a page (1,000 events) at a time while that costs fewer requests than looking up the apps
 * not seen yet, one request each (`filters=client_id==…`, maxResults=1), and for at most
 * `ACTIVITY_LOG_PAGES` pages, which keep to one round trip each; the apps still unseen are then looked up
 * one by one, concurrently. In a small domain the whole log is a few pages; in a large one the per-app
 * lookups are far fewer than the log's pages (a page per 1,000 API calls the apps made).
 */
export async function readLastUse(
  session: GoogleSession,
  ctx: ConnectorContext,
  clientIds: Iterable<string>,
): Promise<LastUse> {
  const wanted = new Set(clientIds);
  const out: LastUse = { queried: new Set(), lastUsed: new Map() };
  if (wanted.size === 0) return out;
  let logRead = true;
  let pages = 0;
  await eachPage(
    TOKEN_EVENTS_SPEC,
    (pageToken) =>
      tokenLogPage(session, { eventName: 'activity', maxResults: 1000, pageToken, fields: ACTIVITY_FIELDS }),
    (page) => {
      pages += 1;
      for (const a of page.items ?? []) {
        for (const e of a.events ?? []) {
          const clientId = parameterValues(e.parameters, 'client_id')[0];
          if (clientId && wanted.has(clientId) && !out.lastUsed.has(clientId))
            out.lastUsed.set(clientId, a.id.time);
        }
      }
      if (!page.nextPageToken) return true;
      const unseen = wanted.size - out.lastUsed.size;
      if (unseen === 0) return false;
      if (pages >= unseen || pages >= ACTIVITY_LOG_PAGES) {
        logRead = false;
        return false;
      }
      return true;
    },
  );
  const rest = logRead ? [] : [...wanted].filter((id) => !out.lastUsed.has(id));
  await Promise.all(
    rest.map((clientId) =>
      ctx.limit(async () => {
        const page = await tokenLogPage(session, {
          eventName: 'activity',
          filters: `client_id==${clientId}`,
          maxResults: 1,
          fields: 'items(id(time))',
        });
        const t = page.items?.[0]?.id.time;
        if (t) out.lastUsed.set(clientId, t);
      }),
    ),
  );
  // Every app was asked about: by the whole log, by its first events, or by its own lookup.
  for (const id of wanted) out.queried.add(id);
  return out;
}
