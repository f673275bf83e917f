import type { IncomingHttpHeaders } from 'node:http';
import type { EmulatorContext } from '../platform.js';
import { type EmuRequest, type EmuResponse, type Handler, type Route, Router } from '../router.js';
import {
  type BatchStep,
  type InnerResponse,
  innerError,
  JSON_HEADERS,
  parseBatch,
  splitOnce,
} from './batch.js';
import * as build from './builders.js';
import type { Collection, M365Directory } from './directory.js';
import { verifyAccessToken } from './login.js';
import { entity, graphError, listPage, ODataError } from './odata.js';

export interface GraphState {
  dir: M365Directory;
}

/** Application permissions that allow each family of reads (least privileged first, as documented). */
export const GRAPH_PERMISSIONS = {
  applications: [
    'Application.Read.All',
    'Application.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
  grants: [
    'DelegatedPermissionGrant.Read.All',
    'Directory.Read.All',
    'DelegatedPermissionGrant.ReadWrite.All',
    'Directory.ReadWrite.All',
  ],
  users: [
    'User.ReadBasic.All',
    'User.Read.All',
    'Directory.Read.All',
    'User.ReadWrite.All',
    'Directory.ReadWrite.All',
  ],
  signIns: ['AuditLog.Read.All', 'Directory.Read.All'],
} as const;

/** Entity sets and singletons at a version root that the emulator serves. */
const ROOT_SEGMENTS = new Set([
  'servicePrincipals',
  'applications',
  'users',
  'oauth2PermissionGrants',
  'reports',
]);

const notFound = (req: EmuRequest, id: string) =>
  graphError(
    req,
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

const list = <T>(items: T[]): Collection<T> => ({ slots: items.length, at: (i) => items[i] });

/**
 * Microsoft Graph v1.0 and beta: the directory reads grantscope and similar tools make. Every call
 * needs a bearer token from this emulator's token endpoint (401 otherwise) and one of the
 * application permissions the world grants the scanner for that API (403 otherwise).
 */
export function graphRoutes(state: () => GraphState | undefined, ctx: EmulatorContext): Route[] {
  const guarded = (
    needs: readonly string[] | null,
    handler: (req: EmuRequest, dir: M365Directory) => EmuResponse,
  ): Handler => {
    return (req) => {
      const s = state();
      if (!s) return { status: 404, body: { message: 'no microsoft365 section in this world' } };
      const token = verifyAccessToken(ctx, s.dir, req.headers.authorization);
      if (!token.ok) {
        return graphError(req, 401, 'InvalidAuthenticationToken', token.message, {
          'www-authenticate': `Bearer realm="", authorization_uri="${req.origin}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
        });
      }
      if (needs && !needs.some((p) => token.roles.has(p))) {
        return graphError(
          req,
          403,
          'Authorization_RequestDenied',
          'Insufficient privileges to complete the operation.',
        );
      }
      try {
        return handler(req, s.dir);
      } catch (err) {
        if (err instanceof ODataError) return graphError(req, err.status, err.code, err.message);
        throw err;
      }
    };
  };

  const routes: Route[] = [];
  const add = (method: string, pattern: string, handler: Handler) =>
    routes.push({ service: 'graph', method, pattern, handler });

  for (const v of ['v1.0', 'beta'] as const) {
    const spBody = (sp: Parameters<typeof build.servicePrincipal>[0]) =>
      (v === 'beta' ? build.betaServicePrincipal(sp) : build.servicePrincipal(sp)) as unknown as Record<
        string,
        unknown
      >;
    const apps = GRAPH_PERMISSIONS.applications;

    add(
      'GET',
      `/${v}/servicePrincipals`,
      guarded(apps, (req, dir) =>
        listPage({
          req,
          collection: dir.servicePrincipals,
          build: spBody,
          typeName: 'microsoft.graph.servicePrincipal',
          contextPath: 'servicePrincipals',
          filterable: [
            'id',
            'appId',
            'displayName',
            'appOwnerOrganizationId',
            'servicePrincipalType',
            'accountEnabled',
          ],
        }),
      ),
    );
    add(
      'GET',
      `/${v}/servicePrincipals/{id}`,
      guarded(apps, (req, dir) => {
        const sp = dir.servicePrincipals.get(req.params.id!);
        if (!sp) return notFound(req, req.params.id!);
        return entity(req, spBody(sp), 'microsoft.graph.servicePrincipal', 'servicePrincipals');
      }),
    );
    add(
      'GET',
      `/${v}/servicePrincipals/{id}/owners`,
      guarded(apps, (req, dir) => {
        const owners = dir.ownersOfServicePrincipal(req.params.id!);
        if (!owners) return notFound(req, req.params.id!);
        return listPage({
          req,
          collection: list(owners),
          build: build.owner,
          typeName: 'microsoft.graph.directoryObject',
          contextPath: 'directoryObjects',
          strictSelect: false,
        });
      }),
    );
    add(
      'GET',
      `/${v}/servicePrincipals/{id}/appRoleAssignments`,
      guarded(apps, (req, dir) => {
        if (!dir.servicePrincipals.get(req.params.id!)) return notFound(req, req.params.id!);
        return listPage({
          req,
          collection: list(dir.appRoleAssignments(req.params.id!)),
          build: build.appRoleAssignment,
          typeName: 'microsoft.graph.appRoleAssignment',
          contextPath: `servicePrincipals('${req.params.id}')/appRoleAssignments`,
          filterable: ['resourceId', 'appRoleId'],
        });
      }),
    );
    add(
      'GET',
      `/${v}/servicePrincipals/{id}/appRoleAssignedTo`,
      guarded(apps, (req, dir) => {
        if (!dir.servicePrincipals.get(req.params.id!)) return notFound(req, req.params.id!);
        return listPage({
          req,
          collection: dir.appRoleAssignedTo(req.params.id!),
          build: build.appRoleAssignment,
          typeName: 'microsoft.graph.appRoleAssignment',
          contextPath: `servicePrincipals('${req.params.id}')/appRoleAssignedTo`,
          filterable: ['principalId', 'principalType', 'appRoleId'],
        });
      }),
    );
    add(
      'GET',
      `/${v}/oauth2PermissionGrants`,
      guarded(GRAPH_PERMISSIONS.grants, (req, dir) =>
        listPage({
          req,
          collection: dir.oauth2PermissionGrants,
          build: build.oauth2PermissionGrant,
          typeName: 'microsoft.graph.oAuth2PermissionGrant',
          contextPath: 'oauth2PermissionGrants',
          filterable: ['clientId', 'resourceId', 'consentType', 'principalId'],
        }),
      ),
    );
    add(
      'GET',
      `/${v}/applications`,
      guarded(apps, (req, dir) =>
        listPage({
          req,
          collection: dir.applications,
          build: build.application,
          typeName: 'microsoft.graph.application',
          contextPath: 'applications',
          filterable: ['id', 'appId', 'displayName'],
        }),
      ),
    );
    add(
      'GET',
      `/${v}/applications/{id}`,
      guarded(apps, (req, dir) => {
        const a = dir.applications.get(req.params.id!);
        if (!a) return notFound(req, req.params.id!);
        return entity(req, build.application(a), 'microsoft.graph.application', 'applications');
      }),
    );
    add(
      'GET',
      `/${v}/applications/{id}/owners`,
      guarded(apps, (req, dir) => {
        const owners = dir.ownersOfApplication(req.params.id!);
        if (!owners) return notFound(req, req.params.id!);
        return listPage({
          req,
          collection: list(owners),
          build: build.owner,
          typeName: 'microsoft.graph.directoryObject',
          contextPath: 'directoryObjects',
          strictSelect: false,
        });
      }),
    );
    add(
      'GET',
      `/${v}/users`,
      guarded(GRAPH_PERMISSIONS.users, (req, dir) =>
        listPage({
          req,
          collection: dir.users,
          build: build.user,
          typeName: 'microsoft.graph.user',
          contextPath: 'users',
          filterable: ['id', 'userPrincipalName', 'displayName', 'accountEnabled'],
        }),
      ),
    );
    add(
      'GET',
      `/${v}/users/$count`,
      guarded(GRAPH_PERMISSIONS.users, (req, dir) => {
        if (String(req.headers.consistencylevel ?? '').toLowerCase() !== 'eventual') {
          return graphError(
            req,
            400,
            'Request_BadRequest',
            "$count requires the 'ConsistencyLevel: eventual' request header.",
          );
        }
        let n = 0;
        for (let i = 0; i < dir.users.slots; i++) if (dir.users.at(i)) n += 1;
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
        return entity(req, build.user(u), 'microsoft.graph.user', 'users');
      }),
    );
  }

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
        collection: dir.signInActivities,
        build: build.servicePrincipalSignInActivity,
        typeName: 'microsoft.graph.servicePrincipalSignInActivity',
        contextPath: 'reports/servicePrincipalSignInActivities',
        filterable: ['appId'],
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
      if (!token.ok) return graphError(req, 401, 'InvalidAuthenticationToken', token.message);
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
    if (fault && fault.kind !== 'latency') {
      return innerError(outer, 500, 'InternalServerError', `emulated ${fault.kind} inside a batch`);
    }
    // Only the step's own headers apply (plus the batch's credentials): "To use advanced query
    // capabilities in batch requests, specify the ConsistencyLevel header in the JSON body"
    // (https://learn.microsoft.com/graph/aad-advanced-queries).
    const headers: IncomingHttpHeaders = { authorization: outer.headers.authorization };
    for (const [k, val] of Object.entries(step.headers)) headers[k.toLowerCase()] = val;
    const resp = await m.route.handler({
      method: step.method,
      path,
      params: m.params,
      query: new URLSearchParams(queryPart),
      headers,
      body: Buffer.from(step.body === undefined ? '' : JSON.stringify(step.body)),
      origin: outer.origin,
    });
    return { status: resp.status, headers: { ...JSON_HEADERS, ...resp.headers }, body: resp.body ?? null };
  }

  return routes;
}
