import type { RecordedRequest } from '../../src/emulator/journal.js';
import {
  filterOperators,
  type GraphVersion,
  isEntityValued,
  propertiesOf,
} from './microsoft365-graph-types.js';

/**
 * Checks a request the emulator received for Microsoft Graph (`graph`) or Entra ID login (`login`)
 * against Microsoft's descriptions. Two sources, named at each check:
 *
 * - [types] `@microsoft/microsoft-graph-types` (v1.0) and `-beta` (beta), Microsoft's types
 *   generated from Graph's metadata: which navigation properties exist per version (path segments),
 *   which properties a type declares (`$select`, `$filter`, `$orderby`), and which `$filter`
 *   operators each property's description lists ("Supports $filter (eq, ne, not, in, startsWith)").
 * - [pages] the Graph reference pages, where no machine-readable description says it: the entity
 *   sets at the version root, the query options and page sizes of each list, advanced-query rules,
 *   `$batch` and the client-credentials token request. ENDPOINTS and the rules below cite the page.
 *
 * Microsoft publishes no OpenAPI or Kiota URL-template package on npm for servicePrincipals,
 * applications or oauth2PermissionGrants (only `@microsoft/msgraph-sdk-users` exists), so the
 * per-path query options are this cited table.
 */
export function checkMicrosoft365Request(request: RecordedRequest): string[] {
  if (request.service === 'login') return checkLogin(request);
  if (request.service === 'graph') return checkGraph(request);
  return [`unknown Microsoft service '${request.service}'`];
}

type Option = '$select' | '$filter' | '$top' | '$count' | '$orderby' | '$search' | '$expand' | '$deltatoken';

/** "supports the $count, $expand, $filter, $orderby, $search, $select, and $top OData query parameters". */
const DIRECTORY_LIST: readonly Option[] = [
  '$count',
  '$expand',
  '$filter',
  '$orderby',
  '$search',
  '$select',
  '$top',
];

interface EntitySet {
  type: string;
  /** Query options of the list (`GET /{set}`). */
  list: readonly Option[];
  /** Query options of one entity (`GET /{set}/{id}`). */
  get: readonly Option[];
  doc: string;
  /** The set's `delta` function page, when it has one. */
  delta?: string;
}

/**
 * [pages] A delta function's options: "$deltatoken", "$skiptoken", "You can use a $select query
 * parameter", "$filter ... only ... by id" (serviceprincipal-delta, oauth2permissiongrant-delta).
 */
const DELTA_OPTIONS: readonly Option[] = ['$select', '$filter', '$deltatoken'];

/** [pages] Entity sets at the version root that the connector reads, with each list page's options. */
const ENDPOINTS: Readonly<Record<string, EntitySet>> = {
  servicePrincipals: {
    type: 'servicePrincipal',
    list: DIRECTORY_LIST,
    get: ['$select', '$expand'],
    doc: 'https://learn.microsoft.com/graph/api/serviceprincipal-list#optional-query-parameters',
    delta: 'https://learn.microsoft.com/graph/api/serviceprincipal-delta#query-parameters',
  },
  applications: {
    type: 'application',
    list: DIRECTORY_LIST,
    get: ['$select', '$expand'],
    doc: 'https://learn.microsoft.com/graph/api/application-list#optional-query-parameters',
  },
  users: {
    type: 'user',
    list: DIRECTORY_LIST,
    get: ['$select'],
    doc: 'https://learn.microsoft.com/graph/api/user-list#optional-query-parameters ("$skip isn\'t supported")',
    delta: 'https://learn.microsoft.com/graph/api/user-delta#query-parameters',
  },
  oauth2PermissionGrants: {
    type: 'oAuth2PermissionGrant',
    list: ['$count', '$filter', '$select', '$top'],
    get: ['$select'],
    doc: 'https://learn.microsoft.com/graph/api/oauth2permissiongrant-list#optional-query-parameters',
    delta: 'https://learn.microsoft.com/graph/api/oauth2permissiongrant-delta#query-parameters',
  },
};

/**
 * [pages] "The default and maximum page sizes are 100 and 999" (serviceprincipal-list,
 * application-list, user-list): directory collections, their relationships included.
 */
const DIRECTORY_MAX_TOP = 999;

/**
 * [pages] Properties the service returns and accepts though the types lack them:
 * servicePrincipal.createdDateTime ("when using Graph API via REST or in Graph Explorer,
 * createdDateTime is returned for service principals", msgraph-sdk-java#2246, acknowledged).
 */
const UNDECLARED: Readonly<Record<string, readonly string[]>> = { servicePrincipal: ['createdDateTime'] };

/**
 * [pages] `$filter` operators documented outside the types' property descriptions: `id` "eq:
 * Default, ne: Advanced, NOT: Advanced" (aad-advanced-queries, filter table); oAuth2PermissionGrant
 * clientId ("This delay will be minimized if a filter on clientId is specified", oauth2permissiongrant-list);
 * the sign-in report's appId (reportroot-list-serviceprincipalsigninactivities, Example 2).
 */
const EXTRA_FILTERS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '*': { id: 'eq in ne not' },
  oAuth2PermissionGrant: { clientId: 'eq', resourceId: 'eq', consentType: 'eq', principalId: 'eq' },
  servicePrincipalSignInActivity: { appId: 'eq' },
  appRoleAssignment: { resourceId: 'eq', principalId: 'eq', appRoleId: 'eq' },
};

/** Members of owners: "directoryObject" users or service principals (serviceprincipal-list-owners). */
const DIRECTORY_OBJECT_TYPES = ['directoryObject', 'user', 'servicePrincipal', 'group', 'device'];

interface Target {
  /** Type whose properties the query options name. */
  type: string;
  /** More types whose properties a heterogeneous collection accepts. */
  also: string[];
  collection: boolean;
  options: readonly Option[];
  maxTop: number | null;
  /** Directory objects: advanced-query rules apply. */
  directory: boolean;
  /** `/$count`: a count, which needs ConsistencyLevel: eventual. */
  countSegment: boolean;
}

/** The resource a Graph path addresses, per version, or the problem with the path. */
function resolve(version: GraphVersion, segments: string[]): Target | string {
  const [set, id, nav, ...rest] = segments;
  if (set === 'reports') {
    // [types] reportRoot's properties per version: v1.0 has no servicePrincipalSignInActivities.
    const prop = id ?? '';
    const declared = propertiesOf(version, 'reportRoot')?.get(prop);
    const type = declared ? isEntityValued(version, declared) : null;
    if (!type || nav !== undefined)
      return `no '${prop}' under ${version}/reports (${version} reportRoot, microsoft-graph-types)`;
    return {
      type: type.charAt(0).toLowerCase() + type.slice(1),
      also: [],
      collection: true,
      // reportroot-list-serviceprincipalsigninactivities: "supports the $top, $filter, and $orderBy"; no documented maximum.
      options: ['$top', '$filter', '$orderby'],
      maxTop: null,
      directory: false,
      countSegment: false,
    };
  }
  if (set === 'auditLogs') {
    // [types] auditLogRoot's collections per version; [pages] directoryaudit-list: "supports the
    // $filter (eq, ge, le, startswith), $top, $orderby, and skiptoken OData query parameters", no
    // documented maximum page size. Audit records are not directory objects.
    const prop = id ?? '';
    const declaredProp = propertiesOf(version, 'auditLogRoot')?.get(prop);
    const type = declaredProp ? isEntityValued(version, declaredProp) : null;
    if (prop !== 'directoryAudits' || !type || nav !== undefined)
      return `no '${prop}' under ${version}/auditLogs the description covers (directoryaudit-list)`;
    return {
      type: 'directoryAudit',
      also: [],
      collection: true,
      options: ['$filter', '$top', '$orderby'],
      maxTop: null,
      directory: false,
      countSegment: false,
    };
  }
  const endpoint = set ? ENDPOINTS[set] : undefined;
  if (!endpoint) return `'${set}' is not an entity set the description covers`;
  const base = { also: [] as string[], directory: true, countSegment: false };
  if (id === undefined)
    return {
      ...base,
      type: endpoint.type,
      collection: true,
      options: endpoint.list,
      maxTop: DIRECTORY_MAX_TOP,
    };
  if (id === 'delta' && endpoint.delta) {
    if (nav !== undefined) return `nothing follows delta`;
    return { ...base, type: endpoint.type, collection: true, options: DELTA_OPTIONS, maxTop: null };
  }
  if (id === '$count') {
    if (nav !== undefined) return `nothing follows $count`;
    return { ...base, type: endpoint.type, collection: false, options: [], maxTop: null, countSegment: true };
  }
  if (nav === undefined)
    return { ...base, type: endpoint.type, collection: false, options: endpoint.get, maxTop: null };
  if (rest.length > 0) return `path goes deeper than the description covers: /${segments.join('/')}`;
  // [types] a navigation property of the entity type, in this version.
  const declared = propertiesOf(version, endpoint.type)?.get(nav);
  const navType = declared ? isEntityValued(version, declared) : null;
  if (!declared || !navType || !declared.includes('[]')) {
    return `${endpoint.type} has no navigation collection '${nav}' in ${version} (microsoft-graph-types)`;
  }
  const type = navType.charAt(0).toLowerCase() + navType.slice(1);
  const heterogeneous = type === 'directoryObject';
  return {
    ...base,
    type,
    also: heterogeneous ? DIRECTORY_OBJECT_TYPES : [],
    collection: true,
    // The relationship pages (list owners, appRoleAssignedTo, …): "supports the OData query parameters".
    options: heterogeneous ? DIRECTORY_LIST : ['$count', '$filter', '$orderby', '$search', '$select', '$top'],
    maxTop: DIRECTORY_MAX_TOP,
  };
}

function declared(version: GraphVersion, target: Target): Set<string> {
  const out = new Set<string>();
  for (const t of [target.type, ...target.also]) {
    for (const p of propertiesOf(version, t)?.keys() ?? []) out.add(p);
    for (const p of UNDECLARED[t] ?? []) out.add(p);
  }
  return out;
}

function operatorsOf(version: GraphVersion, target: Target, prop: string): Set<string> {
  const ops = new Set<string>();
  for (const t of [target.type, ...target.also])
    for (const o of filterOperators(version, t, prop)) ops.add(o);
  for (const extra of [EXTRA_FILTERS['*']!, EXTRA_FILTERS[target.type] ?? {}]) {
    for (const o of (extra[prop] ?? '').split(' ').filter(Boolean)) ops.add(o);
  }
  return ops;
}

/** `prop op` uses of a `$filter` expression: comparisons, `in`, `startsWith`/`endsWith`, `not`. */
function filterUses(expr: string): Array<{ prop: string; op: string }> {
  const uses: Array<{ prop: string; op: string }> = [];
  const text = expr.replace(/'(?:[^']|'')*'/g, "''");
  for (const m of text.matchAll(/\b(startswith|endswith)\s*\(\s*(\w+)/gi))
    uses.push({ prop: m[2]!, op: m[1]!.toLowerCase() });
  for (const m of text.matchAll(/\b(\w+)\s+(eq|ne|ge|le|gt|lt|in)\s+(\S+)/gi)) {
    const op = m[2]!.toLowerCase();
    uses.push({ prop: m[1]!, op: op === 'eq' && /^null\b/i.test(m[3]!) ? 'eq-null' : op });
  }
  for (const m of text.matchAll(/\bnot\s*\(?\s*(?:(?:startswith|endswith)\s*\(\s*)?(\w+)/gi))
    uses.push({ prop: m[1]!, op: 'not' });
  return uses;
}

function header(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** One Graph read: path, method and query options against the description. */
function checkGraphRead(
  version: GraphVersion,
  method: string,
  pathAfterVersion: string,
  query: [string, string][],
  headers: Record<string, string>,
): string[] {
  if (method !== 'GET') return [`${method} is not a read the description covers`];
  const segments = pathAfterVersion
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
  const target = resolve(version, segments);
  if (typeof target === 'string') return [target];
  const problems: string[] = [];
  const q = new Map(query);
  const eventual = (header(headers, 'consistencylevel') ?? '').toLowerCase() === 'eventual';
  const advanced = eventual && (q.get('$count') ?? '').toLowerCase() === 'true';
  const props = declared(version, target);
  for (const [key] of query) {
    if (!key.startsWith('$') || key === '$skiptoken') continue;
    if (!(target.options as readonly string[]).includes(key)) {
      problems.push(
        `${key} is not a query option of ${target.collection ? 'this list' : 'this read'} (Graph reference page)`,
      );
    }
  }
  // aad-advanced-queries: "Use of $count as a URL segment", "Use of $search" need ConsistencyLevel: eventual.
  if (target.countSegment && !eventual)
    problems.push('/$count needs the ConsistencyLevel: eventual header (aad-advanced-queries)');
  if (q.has('$search') && target.directory && !eventual)
    problems.push('$search needs the ConsistencyLevel: eventual header (aad-advanced-queries)');
  if (q.has('$filter') && q.has('$orderby') && target.directory && !advanced) {
    problems.push(
      '$filter with $orderby needs ConsistencyLevel: eventual and $count=true (aad-advanced-queries)',
    );
  }
  if (q.has('$expand') && (advanced || (eventual && q.has('$search')))) {
    problems.push('$expand is not supported with advanced queries (aad-advanced-queries)');
  }
  const top = q.get('$top');
  if (top !== undefined) {
    const n = Number(top);
    if (!Number.isInteger(n) || n < 1 || (target.maxTop !== null && n > target.maxTop)) {
      problems.push(
        `$top=${top} outside 1..${target.maxTop ?? '∞'} (serviceprincipal-list: maximum page size 999)`,
      );
    }
  }
  for (const name of (q.get('$select') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!props.has(name))
      problems.push(
        `$select=${name}: ${target.type} declares no such property in ${version} (microsoft-graph-types)`,
      );
  }
  for (const name of (q.get('$expand') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (/[(/]/.test(name)) problems.push(`$expand=${name}: only one level of $expand (Graph known issues)`);
    else if (!props.has(name))
      problems.push(
        `$expand=${name}: ${target.type} has no such navigation property (microsoft-graph-types)`,
      );
  }
  const orderBy = q.get('$orderby');
  if (orderBy !== undefined) {
    const prop = /^\s*(\w+)/.exec(orderBy)?.[1] ?? '';
    if (!props.has(prop)) problems.push(`$orderby=${orderBy}: no such property (microsoft-graph-types)`);
  }
  const filter = q.get('$filter');
  if (filter !== undefined) {
    const uses = filterUses(filter);
    if (uses.length === 0) problems.push(`$filter=${filter}: no clause the description can read`);
    for (const { prop, op } of uses) {
      if (!props.has(prop)) {
        problems.push(`$filter on ${prop}: ${target.type} declares no such property (microsoft-graph-types)`);
        continue;
      }
      if (!operatorsOf(version, target, prop).has(op)) {
        problems.push(
          `$filter ${op} on ${target.type}.${prop}: not among the operators its description lists (microsoft-graph-types)`,
        );
      }
      if (target.directory && ['ne', 'not', 'endswith'].includes(op) && !advanced) {
        problems.push(
          `$filter ${op} needs ConsistencyLevel: eventual and $count=true (aad-advanced-queries)`,
        );
      }
    }
  }
  return problems;
}

const BATCH_LIMIT = 20;
const BATCH_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * [pages] `POST /{version}/$batch` (https://learn.microsoft.com/graph/json-batching): at most 20
 * requests; id required, a string, unique (not case-sensitive); method and url required; url
 * relative to the version root ("while the absolute URL is https://graph.microsoft.com/v1.0/users,
 * this url is /users"); a body needs a Content-Type header; dependsOn names other ids. Each step is
 * then checked as a read of its own, with its own headers ("specify the ConsistencyLevel header in
 * the JSON body", aad-advanced-queries).
 */
function checkBatch(version: GraphVersion, body: unknown): string[] {
  const requests = (body as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(requests) || requests.length === 0) return ['$batch body has no requests array'];
  const problems: string[] = [];
  if (requests.length > BATCH_LIMIT)
    problems.push(`$batch holds ${requests.length} requests; the limit is ${BATCH_LIMIT}`);
  const ids = new Set<string>();
  for (const [n, raw] of requests.entries()) {
    const step = (raw ?? {}) as Record<string, unknown>;
    const where = `$batch step ${typeof step.id === 'string' ? `'${step.id}'` : n + 1}`;
    if (typeof step.id !== 'string' || step.id === '')
      problems.push(`${where}: id must be a non-empty string`);
    else if (ids.has(step.id.toLowerCase())) problems.push(`${where}: id is not unique`);
    else ids.add(step.id.toLowerCase());
    const method = typeof step.method === 'string' ? step.method.toUpperCase() : '';
    if (!BATCH_METHODS.has(method)) problems.push(`${where}: no valid method`);
    const url = typeof step.url === 'string' ? step.url : '';
    if (url === '') {
      problems.push(`${where}: no url`);
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
      problems.push(`${where}: url ${url} is absolute; it must be relative to the version root`);
      continue;
    }
    if (/^\/?(v1\.0|beta)(\/|$)/i.test(url)) {
      problems.push(
        `${where}: url ${url} carries a version segment; Graph answers "Resource not found for the segment"`,
      );
      continue;
    }
    const headers = (step.headers ?? {}) as Record<string, string>;
    if (step.body !== undefined && header(headers, 'content-type') === undefined) {
      problems.push(`${where}: a body without a Content-Type header`);
    }
    const dependsOn = step.dependsOn ?? [];
    if (!Array.isArray(dependsOn)) problems.push(`${where}: dependsOn must be an array of ids`);
    const [path = '', qs = ''] = url.replace(/^\/+/, '').split(/\?(.*)/s);
    const query = [...new URLSearchParams(qs)];
    for (const p of checkGraphRead(version, method, path, query, headers))
      problems.push(`${where} (${url}): ${p}`);
  }
  for (const raw of requests) {
    const step = (raw ?? {}) as { id?: unknown; dependsOn?: unknown };
    for (const d of Array.isArray(step.dependsOn) ? step.dependsOn : []) {
      if (
        typeof d !== 'string' ||
        !ids.has(d.toLowerCase()) ||
        d.toLowerCase() === String(step.id).toLowerCase()
      ) {
        problems.push(
          `$batch step '${String(step.id)}': dependsOn '${String(d)}' is not another request of the batch`,
        );
      }
    }
  }
  return problems;
}

function checkGraph(r: RecordedRequest): string[] {
  const m = /^\/(v1\.0|beta)(\/.*)?$/.exec(r.path);
  if (!m) return [`${r.path} is not under /v1.0 or /beta`];
  const version = m[1] as GraphVersion;
  const rest = m[2] ?? '';
  const problems: string[] = [];
  // Every reference page: "Authorization | Bearer {token}. Required."
  if (!/^Bearer <jwt>$/.test(r.headers.authorization ?? '')) {
    problems.push(`Authorization is ${r.headers.authorization ?? 'missing'}, not a Bearer access token`);
  }
  if (rest === '/$batch') {
    if (r.method !== 'POST') return [...problems, `$batch takes POST, not ${r.method} (json-batching)`];
    // json-batching: "Content-Type: application/json".
    if (!/application\/json/i.test(r.headers['content-type'] ?? ''))
      problems.push('$batch body is not application/json');
    return [...problems, ...checkBatch(version, r.body)];
  }
  return [...problems, ...checkGraphRead(version, r.method, rest, r.query, r.headers)];
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Entra ID endpoints of the client-credentials flow
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow and
 * v2-protocols-oidc): the OpenID metadata and keys (GET), and the token request (POST, form body:
 * grant_type=client_credentials, client_id, scope `{resource}/.default`, and either client_secret or
 * client_assertion_type + client_assertion).
 */
function checkLogin(r: RecordedRequest): string[] {
  if (
    r.method === 'GET' &&
    /^\/[^/]+\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys)$/.test(r.path)
  ) {
    return [];
  }
  if (!(r.method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(r.path))) {
    return [`${r.method} ${r.path} is not an endpoint of the client-credentials flow`];
  }
  const problems: string[] = [];
  if (!/application\/x-www-form-urlencoded/i.test(r.headers['content-type'] ?? '')) {
    problems.push('the token request must be application/x-www-form-urlencoded');
  }
  const form = (r.body && typeof r.body === 'object' ? r.body : {}) as Record<string, string>;
  if (form.grant_type !== 'client_credentials')
    problems.push(`grant_type is ${form.grant_type ?? 'missing'}, not client_credentials`);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(form.client_id ?? '')) {
    problems.push('client_id must be the application (client) id');
  }
  // "The value passed for the scope parameter in this request should be the resource identifier
  // (application ID URI) of the resource you want, affixed with the .default suffix."
  const scopes = (form.scope ?? '').split(' ').filter(Boolean);
  if (scopes.length !== 1 || !/^https:\/\/[^ ]+\/\.default$/.test(scopes[0]!)) {
    problems.push(`scope must be one {resource}/.default, got '${form.scope ?? ''}'`);
  }
  const secret = 'client_secret' in form;
  const assertion = 'client_assertion' in form;
  if (secret === assertion) problems.push('send exactly one of client_secret and client_assertion');
  // The journal redacts every field named like an assertion, client_assertion_type included: its
  // value can only be read when it was not redacted.
  const assertionType = form.client_assertion_type;
  if (assertion && assertionType !== ASSERTION_TYPE && assertionType !== '[redacted]') {
    problems.push(`client_assertion_type must be ${ASSERTION_TYPE}`);
  }
  if (assertion && assertionType === undefined)
    problems.push('client_assertion without client_assertion_type');
  if (secret && 'client_assertion_type' in form)
    problems.push('client_assertion_type without client_assertion');
  return problems;
}
