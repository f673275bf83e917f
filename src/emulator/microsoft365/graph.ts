import type { IncomingHttpHeaders } from 'node:http';
import type { EmulatorContext } from '../platform.js';
import {
  type EmuRequest,
  type EmuResponse,
  type Handler,
  type Route,
  type RouteFaults,
  Router,
} from '../router.js';
import { AUDIT_PERMISSIONS, OwnerAuditLog } from './audit-log.js';
import {
  type BatchStep,
  type InnerResponse,
  innerError,
  JSON_HEADERS,
  parseBatch,
  splitOnce,
} from './batch.js';
import * as build from './builders.js';
import { DeltaTracker, deltaPage } from './delta.js';
import type {
  AppRecord,
  AssignmentRecord,
  Collection,
  GrantRecord,
  M365Directory,
  OwnerRecord,
  SignInRecord,
  SpRecord,
} from './directory.js';
import { verifyAccessToken } from './login.js';
import {
  DIRECTORY_MAX_TOP,
  entity,
  graphError,
  listPage,
  ODataError,
  type QueryOption,
  type QuerySpec,
} from './odata.js';
import type { Microsoft365Section } from './schema.js';

export interface GraphState {
  dir: M365Directory;
  quirks: Microsoft365Section['quirks'];
}

/**
 * Application permissions that allow each read, as the "Application" row of each reference page's
 * permissions table lists them (least privileged first). `Application.ReadWrite.OwnedBy` is left out
 * of the lists and handled apart: it reaches only the objects the caller owns (see `ownedOnly`).
 */
export const GRAPH_PERMISSIONS = {
  // https://learn.microsoft.com/graph/api/serviceprincipal-list#permissions,
  // …/serviceprincipal-get#permissions, …/application-list#permissions
  applications: ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All'],
  // https://learn.microsoft.com/graph/api/serviceprincipal-list-owners#permissions,
  // …/application-list-owners#permissions, …/serviceprincipal-list-approleassignedto#permissions
  relationships: [
    'Application.Read.All',
    'Application.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
  // https://learn.microsoft.com/graph/api/oauth2permissiongrant-list#permissions: Directory.Read.All,
  // DelegatedPermissionGrant.ReadWrite.All, Directory.ReadWrite.All (no DelegatedPermissionGrant.Read.All).
  grants: ['Directory.Read.All', 'DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All'],
  // https://learn.microsoft.com/graph/api/user-list#permissions and …/user-get#permissions: the
  // Application row has no User.ReadBasic.All.
  users: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  // https://learn.microsoft.com/graph/api/reportroot-list-serviceprincipalsigninactivities?view=graph-rest-beta#permissions
  signIns: ['AuditLog.Read.All', 'Directory.Read.All'],
} as const;

/** "Allows the app to … manage only the applications that it creates or owns" (permissions-overview). */
const OWNED_BY = 'Application.ReadWrite.OwnedBy';

/**
 * Reading users' properties in a directoryObject collection (owners) needs a permission that reads
 * users; without one, "members of that type are returned but with limited information ... only the
 * @odata.type property for the object type and the id is returned, while other properties are
 * indicated as null" (https://learn.microsoft.com/graph/api/serviceprincipal-list-owners,
 * …/user-list-ownedobjects; permissions-overview#limited-information-returned-for-inaccessible-member-objects:
 * "To read the basic properties of a group's members that are users, the app needs at least the
 * User.Read.All permission"). User.ReadBasic.All is not among the user-reading application
 * permissions of user-list / user-get, and its basic profile has no accountEnabled anyway.
 */
const READS_USERS: readonly string[] = GRAPH_PERMISSIONS.users;

/** Entity sets and singletons at a version root that the emulator serves. */
const ROOT_SEGMENTS = new Set([
  'servicePrincipals',
  'applications',
  'users',
  'oauth2PermissionGrants',
  'reports',
  'auditLogs',
]);

/**
 * A user's default properties: "By default, only a limited set of properties are returned (
 * businessPhones, displayName, givenName, id, jobTitle, mail, mobilePhone, officeLocation,
 * preferredLanguage, surname, userPrincipalName)" (https://learn.microsoft.com/graph/api/user-list,
 * …/user-get).
 */
const USER_DEFAULT_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'id',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
] as const;

/** OData query options of directory-object lists: "$count, $expand, $filter, $orderby, $search, $select, and $top". */
const DIRECTORY_LIST: readonly QueryOption[] = [
  '$count',
  '$expand',
  '$filter',
  '$orderby',
  '$search',
  '$select',
  '$top',
];

/**
 * `$filter` on `id`: "id | eq: Default, ne: Advanced, NOT: Advanced" (aad-advanced-queries,
 * "Support for filter by properties of directory objects"); the types' generic `entity.id`
 * description does not repeat it.
 */
const ID_FILTER = { id: 'eq in ne not' } as const;

const notFound = (req: EmuRequest, id: string) =>
  graphError(
    req,
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

/** Graph's 401, with the challenge Graph sends (quoted in Microsoft365DSC/Microsoft365DSC#4427). */
const unauthenticated = (req: EmuRequest, message: string) =>
  graphError(req, 401, 'InvalidAuthenticationToken', message, {
    'www-authenticate': `Bearer realm="", authorization_uri="${req.origin}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
  });

const insufficientPrivileges = (req: EmuRequest) =>
  graphError(req, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');

/**
 * How a Graph route answers the faults that must look like Graph's own responses:
 * - an expired token: 401 InvalidAuthenticationToken "Lifetime validation failed, the token is
 *   expired." (the message `verifyAccessToken` gives a token past `exp`; as Graph sends it in
 *   Microsoft365DSC/Microsoft365DSC#4427 and s1t5/mail-archiver#267);
 * - a missing permission: 403 Authorization_RequestDenied, as `guarded` answers it;
 * - a missing object (routes under an `{id}`): 404 Request_ResourceNotFound, as the routes answer it;
 * - a paging loop: an `@odata.nextLink` that is the URL just requested ("the response includes a URL
 *   in an @odata.nextLink property ... to retrieve the next page", https://learn.microsoft.com/graph/paging).
 */
function graphRouteFaults(pattern: string): RouteFaults {
  const faults: RouteFaults = {
    tokenExpired: (req) => unauthenticated(req, 'Lifetime validation failed, the token is expired.'),
    permissionDenied: insufficientPrivileges,
    loopPaging: (req, resp) => {
      const body = resp.body as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object' || !Array.isArray(body.value)) return null;
      const query = [...req.query].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
      return {
        ...resp,
        body: { ...body, '@odata.nextLink': `${req.origin}${req.path}${query ? `?${query}` : ''}` },
      };
    },
  };
  if (pattern.includes('{id}')) faults.notFound = (req) => notFound(req, req.params.id ?? '');
  return faults;
}

const list = <T>(items: T[]): Collection<T> => ({ slots: items.length, at: (i) => items[i] });
const none: Collection<never> = { slots: 0, at: () => undefined };

interface Caller {
  roles: ReadonlySet<string>;
  /** Only Application.ReadWrite.OwnedBy: the caller reads only objects it owns (none in a world). */
  ownedOnly: boolean;
}

/**
 * Microsoft Graph v1.0 and beta: the directory reads grantscope and similar tools make. Every call
 * needs a bearer token from this emulator's token endpoint (401 otherwise) and one of the
 * application permissions the reference page lists for that API (403 otherwise). Query options
 * are checked per endpoint (odata.ts) against the page and Microsoft's types.
 */
export function graphRoutes(state: () => GraphState | undefined, ctx: EmulatorContext): Route[] {
  // Kept across world changes (setWorld): the owner changes between two worlds become audit entries.
  const auditLog = new OwnerAuditLog();
  const guarded = (
    needs: readonly string[] | null,
    handler: (req: EmuRequest, dir: M365Directory, caller: Caller) => EmuResponse,
    ownedBy = false,
  ): Handler => {
    return (req) => {
      const s = state();
      if (!s) return { status: 404, body: { message: 'no microsoft365 section in this world' } };
      auditLog.observe(s.dir);
      const token = verifyAccessToken(ctx, s.dir, req.headers.authorization);
      if (!token.ok) return unauthenticated(req, token.message);
      const granted = !needs || needs.some((p) => token.roles.has(p));
      const ownedOnly = !granted && ownedBy && token.roles.has(OWNED_BY);
      if (!granted && !ownedOnly) return insufficientPrivileges(req);
      try {
        return handler(req, s.dir, { roles: token.roles, ownedOnly });
      } catch (err) {
        if (err instanceof ODataError) return graphError(req, err.status, err.code, err.message);
        throw err;
      }
    };
  };

  const routes: Route[] = [];
  const add = (method: string, pattern: string, handler: Handler) =>
    routes.push({ service: 'graph', method, pattern, handler, faults: graphRouteFaults(pattern) });

  for (const v of ['v1.0', 'beta'] as const) {
    const spBody = (sp: Parameters<typeof build.servicePrincipal>[0]) =>
      (v === 'beta' ? build.betaServicePrincipal(sp) : build.servicePrincipal(sp)) as unknown as Record<
        string,
        unknown
      >;
    const appBody = (a: Parameters<typeof build.application>[0]) =>
      (v === 'beta' ? build.betaApplication(a) : build.application(a)) as unknown as Record<string, unknown>;
    const assignmentBody = (a: AssignmentRecord) =>
      (v === 'beta' ? build.betaAppRoleAssignment(a) : build.appRoleAssignment(a)) as unknown as Record<
        string,
        unknown
      >;
    const userBody = (u: Parameters<typeof build.user>[0]) =>
      build.user(u) as unknown as Record<string, unknown>;
    /**
     * servicePrincipal `createdDateTime`: in neither the v1.0 nor the beta types, but "when using
     * Graph API via REST or in Graph Explorer, createdDateTime is returned for service principals"
     * (microsoftgraph/msgraph-sdk-java#2246, acknowledged; msgraph-sdk-dotnet#3062). Served and
     * selectable, as the service does.
     */
    const spExtra = ['createdDateTime'] as const;
    const ownersOf = (owners: OwnerRecord[] | undefined, caller: Caller) =>
      (owners ?? []).map((o) => build.owner(o, { readsUsers: READS_USERS.some((p) => caller.roles.has(p)) }));
    const ownersSpec: QuerySpec = {
      version: v,
      entityType: 'directoryObject',
      // owners are users or service principals: either's properties may be selected.
      alsoTypes: ['user', 'servicePrincipal'],
      options: DIRECTORY_LIST,
      maxTop: DIRECTORY_MAX_TOP,
      directoryObjects: true,
      extraFilters: ID_FILTER,
    };
    const spSpec: QuerySpec = {
      version: v,
      entityType: 'servicePrincipal',
      // serviceprincipal-list: "supports the $count, $expand, $filter, $orderBy, $search, $select,
      // and $top OData query parameters ... The default and maximum page sizes are 100 and 999".
      options: DIRECTORY_LIST,
      maxTop: DIRECTORY_MAX_TOP,
      directoryObjects: true,
      extraFilters: ID_FILTER,
      extraProperties: spExtra,
    };
    /** The world's reading of servicePrincipal.createdDateTime (see `quirks` in schema.ts). */
    const spSpecNow = (): QuerySpec =>
      state()?.quirks.refuseUndeclaredSelect ? { ...spSpec, extraProperties: [] } : spSpec;
    // serviceprincipal-get / application-get / user-get: "supports the $select" (and $expand) query parameters.
    const getOnly = (spec: QuerySpec): QuerySpec => ({ ...spec, options: ['$select', '$expand'] });
    const assignmentSpec: QuerySpec = {
      version: v,
      entityType: 'appRoleAssignment',
      // serviceprincipal-list-approleassignedto: "supports the OData query parameters"; directory
      // relationship (aad-advanced-queries lists appRoleAssignedTo among them).
      options: ['$count', '$filter', '$orderby', '$search', '$select', '$top'],
      maxTop: DIRECTORY_MAX_TOP,
      directoryObjects: true,
      extraFilters: { ...ID_FILTER, resourceId: 'eq', principalId: 'eq', appRoleId: 'eq' },
    };
    const apps = GRAPH_PERMISSIONS.applications;
    const rels = GRAPH_PERMISSIONS.relationships;
    const spOwners = (dir: M365Directory, caller: Caller) => (sp: SpRecord, name: string) =>
      name === 'owners' ? ownersOf(dir.ownersOfServicePrincipal(sp.id), caller) : [];

    add(
      'GET',
      `/${v}/servicePrincipals`,
      guarded(
        apps,
        (req, dir, caller) =>
          listPage({
            req,
            spec: spSpecNow(),
            collection: caller.ownedOnly ? none : dir.servicePrincipals,
            build: spBody,
            contextPath: 'servicePrincipals',
            expand: spOwners(dir, caller),
          }),
        true,
      ),
    );
    // Before `/servicePrincipals/{id}`: the router takes the first match. serviceprincipal-delta
    // permissions: Application.ReadWrite.OwnedBy, Application.Read.All, Application.ReadWrite.All,
    // Directory.Read.All, Directory.ReadWrite.All.
    const spDelta = new DeltaTracker();
    add(
      'GET',
      `/${v}/servicePrincipals/delta`,
      guarded(
        apps,
        (req, dir, caller) =>
          deltaPage({
            req,
            spec: spSpecNow(),
            collection: caller.ownedOnly ? none : dir.servicePrincipals,
            build: spBody,
            contextPath: 'servicePrincipals',
            tracker: spDelta,
            // Deleted service principals go to the directory's deleted items, restorable for 30 days.
            removedReason: 'changed',
          }),
        true,
      ),
    );
    add(
      'GET',
      `/${v}/servicePrincipals/{id}`,
      guarded(
        apps,
        (req, dir, caller) => {
          const sp = caller.ownedOnly ? undefined : dir.servicePrincipals.get(req.params.id!);
          if (!sp) return notFound(req, req.params.id!);
          return entity(req, getOnly(spSpecNow()), sp, spBody, 'servicePrincipals', spOwners(dir, caller));
        },
        true,
      ),
    );
    // Owners of a service principal or an application: the same directoryObject collection.
    for (const [collection, ownersOfObject] of [
      ['servicePrincipals', (dir: M365Directory, id: string) => dir.ownersOfServicePrincipal(id)],
      ['applications', (dir: M365Directory, id: string) => dir.ownersOfApplication(id)],
    ] as const) {
      add(
        'GET',
        `/${v}/${collection}/{id}/owners`,
        guarded(
          rels,
          (req, dir, caller) => {
            const owners = caller.ownedOnly ? undefined : ownersOfObject(dir, req.params.id!);
            if (!owners) return notFound(req, req.params.id!);
            return listPage({
              req,
              spec: ownersSpec,
              collection: list(ownersOf(owners, caller)),
              build: (o) => o,
              contextPath: 'directoryObjects',
            });
          },
          true,
        ),
      );
    }
    add(
      'GET',
      `/${v}/servicePrincipals/{id}/appRoleAssignments`,
      guarded(
        rels,
        (req, dir, caller) => {
          if (caller.ownedOnly || !dir.servicePrincipals.get(req.params.id!))
            return notFound(req, req.params.id!);
          return listPage({
            req,
            spec: assignmentSpec,
            collection: list(dir.appRoleAssignments(req.params.id!)),
            build: assignmentBody,
            contextPath: `servicePrincipals('${req.params.id}')/appRoleAssignments`,
          });
        },
        true,
      ),
    );
    add(
      'GET',
      `/${v}/servicePrincipals/{id}/appRoleAssignedTo`,
      guarded(
        rels,
        (req, dir, caller) => {
          if (caller.ownedOnly || !dir.servicePrincipals.get(req.params.id!))
            return notFound(req, req.params.id!);
          return listPage({
            req,
            spec: assignmentSpec,
            collection: dir.appRoleAssignedTo(req.params.id!),
            build: assignmentBody,
            contextPath: `servicePrincipals('${req.params.id}')/appRoleAssignedTo`,
          });
        },
        true,
      ),
    );
    // oauth2permissiongrant-delta permissions: Directory.Read.All, DelegatedPermissionGrant.ReadWrite.All,
    // Directory.ReadWrite.All (as the list).
    const grantDelta = new DeltaTracker();
    add(
      'GET',
      `/${v}/oauth2PermissionGrants/delta`,
      guarded(GRAPH_PERMISSIONS.grants, (req, dir) =>
        deltaPage({
          req,
          spec: {
            version: v,
            entityType: 'oAuth2PermissionGrant',
            options: ['$select'],
            directoryObjects: true,
          },
          collection: dir.oauth2PermissionGrants,
          build: build.oauth2PermissionGrant as unknown as (g: GrantRecord) => Record<string, unknown>,
          contextPath: 'oauth2PermissionGrants',
          tracker: grantDelta,
          // A deleted grant is gone for good (no deleted-items entry for oAuth2PermissionGrant).
          removedReason: 'deleted',
        }),
      ),
    );
    add(
      'GET',
      `/${v}/oauth2PermissionGrants`,
      guarded(GRAPH_PERMISSIONS.grants, (req, dir) =>
        listPage({
          req,
          spec: {
            version: v,
            entityType: 'oAuth2PermissionGrant',
            // oauth2permissiongrant-list: "supports the OData query parameters"; a directory object
            // (aad-advanced-queries). "This delay will be minimized if a filter on clientId is specified."
            options: ['$count', '$filter', '$select', '$top'],
            maxTop: DIRECTORY_MAX_TOP,
            directoryObjects: true,
            extraFilters: {
              ...ID_FILTER,
              clientId: 'eq',
              resourceId: 'eq',
              consentType: 'eq',
              principalId: 'eq',
            },
          },
          collection: dir.oauth2PermissionGrants,
          build: build.oauth2PermissionGrant as unknown as (g: GrantRecord) => Record<string, unknown>,
          contextPath: 'oauth2PermissionGrants',
        }),
      ),
    );
    const appSpec: QuerySpec = {
      version: v,
      entityType: 'application',
      // application-list: "supports the $count, $expand, $filter, $orderby, $search, $select, and
      // $top ... The default and maximum page sizes are 100 and 999 application objects".
      options: DIRECTORY_LIST,
      maxTop: DIRECTORY_MAX_TOP,
      directoryObjects: true,
      extraFilters: ID_FILTER,
    };
    const appOwners = (dir: M365Directory, caller: Caller) => (a: AppRecord, name: string) =>
      name === 'owners' ? ownersOf(dir.ownersOfApplication(a.id), caller) : [];
    add(
      'GET',
      `/${v}/applications`,
      guarded(
        apps,
        (req, dir, caller) =>
          listPage({
            req,
            spec: appSpec,
            collection: caller.ownedOnly ? none : dir.applications,
            build: appBody,
            contextPath: 'applications',
            expand: appOwners(dir, caller),
          }),
        true,
      ),
    );
    add(
      'GET',
      `/${v}/applications/{id}`,
      guarded(
        apps,
        (req, dir, caller) => {
          const a = caller.ownedOnly ? undefined : dir.applications.get(req.params.id!);
          if (!a) return notFound(req, req.params.id!);
          return entity(req, getOnly(appSpec), a, appBody, 'applications', appOwners(dir, caller));
        },
        true,
      ),
    );
    const userSpec: QuerySpec = {
      version: v,
      entityType: 'user',
      // user-list: "supports the $count, $expand, $filter, $orderby, $search, $select, and $top
      // OData query parameters ... $skip isn't supported".
      options: DIRECTORY_LIST,
      maxTop: DIRECTORY_MAX_TOP,
      directoryObjects: true,
      extraFilters: ID_FILTER,
      defaultProperties: USER_DEFAULT_PROPERTIES,
    };
    add(
      'GET',
      `/${v}/users`,
      guarded(GRAPH_PERMISSIONS.users, (req, dir) =>
        listPage({ req, spec: userSpec, collection: dir.users, build: userBody, contextPath: 'users' }),
      ),
    );
    // Before `/users/{id}`: the router takes the first match. user-delta permissions (application):
    // User.Read.All, User.ReadWrite.All, Directory.Read.All, Directory.ReadWrite.All (as the list).
    const userDelta = new DeltaTracker();
    add(
      'GET',
      `/${v}/users/delta`,
      guarded(GRAPH_PERMISSIONS.users, (req, dir) =>
        deltaPage({
          req,
          spec: { ...userSpec, options: ['$select'] },
          collection: dir.users,
          build: userBody,
          contextPath: 'users',
          tracker: userDelta,
          // A deleted user goes to the directory's deleted items, restorable for 30 days
          // (delta-query-overview: "changed" for a soft-deleted object).
          removedReason: 'changed',
        }),
      ),
    );
    add(
      'GET',
      `/${v}/users/$count`,
      guarded(GRAPH_PERMISSIONS.users, (req, dir) => {
        // aad-advanced-queries, "Error handling for advanced queries on directory objects": without
        // ConsistencyLevel: eventual, `$count` as a segment is a 400 with this body.
        if (String(req.headers.consistencylevel ?? '').toLowerCase() !== 'eventual') {
          return graphError(req, 400, 'Request_BadRequest', '$count is not currently supported.');
        }
        let n = 0;
        for (let i = 0; i < dir.users.slots; i++) if (dir.users.at(i)) n += 1;
        // user-list, "Get only a count of users": `Content-type: text/plain`.
        return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: String(n) };
      }),
    );
    add(
      'GET',
      `/${v}/users/{id}`,
      guarded(GRAPH_PERMISSIONS.users, (req, dir) => {
        const key = req.params.id!;
        let u = dir.users.get(key);
        if (!u && key.includes('@')) {
          for (let i = 0; i < dir.users.slots && !u; i++) {
            const c = dir.users.at(i);
            if (c?.userPrincipalName.toLowerCase() === key.toLowerCase()) u = c;
          }
        }
        if (!u) return notFound(req, key);
        return entity(req, { ...userSpec, options: ['$select'] }, u, userBody, 'users');
      }),
    );
  }

  // The directory audit log (audit-log.ts cites its rules). v1.0: the connector reads no other.
  add(
    'GET',
    '/v1.0/auditLogs/directoryAudits',
    guarded(AUDIT_PERMISSIONS.slice(0, 1), (req, dir, caller) => {
      // directoryaudit-list#permissions: "AuditLog.Read.All and Directory.Read.All", both.
      if (!AUDIT_PERMISSIONS.every((p) => caller.roles.has(p))) return insufficientPrivileges(req);
      return auditLog.page(req, dir.premium);
    }),
  );

  // The report is beta only: v1.0's reportRoot has no servicePrincipalSignInActivities
  // (@microsoft/microsoft-graph-types ReportRoot; -beta ReportRoot has it), so Graph does not know
  // the segment under v1.0.
  add('GET', '/v1.0/reports/servicePrincipalSignInActivities', (req) =>
    graphError(
      req,
      400,
      'BadRequest',
      "Resource not found for the segment 'servicePrincipalSignInActivities'.",
    ),
  );
  add(
    'GET',
    '/beta/reports/servicePrincipalSignInActivities',
    guarded(GRAPH_PERMISSIONS.signIns, (req, dir) => {
      if (!dir.premium) {
        return graphError(
          req,
          403,
          'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
          "Neither tenant is B2C or tenant doesn't have premium license",
        );
      }
      return listPage({
        req,
        spec: {
          version: 'beta',
          entityType: 'servicePrincipalSignInActivity',
          // reportroot-list-serviceprincipalsigninactivities: "supports the $top, $filter, and
          // $orderBy OData query parameters"; no maximum page size documented. Example 2 filters
          // on appId.
          options: ['$top', '$filter', '$orderby'],
          directoryObjects: false,
          extraFilters: { appId: 'eq' },
        },
        collection: dir.signInActivities,
        build: build.servicePrincipalSignInActivity as unknown as (
          s: SignInRecord,
        ) => Record<string, unknown>,
        contextPath: 'reports/servicePrincipalSignInActivities',
      });
    }),
  );

  const inner = new Router();
  for (const r of routes) inner.add(r);

  for (const v of ['v1.0', 'beta'] as const) {
    add('POST', `/${v}/$batch`, async (req) => {
      const s = state();
      if (!s) return { status: 404, body: { message: 'no microsoft365 section in this world' } };
      const token = verifyAccessToken(ctx, s.dir, req.headers.authorization);
      if (!token.ok) return unauthenticated(req, token.message);
      const parsed = parseBatch(req);
      if ('error' in parsed) return parsed.error;
      const results = new Map<string, InnerResponse>();
      // dependsOn: a step runs after the steps it names; one whose dependency failed gets 424
      // (https://learn.microsoft.com/graph/json-batching#sequencing-requests-with-the-dependson-property).
      for (const step of parsed.steps) {
        const failed = step.dependsOn.find((d) => (results.get(d.toLowerCase())?.status ?? 0) >= 400);
        results.set(
          step.id.toLowerCase(),
          failed !== undefined
            ? innerError(req, 424, 'FailedDependency', `Request failed because request '${failed}' failed.`)
            : await dispatchInner(req, v, step),
        );
      }
      const responses = parsed.steps.map((step) => ({ id: step.id, ...results.get(step.id.toLowerCase())! }));
      // "Individual responses might appear in a different order than the requests": reversed, so
      // clients correlate by id.
      return { status: 200, body: { responses: responses.reverse() } };
    });
  }

  async function dispatchInner(outer: EmuRequest, version: string, step: BatchStep): Promise<InnerResponse> {
    // The inner url is relative to the batch's own version root: `/users` or `users` under
    // `/v1.0/$batch` is `/v1.0/users`. A versioned (`/v1.0/users`) or absolute
    // (`https://graph.microsoft.com/v1.0/users`) url is resolved the same way, so its first segment
    // (`v1.0`, `https:`) names no resource: 400 "Resource not found for the segment 'v1.0'"
    // (https://learn.microsoft.com/graph/json-batching#creating-a-batch-request: "url: Required. The
    // relative resource URL ... while the absolute URL is https://graph.microsoft.com/v1.0/users,
    // this url is /users"; msgraph-sdk-javascript#1178, #1451; msgraph-sdk-python#1015).
    const relative = step.url.replace(/^\/+/, '');
    const [pathPart = '', queryPart = ''] = splitOnce(relative, '?');
    const path = `/${version}/${pathPart}`;
    const m = inner.match(step.method, path);
    if (!m || 'methodNotAllowed' in m) {
      const segments = pathPart.split('/').filter(Boolean);
      const segment = m ? segments.at(-1) : (segments.find((x) => !ROOT_SEGMENTS.has(x)) ?? segments.at(-1));
      return m
        ? innerError(
            outer,
            405,
            'Request_BadRequest',
            'Specified HTTP method is not allowed for the request target.',
          )
        : innerError(outer, 400, 'BadRequest', `Resource not found for the segment '${segment ?? ''}'.`);
    }
    const fault = ctx.faults?.take({ service: 'graph', method: step.method, pattern: m.route.pattern, path });
    // Only the step's own headers apply (plus the batch's credentials): "To use advanced query
    // capabilities in batch requests, specify the ConsistencyLevel header in the JSON body"
    // (https://learn.microsoft.com/graph/aad-advanced-queries).
    const headers: IncomingHttpHeaders = { authorization: outer.headers.authorization };
    for (const [k, val] of Object.entries(step.headers)) headers[k.toLowerCase()] = val;
    const innerReq: EmuRequest = {
      method: step.method,
      path,
      params: m.params,
      query: new URLSearchParams(queryPart),
      headers,
      body: Buffer.from(step.body === undefined ? '' : JSON.stringify(step.body)),
      origin: outer.origin,
    };
    const asInner = (r: EmuResponse): InnerResponse => ({
      status: r.status,
      headers: { ...JSON_HEADERS, ...r.headers },
      body: r.body ?? null,
    });
    const shapes = m.route.faults;
    if (fault?.kind === 'latency') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === 'rate-limit') {
      const r = innerError(outer, 429, 'TooManyRequests', 'Too many requests (emulated).');
      return { ...r, headers: { ...r.headers, 'Retry-After': String(fault.retryAfter) } };
    }
    if (fault?.kind === 'status') {
      return {
        status: fault.status,
        headers: { ...JSON_HEADERS, ...fault.headers },
        body: fault.body ?? null,
      };
    }
    // The batch's token expires while its steps run: this step is refused, and so is every later
    // request carrying that token.
    if (fault?.kind === 'token-expired' && shapes?.tokenExpired && outer.headers.authorization) {
      ctx.faults?.expire(outer.headers.authorization);
      return asInner(shapes.tokenExpired(innerReq));
    }
    if (fault?.kind === 'permission-denied' && shapes?.permissionDenied) {
      return asInner(shapes.permissionDenied(innerReq));
    }
    if (fault?.kind === 'not-found' && shapes?.notFound) return asInner(shapes.notFound(innerReq));
    // Transport faults (a reset, a hang, a cut body) cannot hit one step of a batch: Graph answers the
    // step with a 500 instead.
    if (fault && fault.kind !== 'latency' && fault.kind !== 'paging-loop') {
      return innerError(outer, 500, 'InternalServerError', `emulated ${fault.kind} inside a batch`);
    }
    const resp = await m.route.handler(innerReq);
    if (fault?.kind === 'paging-loop' && resp.status >= 200 && resp.status < 300) {
      return asInner(shapes?.loopPaging?.(innerReq, resp) ?? resp);
    }
    return asInner(resp);
  }

  return routes;
}
