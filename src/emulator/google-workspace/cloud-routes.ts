import type { cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager';
import type { iam_v1 } from '@googleapis/iam';
import type { EmulatorContext } from '../platform.js';
import type { EmuRequest, EmuResponse, Route } from '../router.js';
import type { KeyRec, ProjectRec, ServiceAccountRec, WorkspaceData } from './data.js';
import { type ApiFamily, googleError, invalidArgument } from './google-errors.js';
import { checkAccess } from './oauth.js';
import { decodePageToken, encodePageToken, etagOf, isResponse, ok, pageSize } from './protocol.js';
import { KEYS_SHAPE, POLICY_SHAPE, PROJECTS_SHAPE, SERVICE_ACCOUNTS_SHAPE } from './shapes.js';

const CLOUD = 'https://www.googleapis.com/auth/cloud-platform';
const CLOUD_READ = 'https://www.googleapis.com/auth/cloud-platform.read-only';

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

/** `projects:search` query: space-separated `key:value` terms over the fields used here. */
function projectFilter(query: string | null): ((p: ProjectRec) => boolean) | null {
  if (!query) return () => true;
  const terms: Array<(p: ProjectRec) => boolean> = [];
  for (const term of query.trim().split(/\s+(?:AND\s+)?/)) {
    const m = /^([a-zA-Z.]+)[:=](.+)$/.exec(term);
    if (!m) return null;
    const value = m[2]!.replace(/^"|"$/g, '');
    switch (m[1]!.toLowerCase()) {
      case 'state':
      case 'lifecyclestate':
        terms.push((p) => p.state === value.toUpperCase());
        break;
      case 'parent':
        terms.push((p) => p.parent === value);
        break;
      case 'id':
      case 'projectid':
        terms.push((p) => p.projectId === value);
        break;
      case 'displayname':
      case 'name':
        terms.push((p) => p.displayName === value);
        break;
      default:
        return null;
    }
  }
  return (p) => terms.every((t) => t(p));
}

export function cloudRoutes(data: () => WorkspaceData | undefined, ctx: EmulatorContext): Route[] {
  const absent = () => googleError(404, 'Not Found', { legacy: false });
  return [
    {
      service: 'google',
      method: 'GET',
      pattern: '/v3/projects:search',
      handler: (req: EmuRequest) => {
        const world = data();
        if (!world) return absent();
        const access = checkAccess(req, ctx, world, { scopes: [CLOUD, CLOUD_READ], api: SEARCH });
        if (isResponse(access)) return access;
        const filter = projectFilter(req.query.get('query'));
        if (!filter) return invalidArgument(SEARCH, 'Request contains an invalid argument.');
        const size = pageSize(req, SEARCH, 'pageSize', { def: 100, max: 500, clamp: true });
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
      handler: (req: EmuRequest) => {
        const world = data();
        if (!world) return absent();
        const access = checkAccess(req, ctx, world, { scopes: [CLOUD, CLOUD_READ], api: GET_POLICY });
        if (isResponse(access)) return access;
        const resource = `projects/${req.params.project}`;
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
      handler: (req: EmuRequest) => {
        const world = data();
        if (!world) return absent();
        const access = checkAccess(req, ctx, world, { scopes: [CLOUD], api: LIST_ACCOUNTS });
        if (isResponse(access)) return access;
        const resource = `projects/${req.params.project}`;
        if (!cloudAccess(world, access.grant)) {
          return permissionDenied(LIST_ACCOUNTS, 'iam.serviceAccounts.list', resource);
        }
        const p = world.findProject(req.params.project!);
        if (!p) return notFound();
        const size = pageSize(req, LIST_ACCOUNTS, 'pageSize', { def: 20, max: 100, clamp: true });
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
      handler: (req: EmuRequest) => {
        const world = data();
        if (!world) return absent();
        const access = checkAccess(req, ctx, world, { scopes: [CLOUD], api: LIST_KEYS });
        if (isResponse(access)) return access;
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
        if (!sa) return notFound();
        const types = req.query.getAll('keyTypes');
        for (const t of types) {
          if (t !== 'USER_MANAGED' && t !== 'SYSTEM_MANAGED' && t !== 'KEY_TYPE_UNSPECIFIED') {
            return invalidArgument(
              LIST_KEYS,
              `Invalid value at 'key_types' (type.googleapis.com/google.iam.admin.v1.ListServiceAccountKeysRequest.KeyType), "${t}"`,
            );
          }
        }
        const wanted = types.filter((t) => t !== 'KEY_TYPE_UNSPECIFIED');
        const keys = world.keys(sa).filter((k) => wanted.length === 0 || wanted.includes(k.keyType));
        const body: iam_v1.Schema$ListServiceAccountKeysResponse = {};
        if (keys.length > 0) body.keys = keys.map(keyResource);
        return ok(req, LIST_KEYS, body, KEYS_SHAPE);
      },
    },
  ];
}
