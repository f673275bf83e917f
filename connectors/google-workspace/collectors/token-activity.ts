import type { UsageSignal } from '../../../src/model/index.js';
import { type CallSpec, callGoogle } from '../api.js';
import { COLLECTOR, eachPage, type GoogleScan, previousOverlapsWindow } from '../scan-context.js';
import { ActivitiesPage, type Activity, parameterValues } from '../schema.js';

export const TOKEN_EVENTS_SPEC: CallSpec = {
  api: 'Admin SDK Reports API',
  method: 'GET',
  path: '/admin/reports/v1/activity/users/all/applications/token',
  requiredPermission:
    'domain-wide delegation of https://www.googleapis.com/auth/admin.reports.audit.readonly; the subject needs the Reports admin privilege',
};

const LIST_FIELDS = 'nextPageToken,items(id/time,actor/profileId,events(name,parameters(name,value)))';

export function pairKey(clientId: string, userId: string): string {
  return `${clientId}|${userId}`;
}

/**
 * What the Reports `token` log says about grants and use within the audit window, completed with what the
 * previous scan saw when its window overlaps this one (events that have aged out since). Only facts that
 * stay true are kept — when a grant was given, when an app was last used or revoked — not counts of events
 * in the window, which would change every time one ages out.
 */
export interface TokenActivity {
  /** Latest `authorize` per (client id, user id): when the current grant was given. */
  readonly authorizedAt: Map<string, string>;
  readonly lastRevokedAt: Map<string, string>;
  /** Latest `activity` (API call) per client id. */
  readonly lastUsed: Map<string, string>;
  /** Client ids whose last use was looked up (absence from lastUsed then means: no use in the window). */
  readonly queried: Set<string>;
  /** The previous scan's last-use signal per client id, for apps with no use in this window. */
  readonly earlierLastUse: Map<string, UsageSignal>;
}

export function emptyTokenActivity(): TokenActivity {
  return {
    authorizedAt: new Map(),
    lastRevokedAt: new Map(),
    lastUsed: new Map(),
    queried: new Set(),
    earlierLastUse: new Map(),
  };
}

export const LAST_USE_SOURCE = 'google-workspace:reports.token.activity';

async function listEvents(
  scan: GoogleScan,
  eventName: string,
  onEvent: (a: Activity) => void,
): Promise<number> {
  const { apis, windowStart, now } = scan;
  let count = 0;
  await eachPage(
    TOKEN_EVENTS_SPEC,
    (pageToken) =>
      callGoogle(apis, TOKEN_EVENTS_SPEC, ActivitiesPage, () =>
        apis.reports.activities.list({
          userKey: 'all',
          applicationName: 'token',
          eventName,
          startTime: windowStart.toISOString(),
          endTime: now.toISOString(),
          maxResults: 1000,
          pageToken,
          fields: LIST_FIELDS,
        }),
      ),
    (page) => {
      for (const a of page.items ?? []) {
        count += 1;
        onEvent(a);
      }
    },
  );
  return count;
}

/** Grant and revoke history: every `authorize` and `revoke` event in the window (1,000 a page). */
export async function collectGrantHistory(scan: GoogleScan, out: TokenActivity): Promise<void> {
  const authorize = listEvents(scan, 'authorize', (a) => {
    for (const e of a.events ?? []) {
      if (e.name !== 'authorize') continue;
      const clientId = parameterValues(e.parameters, 'client_id')[0];
      const userId = a.actor?.profileId;
      if (!clientId || !userId) continue;
      const k = pairKey(clientId, userId);
      const prev = out.authorizedAt.get(k);
      if (!prev || prev < a.id.time) out.authorizedAt.set(k, a.id.time);
    }
  });
  const revoke = listEvents(scan, 'revoke', (a) => {
    for (const e of a.events ?? []) {
      if (e.name !== 'revoke') continue;
      const clientId = parameterValues(e.parameters, 'client_id')[0];
      if (!clientId) continue;
      const prev = out.lastRevokedAt.get(clientId);
      if (!prev || prev < a.id.time) out.lastRevokedAt.set(clientId, a.id.time);
    }
  });
  const [a, r] = await Promise.all([authorize, revoke]);
  scan.ctx.coverage.countItems(COLLECTOR.tokenActivity, a + r);
  const from = scan.windowStart.toISOString();
  scan.ctx.coverage.note(
    COLLECTOR.tokenActivity,
    `Reports token log read from ${from} to ${scan.now.toISOString()} (${scan.config.auditWindowDays} days; Google keeps about 180): ` +
      `${a} authorize and ${r} revoke events. Grant times, last use and last revocation that earlier scans saw ` +
      `are kept when their events age out; a grant older than what any scan has read has no grant time, and an ` +
      `app with no API activity since is reported as last used before the start of the first window that showed none.`,
  );
}

/**
 * Keep what the previous scan knew about events that have aged out of this window: grant times per
 * (app, user), last revocation and last use per app. Only when the previous scan ran inside this window,
 * so that the two windows together leave no gap in which something could have happened unseen. Window
 * events read by this scan win.
 */
export async function carryEarlierActivity(scan: GoogleScan, out: TokenActivity): Promise<void> {
  const { previous, coverage } = scan.ctx;
  if (previous.scanId === null) return;
  if (!previousOverlapsWindow(scan)) {
    coverage.note(
      COLLECTOR.tokenActivity,
      `the previous scan (#${previous.scanId}, ${previous.scannedAt ?? 'time unknown'}) is older than the window ` +
        `start ${scan.windowStart.toISOString()}: grant times and last use seen only by it are not carried over.`,
    );
    return;
  }
  let grantTimes = 0;
  for await (const bundle of previous.bundles({ kinds: ['oauth-client'] })) {
    const app = bundle.identity;
    if (!app) continue;
    const clientId = app.nativeId;
    for (const g of bundle.grants) {
      if (!g.grantedAt || !g.principal) continue;
      const k = pairKey(clientId, g.principal.id);
      if (out.authorizedAt.has(k)) continue;
      out.authorizedAt.set(k, g.grantedAt);
      grantTimes += 1;
    }
    const revoked = app.attributes.lastRevokedAt;
    if (typeof revoked === 'string' && !out.lastRevokedAt.has(clientId))
      out.lastRevokedAt.set(clientId, revoked);
    // An actual time only: "never used since granted" is recomputed from the grant times.
    if (app.lastUsed?.at && app.lastUsed.source.startsWith(LAST_USE_SOURCE)) {
      out.earlierLastUse.set(clientId, app.lastUsed);
    }
  }
  if (grantTimes > 0) {
    coverage.note(
      COLLECTOR.tokenActivity,
      `${grantTimes} grant times whose authorize event is no longer in the window were kept from scan #${previous.scanId}.`,
    );
  }
}

/**
 * Last use per app: the newest `activity` event of each client id (`filters=client_id==…`, maxResults=1),
 * one request per app. Reading every activity event instead would cost a page per 1,000 API calls the
 * apps made, which in a large domain is far more than one request per app.
 */
export async function collectLastUse(
  scan: GoogleScan,
  clientIds: Iterable<string>,
  out: TokenActivity,
): Promise<void> {
  const { apis, ctx, windowStart, now } = scan;
  await Promise.all(
    [...clientIds].map((clientId) =>
      ctx.limit(async () => {
        const page = await callGoogle(apis, TOKEN_EVENTS_SPEC, ActivitiesPage, () =>
          apis.reports.activities.list({
            userKey: 'all',
            applicationName: 'token',
            eventName: 'activity',
            filters: `client_id==${clientId}`,
            startTime: windowStart.toISOString(),
            endTime: now.toISOString(),
            maxResults: 1,
            fields: 'items(id(time))',
          }),
        );
        out.queried.add(clientId);
        const t = page.items?.[0]?.id.time;
        if (t) out.lastUsed.set(clientId, t);
      }),
    ),
  );
}
