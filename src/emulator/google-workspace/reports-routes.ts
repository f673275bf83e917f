import type { admin_reports_v1 } from '@googleapis/admin';
import type { EmulatorContext } from '../platform.js';
import type { EmuRequest, Route } from '../router.js';
import type { EventFilter, EventRec, WorkspaceData } from './data.js';
import { type ApiFamily, googleError, invalidArgument } from './google-errors.js';
import { checkAccess } from './oauth.js';
import { decodePageToken, encodePageToken, etagOf, isResponse, ok, pageSize } from './protocol.js';
import { ACTIVITIES_SHAPE } from './shapes.js';

const ACTIVITIES_LIST: ApiFamily = {
  service: 'admin.googleapis.com',
  legacy: true,
  method: 'google.admin.AdminService.listActivities',
};
const AUDIT_SCOPES = ['https://www.googleapis.com/auth/admin.reports.audit.readonly'];

/** Applications the Reports API knows; the emulator has events for `token` and `admin` only. */
const KNOWN_APPLICATIONS = new Set([
  'access_transparency',
  'admin',
  'calendar',
  'chat',
  'chrome',
  'context_aware_access',
  'data_studio',
  'drive',
  'gcp',
  'groups',
  'groups_enterprise',
  'jamboard',
  'keep',
  'login',
  'meet',
  'mobile',
  'rules',
  'saml',
  'token',
  'user_accounts',
  'vault',
]);

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

/** `filters=client_id==abc,app_name<>x`: event parameters compared with == or <> (the operators used here). */
function parseFilters(raw: string | null): EventFilter[] | null {
  if (!raw) return [];
  const out: EventFilter[] = [];
  for (const part of raw.split(',')) {
    const m = /^([A-Za-z_]+)(==|<>)(.*)$/.exec(part.trim());
    if (!m) return null;
    out.push({ name: m[1]!, op: m[2] as '==' | '<>', value: m[3]! });
  }
  return out;
}

function parseTime(raw: string | null): number | null | undefined {
  if (raw == null || raw === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(raw)) return null;
  const t = Date.parse(raw);
  return Number.isNaN(t) ? null : t;
}

export function reportsRoutes(data: () => WorkspaceData | undefined, ctx: EmulatorContext): Route[] {
  return [
    {
      service: 'google',
      method: 'GET',
      pattern: '/admin/reports/v1/activity/users/{userKey}/applications/{applicationName}',
      handler: (req: EmuRequest) => {
        const world = data();
        if (!world) return googleError(404, 'Not Found', { reason: 'notFound' });
        const access = checkAccess(req, ctx, world, {
          scopes: AUDIT_SCOPES,
          admin: true,
          api: ACTIVITIES_LIST,
        });
        if (isResponse(access)) return access;
        const app = req.params.applicationName!;
        if (!KNOWN_APPLICATIONS.has(app)) {
          return invalidArgument(ACTIVITIES_LIST, `Invalid value '${app}' for applicationName`);
        }
        const customerId = req.query.get('customerId');
        if (customerId && customerId !== world.customer.id) {
          return googleError(403, 'Not Authorized to access this resource/api', { reason: 'forbidden' });
        }
        let actorId: string | null = null;
        const userKey = req.params.userKey!;
        if (userKey !== 'all') {
          const user = world.findUser(userKey);
          if (!user) return invalidArgument(ACTIVITIES_LIST, 'Bad Request: userKey');
          actorId = user.id;
        }
        const start = parseTime(req.query.get('startTime'));
        const end = parseTime(req.query.get('endTime'));
        if (start === null)
          return invalidArgument(ACTIVITIES_LIST, 'Invalid value for startTime (RFC 3339 expected)');
        if (end === null)
          return invalidArgument(ACTIVITIES_LIST, 'Invalid value for endTime (RFC 3339 expected)');
        // startTime must lie before endTime and before the time of the request (the world's clock here).
        if (start !== undefined && start > world.now.getTime()) {
          return invalidArgument(
            ACTIVITIES_LIST,
            'Start time must be less than or equal to the current time.',
          );
        }
        if (start !== undefined && end !== undefined && start > end) {
          return invalidArgument(ACTIVITIES_LIST, 'Start time must be less than or equal to end time.');
        }
        const filters = parseFilters(req.query.get('filters'));
        if (!filters) return invalidArgument(ACTIVITIES_LIST, 'Invalid value for filters');
        const max = pageSize(req, ACTIVITIES_LIST, 'maxResults', { def: 1000, max: 1000, clamp: false });
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
