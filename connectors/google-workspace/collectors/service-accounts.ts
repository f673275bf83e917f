import { ApiError } from '../../../src/errors.js';
import type { IdentityInput } from '../../../src/model/index.js';
import { type CallSpec, callGoogle } from '../api.js';
import { COLLECTOR, eachPage, type GoogleScan, PLATFORM } from '../scan-context.js';
import { type ServiceAccount, ServiceAccountsPage } from '../schema.js';
import { type GcpProject, ownerRefs } from './gcp-projects.js';
import type { UserDirectory } from './users.js';

export const ACCOUNTS_SPEC: CallSpec = {
  api: 'IAM API',
  method: 'GET',
  path: '/v1/projects/{project}/serviceAccounts',
  requiredPermission:
    'iam.serviceAccounts.list (roles/iam.serviceAccountViewer or roles/iam.securityReviewer); scope cloud-platform (IAM accepts no narrower scope)',
};

const FIELDS = 'nextPageToken,accounts(projectId,uniqueId,email,displayName,oauth2ClientId,disabled)';

export interface ServiceAccountInfo {
  projectId: string;
  email: string;
  uniqueId: string;
  /** The client id domain-wide delegation is granted to. */
  oauth2ClientId: string;
  displayName: string | null;
  disabled: boolean;
  raw: ServiceAccount;
}

/** Service accounts of every visible project, 100 a page, projects in parallel (bounded by ctx.limit). */
export async function collectServiceAccounts(
  scan: GoogleScan,
  projects: readonly GcpProject[],
  out: ServiceAccountInfo[],
): Promise<void> {
  const { apis, ctx } = scan;
  const failures: ApiError[] = [];
  const gone: string[] = [];
  await Promise.all(
    projects.map((p) =>
      ctx.limit(async () => {
        try {
          await eachPage(
            ACCOUNTS_SPEC,
            (pageToken) =>
              callGoogle(apis, ACCOUNTS_SPEC, ServiceAccountsPage, () =>
                apis.iam.projects.serviceAccounts.list({
                  name: `projects/${p.projectId}`,
                  pageSize: 100,
                  pageToken,
                  fields: FIELDS,
                }),
              ),
            (page) => {
              for (const a of page.accounts ?? []) {
                out.push({
                  projectId: a.projectId,
                  email: a.email,
                  uniqueId: a.uniqueId,
                  oauth2ClientId: a.oauth2ClientId ?? a.uniqueId,
                  displayName: a.displayName ?? null,
                  disabled: a.disabled === true,
                  raw: a,
                });
              }
            },
          );
        } catch (err) {
          const e = err instanceof ApiError ? err : new ApiError(ACCOUNTS_SPEC.api, null, String(err));
          // Deleted since projects:search (it is eventually consistent): nothing to list.
          if (e.status === 404) gone.push(p.projectId);
          else failures.push(e);
        }
      }),
    ),
  );
  ctx.coverage.countItems(COLLECTOR.serviceAccounts, out.length);
  if (gone.length > 0) {
    ctx.coverage.note(COLLECTOR.serviceAccounts, `projects no longer found: ${gone.join(', ')}`);
  }
  if (failures.length > 0) {
    const first = failures[0]!;
    throw new ApiError(
      ACCOUNTS_SPEC.api,
      first.status,
      `listing service accounts failed for ${failures.length} of ${projects.length} projects; first: ${first.message}`,
      {
        method: ACCOUNTS_SPEC.method,
        path: ACCOUNTS_SPEC.path,
        requiredPermission: ACCOUNTS_SPEC.requiredPermission,
      },
    );
  }
}

/**
 * One `service-account` identity per account (native id: its email). Owners are the project's owners;
 * IAM offers no last-use signal (that needs Policy Analyzer), so lastUsed stays null rather than "never".
 */
export function serviceAccountRecords(
  scan: GoogleScan,
  accounts: readonly ServiceAccountInfo[],
  projects: Map<string, GcpProject>,
  users: UserDirectory | undefined,
  delegated: ReadonlySet<string>,
  domain: string,
): IdentityInput[] {
  return [...accounts]
    .sort((a, b) => a.email.localeCompare(b.email))
    .map((sa) => {
      const project = projects.get(sa.projectId);
      return {
        type: 'identity',
        platform: PLATFORM,
        tenant: scan.tenant,
        kind: 'service-account',
        nativeId: sa.email,
        displayName: sa.displayName ?? sa.email,
        publisher: { name: sa.projectId, id: project?.number ?? null, verified: null },
        origin: 'internal',
        createdAt: null,
        enabled: !sa.disabled,
        lastUsed: null,
        owners: project ? ownerRefs(project.owners, users, domain) : [],
        manageUrl: `https://console.cloud.google.com/iam-admin/serviceaccounts/details/${sa.uniqueId}?project=${sa.projectId}`,
        attributes: {
          projectId: sa.projectId,
          projectNumber: project?.number ?? null,
          uniqueId: sa.uniqueId,
          oauth2ClientId: sa.oauth2ClientId,
          domainWideDelegation: delegated.has(sa.oauth2ClientId),
          ownersAre: 'project owners (roles/owner)',
        },
        collector: COLLECTOR.serviceAccounts,
        raw: sa.raw,
      } satisfies IdentityInput;
    });
}
