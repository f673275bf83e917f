import { EndpointUnreachableError } from '../../../src/connector/http.js';
import { ApiError } from '../../../src/errors.js';
import type { PrincipalRef } from '../../../src/model/index.js';
import { type CallSpec, callGoogle } from '../api.js';
import { COLLECTOR, eachPage, type GoogleScan } from '../scan-context.js';
import { IamPolicy, ProjectsPage } from '../schema.js';
import type { UserLookup } from './users.js';

export const PROJECTS_SPEC: CallSpec = {
  api: 'Cloud Resource Manager API',
  method: 'GET',
  path: '/v3/projects:search',
  requiredPermission:
    'resourcemanager.projects.get at the organization (roles/browser) for the service account; scope https://www.googleapis.com/auth/cloud-platform.read-only',
};
export const POLICY_SPEC: CallSpec = {
  api: 'Cloud Resource Manager API',
  method: 'POST',
  path: '/v3/projects/{project}:getIamPolicy',
  requiredPermission:
    'resourcemanager.projects.getIamPolicy (roles/browser); scope https://www.googleapis.com/auth/cloud-platform.read-only',
};

export interface GcpProject {
  projectId: string;
  number: string;
  displayName: string | null;
  /** IAM members holding roles/owner (`user:…`, `group:…`, `deleted:user:…`); empty until the policy is read. */
  owners: string[];
  /** Whether the IAM policy was read: until then `owners` is empty for want of data. */
  ownersKnown: boolean;
}

/**
 * The GCP projects the scanner's service account can see (`projects:search` only returns what the caller
 * may see), filled into `out`.
 */
export async function searchProjects(scan: GoogleScan, out: GcpProject[]): Promise<void> {
  const { ctx, config } = scan;
  // Filled page by page: what was listed before a failure is kept.
  await readProjects(scan, (p) => out.push(p));
  ctx.coverage.countItems(COLLECTOR.projects, out.length);
  if (out.length === 0) {
    ctx.coverage.note(
      COLLECTOR.projects,
      `no projects visible for query '${config.projectQuery}': projects:search shows only projects the service account may see; grant it roles/browser (or roles/iam.securityReviewer) at the organization`,
    );
  }
}

/** One full `projects:search` with the configured query, each project handed to `onProject`. */
async function readProjects(scan: GoogleScan, onProject: (p: GcpProject) => void): Promise<void> {
  const { apis, config } = scan;
  await eachPage(
    PROJECTS_SPEC,
    (pageToken) =>
      callGoogle(apis, PROJECTS_SPEC, ProjectsPage, () =>
        apis.resourceManager.projects.search({
          query: config.projectQuery,
          pageSize: 100,
          pageToken,
          fields: 'nextPageToken,projects(name,projectId,displayName)',
        }),
      ),
    (page) => {
      for (const p of page.projects ?? []) {
        onProject({
          projectId: p.projectId,
          number: p.name.slice('projects/'.length),
          displayName: p.displayName ?? null,
          owners: [],
          ownersKnown: false,
        });
      }
    },
  );
}

/**
 * Which of `projectIds`, listed earlier in this scan, `projects:search` no longer lists: asked when a
 * project's service-account list answered 404. A project being deleted leaves the ACTIVE state at once
 * ("the project is marked for deletion (DELETE_REQUESTED)", cloud.google.com/resource-manager/reference/
 * rest/v3/projects/delete), so the default query (`state:ACTIVE`) stops listing it; one still listed is
 * present, and its 404 a failure.
 */
export async function projectsGone(scan: GoogleScan, projectIds: readonly string[]): Promise<Set<string>> {
  if (projectIds.length === 0) return new Set();
  const listed = new Set<string>();
  await readProjects(scan, (p) => listed.add(p.projectId));
  return new Set(projectIds.filter((id) => !listed.has(id)));
}

/**
 * Each project's owners (roles/owner in its IAM policy): the accountable people for the project's service
 * accounts. Set in place; a failure leaves those projects without owners and fails the collector.
 */
export async function readProjectOwners(scan: GoogleScan, projects: GcpProject[]): Promise<void> {
  const { apis, ctx } = scan;
  const out = projects;
  const failures: ApiError[] = [];
  let unreachable: EndpointUnreachableError | undefined;
  await Promise.all(
    out.map((p) =>
      ctx.limit(async () => {
        // An endpoint that stayed unreachable through the retries will not answer the next one either.
        if (unreachable) return;
        try {
          const policy = await callGoogle(apis, POLICY_SPEC, IamPolicy, () =>
            apis.resourceManager.projects.getIamPolicy({
              resource: `projects/${p.projectId}`,
              requestBody: { options: { requestedPolicyVersion: 3 } },
              fields: 'bindings(role,members)',
            }),
          );
          p.owners = (policy.bindings ?? [])
            .filter((b) => b.role === 'roles/owner')
            .flatMap((b) => b.members ?? []);
          p.ownersKnown = true;
        } catch (err) {
          const e = err instanceof ApiError ? err : new ApiError(POLICY_SPEC.api, null, String(err));
          failures.push(e);
          if (e instanceof EndpointUnreachableError) unreachable ??= e;
        }
      }),
    ),
  );
  if (failures.length > 0) {
    const first = failures[0]!;
    throw new ApiError(
      POLICY_SPEC.api,
      first.status,
      `project owners unknown for ${failures.length} of ${out.length} projects; first: ${first.message}`,
      {
        method: POLICY_SPEC.method,
        path: POLICY_SPEC.path,
        requiredPermission: POLICY_SPEC.requiredPermission,
      },
    );
  }
}

/**
 * IAM members as owners. A user of the domain is active when that user is; a member IAM marks `deleted:` is
 * inactive; others (groups, outside accounts) cannot be judged here (active: null). A user of the domain
 * missing from a complete directory was deleted; missing from last-known statuses, unknown.
 */
export function ownerRefs(members: readonly string[], users: UserLookup, domain: string): PrincipalRef[] {
  return members.map((m): PrincipalRef => {
    const deleted = m.startsWith('deleted:');
    const body = deleted ? m.slice('deleted:'.length) : m;
    const [kind, rest = ''] = body.split(/:(.*)/s, 2);
    const email = rest.split('?')[0]!;
    if (kind === 'user') {
      const u = users.byEmail(email);
      // Our domain but not in the directory: the user was deleted. Outside accounts: unknown.
      const gone = users.complete && email.toLowerCase().endsWith(`@${domain.toLowerCase()}`);
      return {
        id: u?.id ?? email,
        name: email,
        type: 'user',
        active: deleted ? false : u ? u.active : gone ? false : null,
      };
    }
    return {
      id: m,
      name: email || m,
      type: kind === 'group' ? 'group' : kind === 'serviceAccount' ? 'service' : 'unknown',
      active: deleted ? false : null,
    };
  });
}
