import type { admin_reports_v1 } from '@googleapis/admin';
import type { EmulatorContext } from '../platform.js';
import type { EmuRequest, Route } from '../router.js';
import type { EventFilter, EventRec, WorkspaceData } from './data.js';
import { notAuthorized } from './directory-routes.js';
import { ACTIVITIES_LIST as ACTIVITIES_LIST_FACTS } from './discovery-facts.js';
import { type ApiFamily, googleError, invalidArgument, invalidParameter } from './google-errors.js';
import { checkAccess } from './oauth.js';
import { checkParams } from './param-rules.js';
import { decodePageToken, encodePageToken, etagOf, isResponse, ok, pageSize } from './protocol.js';
import { googleRouteFaults } from './route-faults.js';
import { ACTIVITIES_SHAPE } from './shapes.js';

const ACTIVITIES_LIST: ApiFamily = {
  service: 'admin.googleapis.com',
  legacy: true,
  method: 'google.admin.AdminService.listActivities',
};
export function activityResource(e: EventRec, world: WorkspaceData): admin_reports_v1.Schema$Activity {
  return {
    kind: 'admin#reports#activity',
    id: {
      time: e.time,
      uniqueQualifier: e.uniqueQualifier,
      applicationName: e.app,
      customerId: world.customer.id,
    },
    etag: etagOf('activity', e.uniqueQualifier, e.time),
    actor: { callerType: 'USER', email: e.actorEmail, profileId: e.actorProfileId },
    ipAddress: e.ipAddress,
    ownerDomain: world.customer.domain,
    events: [{ type: e.type, name: e.name, parameters: e.params }],
  };
}

/**
 * `filters=client_id==abc,app_name<>x`: event parameters compared with `==`, `<>`, `<`, `<=`, `>`, `>=`,
 * comma-separated (discovery `parameters.filters.description` of reports.activities.list).
 */
function parseFilters(raw: string | null): EventFilter[] | null {
  if (!raw) return [];
  const out: EventFilter[] = [];
  for (const part of raw.split(',')) {
    const m = /^([A-Za-z0-9_]+)(==|<>|<=|>=|<|>)(.*)$/.exec(part.trim());
    if (!m) return null;
    out.push({ name: m[1]!, op: m[2] as EventFilter['op'], value: m[3]! });
  }
  return out;
}

/** Epoch ms of an RFC 3339 time that `checkParams` has matched against the discovery pattern. */
function timeOf(raw: string | null): number | undefined {
  return raw ? Date.parse(raw) : undefined;
}

export function reportsRoutes(data: () => WorkspaceData | undefined, ctx: EmulatorContext): Route[] {
  return [
    {
      service: 'google',
      method: 'GET',
      pattern: '/admin/reports/v1/activity/users/{userKey}/applications/{applicationName}',
      faults: googleRouteFaults(ACTIVITIES_LIST, { permissionDenied: notAuthorized, paged: true }),
      handler: (req: EmuRequest) => {
        const world = data();
        if (!world) return googleError(404, 'Not Found', { reason: 'notFound' });
        const access = checkAccess(req, ctx, world, {
          scopes: ACTIVITIES_LIST_FACTS.scopes,
          admin: true,
          api: ACTIVITIES_LIST,
        });
        if (isResponse(access)) return access;
        const app = req.params.applicationName!;
        // applicationName enum/pattern, customerId, startTime/endTime (RFC 3339), filters, groupIdFilter and
        // orgUnitID patterns, maxResults 1–1000: all from the discovery document.
        const invalid = checkParams(req, ACTIVITIES_LIST_FACTS, ACTIVITIES_LIST, { applicationName: app });
        if (invalid) return invalid;
        const customerId = req.query.get('customerId');
        if (customerId && customerId !== 'my_customer' && customerId !== world.customer.id) {
          return notAuthorized();
        }
        let actorId: string | null = null;
        const userKey = req.params.userKey!;
        if (userKey !== 'all') {
          const user = world.findUser(userKey);
          // Google documents no wording for an unknown userKey here; 400 with the key named.
          if (!user) return invalidArgument(ACTIVITIES_LIST, 'Bad Request: userKey');
          actorId = user.id;
        }
        const start = timeOf(req.query.get('startTime'));
        const end = timeOf(req.query.get('endTime'));
        // "The startTime must be before the endTime (if specified) and the current time when the request
        // is made, or the API returns an error", and a startTime more than 180 days back reads the last 180
        // days (discovery, startTime/endTime descriptions). A window that ends before the retained log
        // starts is refused the same way: 400 "Invalid request: Start time is after end time."
        // (googleapis/google-api-python-client#148, for startTime/endTime both older than 180 days).
        const retainedFrom = world.now.getTime() - world.retentionDays * 86_400_000;
        const effectiveStart = start === undefined ? undefined : Math.max(start, retainedFrom);
        if (
          effectiveStart !== undefined &&
          (effectiveStart > world.now.getTime() || (end !== undefined && effectiveStart > end))
        ) {
          return invalidParameter(
            ACTIVITIES_LIST,
            'startTime',
            'Invalid request: Start time is after end time.',
          );
        }
        const filters = parseFilters(req.query.get('filters'));
        if (!filters) {
          return invalidParameter(
            ACTIVITIES_LIST,
            'filters',
            `Invalid value '${req.query.get('filters')}'. Values must match the following regular expression: '${ACTIVITIES_LIST_FACTS.params.filters!.pattern}'`,
          );
        }
        const max = pageSize(req, ACTIVITIES_LIST, 'maxResults', { def: 1000, max: 1000 });
        if (isResponse(max)) return max;
        const page = decodePageToken(req, ACTIVITIES_LIST);
        if (isResponse(page)) return page;
        const body: admin_reports_v1.Schema$Activities = {
          kind: 'admin#reports#activities',
          etag: etagOf('activities', req.query.toString()),
        };
        if (app === 'token' || app === 'admin') {
          const { items, cursor } = world.events(
            {
              app,
              eventName: req.query.get('eventName') || null,
              start: start ?? 0,
              end: end ?? Number.MAX_SAFE_INTEGER,
              filters,
              actorId,
            },
            page.cursor,
            max,
          );
          if (items.length > 0) body.items = items.map((e) => activityResource(e, world));
          if (cursor) body.nextPageToken = encodePageToken(req, cursor);
        }
        return ok(req, ACTIVITIES_LIST, body, ACTIVITIES_SHAPE);
      },
    },
  ];
}
