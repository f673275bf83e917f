import { defineCollector } from '../../../src/connector/collector.js';
import type { ConnectorContext } from '../../../src/connector/context.js';
import { EndpointUnreachableError } from '../../../src/connector/http.js';
import { ApiError } from '../../../src/errors.js';
import { SCOPES } from '../auth.js';
import { type CallSpec, callGoogle, eachPage } from '../client.js';
import type { GcpProject } from '../records.js';
import { IamPolicy, ProjectsPage } from '../schema.js';
import { type GoogleSession, previousScan } from '../session.js';

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

export interface GcpProjects {
  projects: GcpProject[];
  /** Why some projects' owners are unknown: the collector fails with it (see `transform`). */
  ownersFailure: ApiError | null;
}

/**
 * The GCP projects the scanner's service account can see (`projects:search` only returns what the caller
 * may see) and each one's owners (roles/owner in its IAM policy): the accountable people for the
 * project's service accounts. No records of its own: service-accounts lists the accounts of these
 * projects, and the service-account and delegation records take their owners from here.
 *
 * A project whose owners could not be read fails this collector, but must not keep its service accounts
 * from being listed. So the fetch returns the projects with the failure, and `transform` raises it: it
 * runs after service-accounts' fetch (enrichedBy), which the failure would otherwise have stopped.
 */
export const gcpProjects = defineCollector<GoogleSession, GcpProjects>({
  name: 'gcp-projects',
  description: 'GCP projects visible to the service account, and their owners',
  permissions: [
    SCOPES.cloudRead,
    'IAM resourcemanager.projects.get and resourcemanager.projects.getIamPolicy (roles/browser) at the organization',
  ],
  enrichedBy: ['service-accounts'],
  async fetch(session, { name, ctx }) {
    const projects: GcpProject[] = [];
    await readProjects(session, (p) => projects.push(p));
    ctx.coverage.countItems(name, projects.length);
    if (projects.length === 0) {
      ctx.coverage.note(
        name,
        `no projects visible for query '${session.config.projectQuery}': projects:search shows only projects the service account may see; grant it roles/browser (or roles/iam.securityReviewer) at the organization`,
      );
    }
    const ownersFailure = await readProjectOwners(session, ctx, projects);
    // No records of its own, but complete only if the scan can store what the others emit.
    previousScan(session);
    return { projects, ownersFailure };
  },
  transform({ ownersFailure }) {
    if (ownersFailure) throw ownersFailure;
    return [];
  },
});

/** One full `projects:search` with the configured query, each project handed to `onProject`. */
async function readProjects(session: GoogleSession, onProject: (p: GcpProject) => void): Promise<void> {
  const { apis, config } = session;
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
export async function projectsGone(
  session: GoogleSession,
  projectIds: readonly string[],
): Promise<Set<string>> {
  if (projectIds.length === 0) return new Set();
  const listed = new Set<string>();
  await readProjects(session, (p) => listed.add(p.projectId));
  return new Set(projectIds.filter((id) => !listed.has(id)));
}

/**
 * Each project's owners, set in place. A failure leaves those projects without owners (`ownersKnown`
 * false) and is returned, naming how many projects it hit.
 */
async function readProjectOwners(
  session: GoogleSession,
  ctx: ConnectorContext,
  projects: GcpProject[],
): Promise<ApiError | null> {
  const { apis } = session;
  const failures: ApiError[] = [];
  let unreachable: EndpointUnreachableError | undefined;
  await Promise.all(
    projects.map((p) =>
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
  if (failures.length === 0) return null;
  const first = failures[0]!;
  return new ApiError(
    POLICY_SPEC.api,
    first.status,
    `project owners unknown for ${failures.length} of ${projects.length} projects; first: ${first.message}`,
    {
      method: POLICY_SPEC.method,
      path: POLICY_SPEC.path,
      requiredPermission: POLICY_SPEC.requiredPermission,
    },
  );
}
