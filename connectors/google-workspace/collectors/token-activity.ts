import { type CallSpec, callGoogle } from '../api.js';
import { COLLECTOR, eachPage, type GoogleScan } from '../scan-context.js';
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

/** What the Reports `token` log says about grants and use within the audit window. */
export interface TokenActivity {
  /** Latest `authorize` per (client id, user id): when the current grant was given. */
  readonly authorizedAt: Map<string, string>;
  readonly authorizeEvents: Map<string, number>;
  readonly revokeEvents: Map<string, number>;
  readonly lastRevokedAt: Map<string, string>;
  /** Latest `activity` (API call) per client id. */
  readonly lastUsed: Map<string, string>;
  /** Client ids whose last use was looked up (absence from lastUsed then means: no use in the window). */
  readonly queried: Set<string>;
}

export function emptyTokenActivity(): TokenActivity {
  return {
    authorizedAt: new Map(),
    authorizeEvents: new Map(),
    revokeEvents: new Map(),
    lastRevokedAt: new Map(),
    lastUsed: new Map(),
    queried: new Set(),
  };
}

function bump(m: Map<string, number>, k: string) {
  m.set(k, (m.get(k) ?? 0) + 1);
}

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
      if (!clientId) continue;
      bump(out.authorizeEvents, clientId);
      if (!userId) continue;
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
      bump(out.revokeEvents, clientId);
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
      `${a} authorize and ${r} revoke events. Grants older than the window have no grant time, and an app without ` +
      `API activity in the window is reported as last used before ${from}.`,
  );
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
