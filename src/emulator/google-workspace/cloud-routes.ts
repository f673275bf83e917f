import type { cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager';
import type { iam_v1 } from '@googleapis/iam';
import type { EmulatorContext } from '../platform.js';
import type { EmuRequest, EmuResponse, Route } from '../router.js';
import type { KeyRec, ProjectRec, ServiceAccountRec, WorkspaceData } from './data.js';
import {
  KEYS_LIST,
  PROJECTS_GET_IAM_POLICY,
  PROJECTS_SEARCH,
  SERVICE_ACCOUNTS_LIST,
} from './discovery-facts.js';
import { type ApiFamily, googleError, invalidArgument, unknownBodyField } from './google-errors.js';
import { checkAccess } from './oauth.js';
import { checkParams } from './param-rules.js';
import { decodePageToken, encodePageToken, etagOf, isResponse, ok, pageSize } from './protocol.js';
import { googleRouteFaults } from './route-faults.js';
import { KEYS_SHAPE, POLICY_SHAPE, PROJECTS_SHAPE, SERVICE_ACCOUNTS_SHAPE } from './shapes.js';

const SEARCH: ApiFamily = {
  service: 'cloudresourcemanager.googleapis.com',
  legacy: false,
  method: 'google.cloud.resourcemanager.v3.Projects.SearchProjects',
};
const GET_POLICY: ApiFamily = {
  service: 'cloudresourcemanager.googleapis.com',
  legacy: false,
  method: 'google.cloud.resourcemanager.v3.Projects.GetIamPolicy',
};
const LIST_ACCOUNTS: ApiFamily = {
  service: 'iam.googleapis.com',
  legacy: false,
  method: 'google.iam.admin.v1.IAM.ListServiceAccounts',
};
const LIST_KEYS: ApiFamily = {
  service: 'iam.googleapis.com',
  legacy: false,
  method: 'google.iam.admin.v1.IAM.ListServiceAccountKeys',
};

/**
 * IAM's refusal: 403 PERMISSION_DENIED with an ErrorInfo of reason IAM_PERMISSION_DENIED
 * (googleapis/googleapis google/api/error_reason.proto documents the reason and its metadata).
 */
function permissionDenied(api: ApiFamily, permission: string, resource: string): EmuResponse {
  return googleError(
    403,
    `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`,
    {
      legacy: false,
      errorInfo: { reason: 'IAM_PERMISSION_DENIED', service: api.service, method: api.method },
    },
  );
}

function notFound(): EmuResponse {
  return googleError(404, 'Requested entity was not found.', { legacy: false });
}

/** IAM data is visible to the scanner's own service account (no `sub`) when the world grants it roles. */
function cloudAccess(world: WorkspaceData, grant: { sub: string | null }): boolean {
  return grant.sub === null && world.scanner.cloudAccess;
}

export function projectResource(p: ProjectRec): cloudresourcemanager_v3.Schema$Project {
  const project: cloudresourcemanager_v3.Schema$Project = {
    name: `projects/${p.number}`,
    parent: p.parent,
    projectId: p.projectId,
    state: p.state,
    displayName: p.displayName,
    createTime: new Date(p.createdAt).toISOString(),
    updateTime: new Date(p.createdAt).toISOString(),
    etag: `W/"${etagOf('project', p).slice(1, 17)}"`,
  };
  if (Object.keys(p.labels).length > 0) project.labels = p.labels;
  return project;
}

export function serviceAccountResource(sa: ServiceAccountRec): iam_v1.Schema$ServiceAccount {
  const out: iam_v1.Schema$ServiceAccount = {
    name: `projects/${sa.projectId}/serviceAccounts/${sa.email}`,
    projectId: sa.projectId,
    uniqueId: sa.uniqueId,
    email: sa.email,
    etag: 'MDEwMjE5MjA=',
    // The service account's OAuth client id is its unique id: the key domain-wide delegation is granted to.
    oauth2ClientId: sa.uniqueId,
  };
  if (sa.displayName) out.displayName = sa.displayName;
  if (sa.description) out.description = sa.description;
  // proto3 JSON: false booleans are left out.
  if (sa.disabled) out.disabled = true;
  return out;
}

export function keyResource(k: KeyRec): iam_v1.Schema$ServiceAccountKey {
  const out: iam_v1.Schema$ServiceAccountKey = {
    name: k.name,
    validAfterTime: k.validAfter,
    validBeforeTime: k.validBefore,
    keyAlgorithm: k.algorithm,
    keyOrigin: k.origin,
    keyType: k.keyType,
  };
  if (k.disabled) {
    out.disabled = true;
    out.disableReason = k.exposed
      ? 'SERVICE_ACCOUNT_KEY_DISABLE_REASON_EXPOSED'
      : 'SERVICE_ACCOUNT_KEY_DISABLE_REASON_USER_INITIATED';
  }
  if (k.exposed) {
    out.extendedStatus = [
      { key: 'SERVICE_ACCOUNT_KEY_EXPOSED', value: 'https://github.com/example/leaked/blob/main/key.json' },
    ];
  }
  return out;
}

type ProjectTerm = (p: ProjectRec) => boolean;

const lower = (v: string) => v.toLowerCase();
/** `how*` matches a prefix; anything else the whole value; case-insensitive throughout. */
function valueMatch(pattern: string): (v: string | undefined) => boolean {
  const want = lower(pattern);
  if (want === '*') return (v) => v !== undefined;
  if (want.endsWith('*')) return (v) => v !== undefined && lower(v).startsWith(want.slice(0, -1));
  return (v) => v !== undefined && lower(v) === want;
}

/**
 * `projects:search` query, per the discovery description of `query`: `field:value` terms over
 * displayName/name, parent, parent.type, parent.id, id/projectId, state/lifecycleState, labels and
 * labels.<key>; "Search expressions are case insensitive"; "If multiple fields are included in the
 * query, then it will return results that match any of the fields" (terms joined by AND must all hold).
 * Null for a query the emulator cannot read (refused as an invalid argument).
 */
function projectFilter(query: string | null): ProjectTerm | null {
  if (!query || query.trim() === '') return () => true;
  const words = query.trim().split(/\s+/);
  const all = words.includes('AND');
  const terms: ProjectTerm[] = [];
  for (const word of words.filter((w) => w !== 'AND' && w !== 'OR')) {
    const m = /^([a-zA-Z.]+)[:=](.+)$/.exec(word);
    if (!m) return null;
    const match = valueMatch(m[2]!.replace(/^"|"$/g, ''));
    const field = lower(m[1]!);
    if (field === 'state' || field === 'lifecyclestate') terms.push((p) => match(p.state));
    else if (field === 'parent') terms.push((p) => match(p.parent));
    else if (field === 'parent.type') terms.push((p) => match(p.parent.split('/')[0]?.replace(/s$/, '')));
    else if (field === 'parent.id') terms.push((p) => match(p.parent.split('/')[1]));
    else if (field === 'id' || field === 'projectid') terms.push((p) => match(p.projectId));
    else if (field === 'displayname' || field === 'name') terms.push((p) => match(p.displayName));
    else if (field === 'labels')
      terms.push((p) => Object.entries(p.labels).some(([k, v]) => match(k) || match(v)));
    else if (field.startsWith('labels.')) terms.push((p) => match(p.labels[m[1]!.slice('labels.'.length)]));
    else return null;
  }
  return all ? (p) => terms.every((t) => t(p)) : (p) => terms.some((t) => t(p));
}

/**
 * The getIamPolicy body: a GetIamPolicyRequest (`options.requestedPolicyVersion` only). One Platform
 * refuses unknown JSON fields (`Invalid JSON payload received. Unknown name "x": Cannot find field.`),
 * and "Valid values are 0, 1, and 3. Requests specifying an invalid value will be rejected."
 * (discovery schemas.GetPolicyOptions.properties.requestedPolicyVersion).
 */
function policyRequestError(req: EmuRequest): EmuResponse | null {
  const text = req.body.toString('utf8').trim();
  if (text === '') return null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return invalidArgument(GET_POLICY, 'Invalid JSON payload received.');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return invalidArgument(GET_POLICY, 'Invalid JSON payload received.');
  }
  for (const k of Object.keys(body)) if (k !== 'options') return unknownBodyField(GET_POLICY, k, null);
  const options = (body as { options?: unknown }).options;
  if (options === undefined || options === null) return null;
  if (typeof options !== 'object') return invalidArgument(GET_POLICY, 'Invalid JSON payload received.');
  for (const k of Object.keys(options)) {
    if (k !== 'requestedPolicyVersion') return unknownBodyField(GET_POLICY, k, 'options');
  }
  const v = (options as { requestedPolicyVersion?: unknown }).requestedPolicyVersion;
  if (v !== undefined && v !== 0 && v !== 1 && v !== 3) {
    return invalidArgument(GET_POLICY, 'Request contains an invalid argument.');
  }
  return null;
}

export function cloudRoutes(data: () => WorkspaceData | undefined, ctx: EmulatorContext): Route[] {
  const absent = () => googleError(404, 'Not Found', { legacy: false });
  return [
    {
      service: 'google',
      method: 'GET',
      pattern: '/v3/projects:search',
      // Search lists only what the caller may see: no permission is refused here.
      faults: googleRouteFaults(SEARCH, { paged: true }),
      handler: (req: EmuRequest) => {
        const world = data();
        if (!world) return absent();
        const access = checkAccess(req, ctx, world, { scopes: PROJECTS_SEARCH.scopes, api: SEARCH });
        if (isResponse(access)) return access;
        const invalid = checkParams(req, PROJECTS_SEARCH, SEARCH);
        if (invalid) return invalid;
        const filter = projectFilter(req.query.get('query'));
        if (!filter) return invalidArgument(SEARCH, 'Request contains an invalid argument.');
        // No maximum is documented ("The server can return fewer projects than requested"): the emulator
        // serves at most 500 a page.
        const size = pageSize(req, SEARCH, 'pageSize', { def: 100, max: 500 });
        if (isResponse(size)) return size;
        const page = decodePageToken(req, SEARCH);
        if (isResponse(page)) return page;
        const body: cloudresourcemanager_v3.Schema$SearchProjectsResponse = {};
        // Search returns only what the caller may see: nothing at all without roles at the organization.
        if (!cloudAccess(world, access.grant)) return ok(req, SEARCH, body, PROJECTS_SHAPE);
        const projects: cloudresourcemanager_v3.Schema$Project[] = [];
        let i = page.cursor ? Number(page.cursor) : 0;
        for (; i < world.projectCount && projects.length < size; i++) {
          const p = world.projectAt(i);
          if (filter(p)) projects.push(projectResource(p));
        }
        while (i < world.projectCount && !filter(world.projectAt(i))) i++;
        if (projects.length > 0) body.projects = projects;
        if (i < world.projectCount) body.nextPageToken = encodePageToken(req, String(i));
        return ok(req, SEARCH, body, PROJECTS_SHAPE);
      },
    },
    {
      service: 'google',
      method: 'POST',
      pattern: '/v3/projects/{project}:getIamPolicy',
      faults: googleRouteFaults(GET_POLICY, {
        permissionDenied: (req) =>
          permissionDenied(
            GET_POLICY,
            'resourcemanager.projects.getIamPolicy',
            `projects/${req.params.project}`,
          ),
        // "Permission is denied if the policy or the resource do not exist." (discovery description)
        notFound: (req) =>
          permissionDenied(
            GET_POLICY,
            'resourcemanager.projects.getIamPolicy',
            `projects/${req.params.project}`,
          ),
        paged: false,
      }),
      handler: (req: EmuRequest) => {
        const world = data();
        if (!world) return absent();
        const access = checkAccess(req, ctx, world, {
          scopes: PROJECTS_GET_IAM_POLICY.scopes,
          api: GET_POLICY,
        });
        if (isResponse(access)) return access;
        const invalid = checkParams(req, PROJECTS_GET_IAM_POLICY, GET_POLICY) ?? policyRequestError(req);
        if (invalid) return invalid;
        const resource = `projects/${req.params.project}`;
        // "Permission is denied if the policy or the resource do not exist." (discovery description)
        const p = world.findProject(req.params.project!);
        if (!p || !cloudAccess(world, access.grant)) {
          return permissionDenied(GET_POLICY, 'resourcemanager.projects.getIamPolicy', resource);
        }
        const bindings: cloudresourcemanager_v3.Schema$Binding[] = [];
        if (p.owners.length > 0) bindings.push({ role: 'roles/owner', members: p.owners });
        bindings.push({
          role: 'roles/iam.securityReviewer',
          members: [`serviceAccount:${world.scanner.serviceAccount}`],
        });
        const policy: cloudresourcemanager_v3.Schema$Policy = {
          version: 1,
          etag: `BwX${etagOf('policy', p).slice(1, 14)}`,
          bindings,
        };
        return ok(req, GET_POLICY, policy, POLICY_SHAPE);
      },
    },
    {
      service: 'google',
      method: 'GET',
      pattern: '/v1/projects/{project}/serviceAccounts',
      faults: googleRouteFaults(LIST_ACCOUNTS, {
        permissionDenied: (req) =>
          permissionDenied(LIST_ACCOUNTS, 'iam.serviceAccounts.list', `projects/${req.params.project}`),
        notFound,
        paged: true,
      }),
      handler: (req: EmuRequest) => {
        const world = data();
        if (!world) return absent();
        // iam:v1 accepts cloud-platform only (auth.oauth2.scopes of its discovery document).
        const access = checkAccess(req, ctx, world, {
          scopes: SERVICE_ACCOUNTS_LIST.scopes,
          api: LIST_ACCOUNTS,
        });
        if (isResponse(access)) return access;
        const invalid = checkParams(req, SERVICE_ACCOUNTS_LIST, LIST_ACCOUNTS);
        if (invalid) return invalid;
        const resource = `projects/${req.params.project}`;
        if (!cloudAccess(world, access.grant)) {
          return permissionDenied(LIST_ACCOUNTS, 'iam.serviceAccounts.list', resource);
        }
        const p = world.findProject(req.params.project!);
        if (!p) return notFound();
        // "The default is 20, and the maximum is 100." (discovery parameters.pageSize.description)
        const size = pageSize(req, LIST_ACCOUNTS, 'pageSize', { def: 20, max: 100 });
        if (isResponse(size)) return size;
        const page = decodePageToken(req, LIST_ACCOUNTS);
        if (isResponse(page)) return page;
        const all = world.serviceAccounts(p);
        const start = page.cursor ? Number(page.cursor) : 0;
        const body: iam_v1.Schema$ListServiceAccountsResponse = {};
        const accounts = all.slice(start, start + size).map(serviceAccountResource);
        if (accounts.length > 0) body.accounts = accounts;
        if (start + size < all.length) body.nextPageToken = encodePageToken(req, String(start + size));
        return ok(req, LIST_ACCOUNTS, body, SERVICE_ACCOUNTS_SHAPE);
      },
    },
    {
      service: 'google',
      method: 'GET',
      pattern: '/v1/projects/{project}/serviceAccounts/{account}/keys',
      faults: googleRouteFaults(LIST_KEYS, {
        permissionDenied: (req) =>
          permissionDenied(
            LIST_KEYS,
            'iam.serviceAccountKeys.list',
            `projects/${req.params.project}/serviceAccounts/${req.params.account}`,
          ),
        // With `-` for the project a missing account answers 403 (see the handler).
        notFound: (req) =>
          req.params.project === '-'
            ? permissionDenied(
                LIST_KEYS,
                'iam.serviceAccountKeys.list',
                `projects/-/serviceAccounts/${req.params.account}`,
              )
            : notFound(),
        paged: false,
      }),
      handler: (req: EmuRequest) => {
        const world = data();
        if (!world) return absent();
        const access = checkAccess(req, ctx, world, { scopes: KEYS_LIST.scopes, api: LIST_KEYS });
        if (isResponse(access)) return access;
        const invalid = checkParams(req, KEYS_LIST, LIST_KEYS);
        if (invalid) return invalid;
        const resource = `projects/${req.params.project}/serviceAccounts/${req.params.account}`;
        if (!cloudAccess(world, access.grant)) {
          return permissionDenied(LIST_KEYS, 'iam.serviceAccountKeys.list', resource);
        }
        const accountKey = req.params.account!;
        const projects =
          req.params.project === '-'
            ? Array.from({ length: world.projectCount }, (_, i) => world.projectAt(i))
            : [world.findProject(req.params.project!)].filter((p): p is ProjectRec => p !== undefined);
        let sa: ServiceAccountRec | undefined;
        for (const p of projects) {
          sa = world.serviceAccounts(p).find((a) => a.email === accountKey || a.uniqueId === accountKey);
          if (sa) break;
        }
        // With `-` for the project, an account that does not exist answers 403, not 404 ("if you try to
        // access the service account `projects/-/serviceAccounts/fake@example.com`, which does not exist,
        // the response contains an HTTP `403 Forbidden` error", discovery parameters.name.description).
        if (!sa) {
          return req.params.project === '-'
            ? permissionDenied(LIST_KEYS, 'iam.serviceAccountKeys.list', resource)
            : notFound();
        }
        const types = req.query.getAll('keyTypes');
        for (const t of types) {
          if (!KEYS_LIST.params.keyTypes!.enum!.includes(t)) {
            return invalidArgument(
              LIST_KEYS,
              `Invalid value at 'key_types' (type.googleapis.com/google.iam.admin.v1.ListServiceAccountKeysRequest.KeyType), "${t}"`,
            );
          }
        }
        // "Unspecified key type. The presence of this in the message will immediately result in an error."
        // and "Duplicate key types are not allowed." (discovery parameters.keyTypes)
        if (types.includes('KEY_TYPE_UNSPECIFIED') || new Set(types).size !== types.length) {
          return invalidArgument(LIST_KEYS, 'Request contains an invalid argument.');
        }
        const keys = world.keys(sa).filter((k) => types.length === 0 || types.includes(k.keyType));
        const body: iam_v1.Schema$ListServiceAccountKeysResponse = {};
        if (keys.length > 0) body.keys = keys.map(keyResource);
        return ok(req, LIST_KEYS, body, KEYS_SHAPE);
      },
    },
  ];
}
