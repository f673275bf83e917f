/**
 * Facts from Google's discovery documents that the generated `@googleapis/*` clients leave out: parameter
 * ranges, enums and patterns, the scopes each method accepts, and the rules a method's description states
 * in prose. The generated clients carry the rest (HTTP method, URL template, parameter names, required
 * and path parameters, schemas) and are read directly where those are needed (`generated-client.ts`).
 *
 * Only what the connector's calls need is here, each fact with the discovery document and JSON path it
 * comes from. The documents are read from googleapis/google-api-go-client, which vendors them verbatim:
 * `<path>` at `<commit>` below. Both the emulator's strictness rules and the request-conformance check
 * (`test/conformance/google-workspace.ts`) read this table; a test checks its parameter names against the
 * generated clients, so a renamed or dropped parameter shows up there.
 */

export interface DiscoveryDocument {
  /** Discovery `id`. */
  id: string;
  /** googleapis/google-api-go-client path and the commit the facts were read at. */
  source: { repo: 'googleapis/google-api-go-client'; path: string; commit: string };
  /** The generated client module that carries the same document (its build/*.js and *.d.ts). */
  client: string;
}

export const DISCOVERY = {
  directory: {
    id: 'admin:directory_v1',
    source: {
      repo: 'googleapis/google-api-go-client',
      path: 'admin/directory/v1/admin-api.json',
      commit: '04b26a7aad3a7ffccb80ce51c3fffee255741402',
    },
    client: '@googleapis/admin/build/directory_v1',
  },
  reports: {
    id: 'admin:reports_v1',
    source: {
      repo: 'googleapis/google-api-go-client',
      path: 'admin/reports/v1/admin-api.json',
      commit: '012bdd4cac8de301f81a429bd5330595171788c9',
    },
    client: '@googleapis/admin/build/reports_v1',
  },
  iam: {
    id: 'iam:v1',
    source: {
      repo: 'googleapis/google-api-go-client',
      path: 'iam/v1/iam-api.json',
      commit: '0a0e6726f40bd4e0aebb9897666c9a3d7bb3f865',
    },
    client: '@googleapis/iam/build/v1',
  },
  cloudResourceManager: {
    id: 'cloudresourcemanager:v3',
    source: {
      repo: 'googleapis/google-api-go-client',
      path: 'cloudresourcemanager/v3/cloudresourcemanager-api.json',
      commit: '8405858d8e4eae2230ba126f542de9bef923cb74',
    },
    client: '@googleapis/cloudresourcemanager/build/v3',
  },
} as const satisfies Record<string, DiscoveryDocument>;
export type DiscoveryApi = keyof typeof DISCOVERY;

export interface ParamFact {
  location: 'query' | 'path';
  type: 'string' | 'integer' | 'boolean';
  minimum?: number;
  maximum?: number;
  enum?: readonly string[];
  /** As written in the document; path patterns are anchored there, query patterns are matched whole. */
  pattern?: string;
  repeated?: boolean;
}

/** A rule the method's description states in prose (the schema cannot express it). */
export interface ProseRule {
  rule: string;
  /** JSON path of the description in the discovery document, or a reference page. */
  source: string;
}

export interface MethodFact {
  api: DiscoveryApi;
  /** Discovery method id. */
  id: string;
  /** JSON path of the method in the discovery document. */
  jsonPath: string;
  /** Generated client: resource class (`Resource$Users`) and method name (`list`). */
  resource: string;
  method: string;
  /** `scopes`: any one of these suffices. */
  scopes: readonly string[];
  /**
   * Every parameter of the method (`parameters`), with the constraints the document gives. Names only
   * (`{}`) where it gives none. The request-conformance check reads the names from the generated client;
   * the emulator reads them here, to refuse unknown names where the service does (One Platform APIs).
   */
  params: Readonly<Record<string, ParamFact>>;
  rules: readonly ProseRule[];
}

const SCOPE = 'https://www.googleapis.com/auth/';
const RFC3339 =
  '(\\d\\d\\d\\d)-(\\d\\d)-(\\d\\d)T(\\d\\d):(\\d\\d):(\\d\\d)(?:\\.(\\d+))?(?:(Z)|([-+])(\\d\\d):(\\d\\d))';
const str = (location: 'query' | 'path' = 'query'): ParamFact => ({ location, type: 'string' });

/**
 * The top-level `parameters` of all four documents (identical in each): the standard query parameters
 * every method accepts. JSON path: `parameters`.
 */
export const STANDARD_PARAMS: Readonly<Record<string, ParamFact>> = {
  '$.xgafv': { location: 'query', type: 'string', enum: ['1', '2'] },
  access_token: str(),
  alt: { location: 'query', type: 'string', enum: ['json', 'media', 'proto'] },
  callback: str(),
  fields: str(),
  key: str(),
  oauth_token: str(),
  prettyPrint: { location: 'query', type: 'boolean' },
  quotaUser: str(),
  uploadType: str(),
  upload_protocol: str(),
};

export const USERS_LIST: MethodFact = {
  api: 'directory',
  id: 'directory.users.list',
  jsonPath: 'resources.users.methods.list',
  resource: 'Users',
  method: 'list',
  scopes: [`${SCOPE}admin.directory.user`, `${SCOPE}admin.directory.user.readonly`, `${SCOPE}cloud-platform`],
  params: {
    customFieldMask: str(),
    customer: str(),
    domain: str(),
    event: {
      location: 'query',
      type: 'string',
      enum: ['add', 'delete', 'makeAdmin', 'undelete', 'update'],
    },
    // parameters.maxResults: "minimum": "1", "maximum": "500" (default 100)
    maxResults: { location: 'query', type: 'integer', minimum: 1, maximum: 500 },
    orderBy: { location: 'query', type: 'string', enum: ['email', 'familyName', 'givenName'] },
    pageToken: str(),
    projection: { location: 'query', type: 'string', enum: ['basic', 'custom', 'full'] },
    query: str(),
    showDeleted: str(),
    sortOrder: { location: 'query', type: 'string', enum: ['ASCENDING', 'DESCENDING'] },
    viewType: { location: 'query', type: 'string', enum: ['admin_view', 'domain_public'] },
  },
  rules: [
    {
      rule: 'customer or domain is required',
      source:
        'resources.users.methods.list.parameters.customer.description: "Either the `customer` or the `domain` parameter must be provided."',
    },
  ],
};

export const USERS_GET: MethodFact = {
  api: 'directory',
  id: 'directory.users.get',
  jsonPath: 'resources.users.methods.get',
  resource: 'Users',
  method: 'get',
  scopes: [`${SCOPE}admin.directory.user`, `${SCOPE}admin.directory.user.readonly`],
  params: {
    customFieldMask: str(),
    projection: { location: 'query', type: 'string', enum: ['basic', 'custom', 'full'] },
    userKey: str('path'),
    viewType: { location: 'query', type: 'string', enum: ['admin_view', 'domain_public'] },
  },
  rules: [],
};

export const TOKENS_LIST: MethodFact = {
  api: 'directory',
  id: 'directory.tokens.list',
  jsonPath: 'resources.tokens.methods.list',
  resource: 'Tokens',
  method: 'list',
  // The only scope listed: no read-only scope reaches tokens.list.
  scopes: [`${SCOPE}admin.directory.user.security`],
  params: { userKey: str('path') },
  rules: [],
};

/** parameters.applicationName.enum of reports.activities.list. */
export const REPORTS_APPLICATIONS = [
  'access_transparency',
  'admin',
  'calendar',
  'chat',
  'drive',
  'gcp',
  'gmail',
  'gplus',
  'groups',
  'groups_enterprise',
  'jamboard',
  'login',
  'meet',
  'mobile',
  'rules',
  'saml',
  'token',
  'user_accounts',
  'context_aware_access',
  'chrome',
  'data_studio',
  'keep',
  'vault',
  'gemini_in_workspace_apps',
  'classroom',
  'assignments',
  'cloud_search',
  'tasks',
  'data_migration',
  'meet_hardware',
  'directory_sync',
  'ldap',
  'profile',
  'access_evaluation',
] as const;

export const ACTIVITIES_LIST: MethodFact = {
  api: 'reports',
  id: 'reports.activities.list',
  jsonPath: 'resources.activities.methods.list',
  resource: 'Activities',
  method: 'list',
  scopes: [`${SCOPE}admin.reports.audit.readonly`],
  params: {
    userKey: str('path'),
    applicationName: {
      location: 'path',
      type: 'string',
      enum: REPORTS_APPLICATIONS,
      pattern:
        '(access_evaluation)|(access_transparency)|(admin)|(assignments)|(calendar)|(chat)|(chrome)|(classroom)|(cloud_search)|(context_aware_access)|(data_studio)|(data_migration)|(directory_sync)|(drive)|(gcp)|(gmail)|(gplus)|(groups)|(groups_enterprise)|(jamboard)|(keep)|(ldap)|(login)|(meet)|(meet_hardware)|(mobile)|(profile)|(rules)|(saml)|(token)|(user_accounts)|(vault)|(gemini_in_workspace_apps)|(tasks)',
    },
    actorIpAddress: str(),
    customerId: { location: 'query', type: 'string', pattern: 'C.+|my_customer' },
    endTime: { location: 'query', type: 'string', pattern: RFC3339 },
    eventName: str(),
    filters: {
      location: 'query',
      type: 'string',
      pattern: '(.+[<,<=,==,>=,>,<>].+,)*(.+[<,<=,==,>=,>,<>].+)',
    },
    groupIdFilter: { location: 'query', type: 'string', pattern: '(id:[a-z0-9]+(,id:[a-z0-9]+)*)' },
    // parameters.maxResults: "minimum": "1", "maximum": "1000" (default 1000)
    maxResults: { location: 'query', type: 'integer', minimum: 1, maximum: 1000 },
    orgUnitID: { location: 'query', type: 'string', pattern: '(id:[a-z0-9]+)' },
    pageToken: str(),
    resourceDetailsFilter: str(),
    startTime: { location: 'query', type: 'string', pattern: RFC3339 },
    // In the newer revision @googleapis/admin 32.1.0 was generated from, not in the one read above;
    // no constraints are taken for them.
    agentInfoFilter: str(),
    applicationInfoFilter: str(),
    deviceFilter: str(),
    includeSensitiveData: { location: 'query', type: 'boolean' },
    networkInfoFilter: str(),
    statusFilter: str(),
  },
  rules: [
    {
      rule: 'startTime must be before endTime (if given) and before the time of the request',
      source:
        'resources.activities.methods.list.parameters.startTime.description: "The `startTime` must be before the `endTime` (if specified) and the current time when the request is made, or the API returns an error."',
    },
    {
      rule: 'activities older than 180 days are not returned',
      source:
        'resources.activities.methods.list.parameters.endTime.description: "…or the most recent 180 days if the `startTime` is more than 180 days in the past."',
    },
    {
      rule: 'filters operators: ==, <>, <, <=, >, >=; comma-separated',
      source: 'resources.activities.methods.list.parameters.filters.description',
    },
  ],
};

export const PROJECTS_SEARCH: MethodFact = {
  api: 'cloudResourceManager',
  id: 'cloudresourcemanager.projects.search',
  jsonPath: 'resources.projects.methods.search',
  resource: 'Projects',
  method: 'search',
  scopes: [`${SCOPE}cloud-platform`, `${SCOPE}cloud-platform.read-only`],
  params: {
    // No maximum in the document ("The server can return fewer projects than requested").
    pageSize: { location: 'query', type: 'integer' },
    pageToken: str(),
    query: str(),
  },
  rules: [
    {
      rule: 'several query terms match any of them; field names case-insensitive',
      source:
        'resources.projects.methods.search.parameters.query.description: "If multiple fields are included in the query, then it will return results that match any of the fields." … "Search expressions are case insensitive."',
    },
    {
      rule: 'returns only projects the caller has resourcemanager.projects.get on',
      source: 'resources.projects.methods.search.description',
    },
  ],
};

export const PROJECTS_GET_IAM_POLICY: MethodFact = {
  api: 'cloudResourceManager',
  id: 'cloudresourcemanager.projects.getIamPolicy',
  jsonPath: 'resources.projects.methods.getIamPolicy',
  resource: 'Projects',
  method: 'getIamPolicy',
  scopes: [`${SCOPE}cloud-platform`, `${SCOPE}cloud-platform.read-only`],
  params: { resource: { location: 'path', type: 'string', pattern: '^projects/[^/]+$' } },
  rules: [
    {
      rule: 'permission is denied if the policy or the resource does not exist',
      source:
        'resources.projects.methods.getIamPolicy.description: "Permission is denied if the policy or the resource do not exist."',
    },
    {
      rule: 'options.requestedPolicyVersion must be 0, 1 or 3',
      source:
        'schemas.GetPolicyOptions.properties.requestedPolicyVersion.description: "Valid values are 0, 1, and 3. Requests specifying an invalid value will be rejected."',
    },
  ],
};

export const SERVICE_ACCOUNTS_LIST: MethodFact = {
  api: 'iam',
  id: 'iam.projects.serviceAccounts.list',
  jsonPath: 'resources.projects.resources.serviceAccounts.methods.list',
  resource: 'Projects$Serviceaccounts',
  method: 'list',
  // The reference page's "Authorization scopes": iam or cloud-platform
  // (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/list). The 2021
  // revision read above lists cloud-platform only; the current page wins.
  scopes: [`${SCOPE}iam`, `${SCOPE}cloud-platform`],
  params: {
    name: { location: 'path', type: 'string', pattern: '^projects/[^/]+$' },
    // parameters.pageSize.description: "The default is 20, and the maximum is 100." (no minimum/maximum keys)
    pageSize: { location: 'query', type: 'integer', maximum: 100 },
    pageToken: str(),
  },
  rules: [
    {
      rule: 'pageSize above 100 is served as 100 (AIP-158: coerce to the maximum); below 0 is an error',
      source:
        'parameters.pageSize.description; https://google.aip.dev/158 ("If the user specifies page_size greater than the maximum permitted by the API, the API should coerce the page size to the maximum"; negative: INVALID_ARGUMENT)',
    },
  ],
};

export const KEYS_LIST: MethodFact = {
  api: 'iam',
  id: 'iam.projects.serviceAccounts.keys.list',
  jsonPath: 'resources.projects.resources.serviceAccounts.resources.keys.methods.list',
  resource: 'Projects$Serviceaccounts$Keys',
  method: 'list',
  // https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys/list: iam or cloud-platform.
  scopes: [`${SCOPE}iam`, `${SCOPE}cloud-platform`],
  params: {
    name: { location: 'path', type: 'string', pattern: '^projects/[^/]+/serviceAccounts/[^/]+$' },
    keyTypes: {
      location: 'query',
      type: 'string',
      repeated: true,
      enum: ['KEY_TYPE_UNSPECIFIED', 'USER_MANAGED', 'SYSTEM_MANAGED'],
    },
  },
  rules: [
    {
      rule: 'KEY_TYPE_UNSPECIFIED is refused',
      source:
        'parameters.keyTypes.enumDescriptions[0]: "Unspecified key type. The presence of this in the message will immediately result in an error."',
    },
    {
      rule: 'a key type may not be given twice',
      source: 'parameters.keyTypes.description: "Duplicate key types are not allowed."',
    },
  ],
};

/** Every method the connector calls, by discovery id. */
export const METHOD_FACTS: readonly MethodFact[] = [
  USERS_LIST,
  USERS_GET,
  TOKENS_LIST,
  ACTIVITIES_LIST,
  PROJECTS_SEARCH,
  PROJECTS_GET_IAM_POLICY,
  SERVICE_ACCOUNTS_LIST,
  KEYS_LIST,
];

/** Where a fact comes from, for messages: `iam/v1/iam-api.json resources…list.parameters.pageSize`. */
export function factSource(m: MethodFact, param?: string): string {
  const doc = DISCOVERY[m.api];
  return `${doc.id} (${doc.source.path}@${doc.source.commit.slice(0, 7)}) ${m.jsonPath}${param ? `.parameters.${param}` : ''}`;
}
