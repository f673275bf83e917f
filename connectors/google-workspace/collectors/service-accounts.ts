import { EndpointUnreachableError } from '../../../src/connector/http.js';
import { ApiError } from '../../../src/errors.js';
import type { IdentityInput, PrincipalRef } from '../../../src/model/index.js';
import { type CallSpec, callGoogle } from '../api.js';
import type { PreviousScan } from '../previous-scan.js';
import { COLLECTOR, eachPage, type GoogleScan, PLATFORM } from '../scan-context.js';
import { type ServiceAccount, ServiceAccountsPage } from '../schema.js';
import { type GcpProject, ownerRefs, projectsGone } from './gcp-projects.js';
import { ownersJudged, rejudged, type UserLookup } from './users.js';

export const ACCOUNTS_SPEC: CallSpec = {
  api: 'IAM API',
  method: 'GET',
  path: '/v1/projects/{project}/serviceAccounts',
  requiredPermission:
    'iam.serviceAccounts.list (roles/iam.serviceAccountViewer); scope https://www.googleapis.com/auth/iam (IAM has no read-only scope)',
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

export function serviceAccountInfo(a: ServiceAccount): ServiceAccountInfo {
  return {
    projectId: a.projectId,
    email: a.email,
    uniqueId: a.uniqueId,
    oauth2ClientId: a.oauth2ClientId ?? a.uniqueId,
    displayName: a.displayName ?? null,
    disabled: a.disabled === true,
    raw: a,
  };
}

/** Service accounts of every visible project, 100 a page, projects in parallel (bounded by ctx.limit). */
export async function collectServiceAccounts(
  scan: GoogleScan,
  projects: readonly GcpProject[],
  out: ServiceAccountInfo[],
): Promise<void> {
  const { apis, ctx } = scan;
  const failures: ApiError[] = [];
  const notFound: ApiError[] = [];
  const notFoundIds: string[] = [];
  let unreachable: EndpointUnreachableError | undefined;
  await Promise.all(
    projects.map((p) =>
      ctx.limit(async () => {
        // An endpoint that stayed unreachable through the retries will not answer the next one either.
        if (unreachable) return;
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
              for (const a of page.accounts ?? []) out.push(serviceAccountInfo(a));
            },
          );
        } catch (err) {
          const e = err instanceof ApiError ? err : new ApiError(ACCOUNTS_SPEC.api, null, String(err));
          // A 404 is not "no service accounts": checked below whether the project is gone.
          if (e.status === 404) {
            notFound.push(e);
            notFoundIds.push(p.projectId);
            // Accounts of earlier pages go with the project if it is gone, stay if not (the collector fails).
            for (let i = out.length - 1; i >= 0; i--) if (out[i]!.projectId === p.projectId) out.splice(i, 1);
          } else failures.push(e);
          if (e instanceof EndpointUnreachableError) unreachable ??= e;
        }
      }),
    ),
  );
  // Only a project that projects:search no longer lists takes its service accounts with it.
  const gone = await projectsGone(scan, notFoundIds);
  notFoundIds.forEach((id, i) => {
    if (gone.has(id)) return;
    failures.push(
      new ApiError(
        ACCOUNTS_SPEC.api,
        404,
        `${notFound[i]!.message} (project ${id}, still listed by projects:search: a transient error or a missing permission; its service accounts are kept from the previous scan, not reported removed)`,
        {
          method: ACCOUNTS_SPEC.method,
          path: ACCOUNTS_SPEC.path,
          requiredPermission: ACCOUNTS_SPEC.requiredPermission,
        },
      ),
    );
  });
  ctx.coverage.countItems(COLLECTOR.serviceAccounts, out.length);
  if (gone.size > 0) {
    ctx.coverage.note(
      COLLECTOR.serviceAccounts,
      `projects deleted while scanning (no longer listed): ${[...gone].join(', ')}`,
    );
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
 * Which of `accounts`, listed earlier in this scan, are gone: asked when an account's key list answered
 * 404, which a deleted account gives, but also a transient error. Each such account's project is listed
 * again (serviceAccounts.list, the call that listed it): an account it no longer lists, or a project that
 * answers 404, is gone. Any other failure of that check throws, so the caller fails rather than report
 * the keys removed.
 */
export async function serviceAccountsGone(
  scan: GoogleScan,
  accounts: readonly ServiceAccountInfo[],
): Promise<Set<string>> {
  const { apis, ctx } = scan;
  const gone = new Set<string>();
  const byProject = new Map<string, ServiceAccountInfo[]>();
  for (const a of accounts) byProject.set(a.projectId, [...(byProject.get(a.projectId) ?? []), a]);
  await Promise.all(
    [...byProject].map(([projectId, wanted]) =>
      ctx.limit(async () => {
        const listed = new Set<string>();
        try {
          await eachPage(
            ACCOUNTS_SPEC,
            (pageToken) =>
              callGoogle(apis, ACCOUNTS_SPEC, ServiceAccountsPage, () =>
                apis.iam.projects.serviceAccounts.list({
                  name: `projects/${projectId}`,
                  pageSize: 100,
                  pageToken,
                  fields: FIELDS,
                }),
              ),
            (page) => {
              for (const a of page.accounts ?? []) listed.add(a.email);
            },
          );
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 404)) throw err;
        }
        for (const a of wanted) if (!listed.has(a.email)) gone.add(a.email);
      }),
    ),
  );
  return gone;
}

/**
 * A service account's owners: its project's owners (roles/owner). When the project's IAM policy could not
 * be read this time (or the project not listed), the owners the previous snapshot has for the account
 * stay, their statuses brought up to date; without a previous record they are not known (`known: false`).
 */
export function projectOwners(
  sa: ServiceAccountInfo,
  projects: ReadonlyMap<string, GcpProject>,
  users: UserLookup,
  previous: PreviousScan,
  domain: string,
): { owners: PrincipalRef[]; known: boolean } {
  const project = projects.get(sa.projectId);
  if (project?.ownersKnown) return { owners: ownerRefs(project.owners, users, domain), known: true };
  const before = previous.serviceAccounts.get(sa.email);
  if (before) return { owners: rejudged(before.owners, users), known: before.ownersKnown };
  return { owners: [], known: false };
}

export function projectNumber(
  sa: ServiceAccountInfo,
  projects: ReadonlyMap<string, GcpProject>,
  previous: PreviousScan,
): string | null {
  return projects.get(sa.projectId)?.number ?? previous.serviceAccounts.get(sa.email)?.projectNumber ?? null;
}

/** The delegation flag when the delegations could not be rebuilt: as the previous snapshot had it. */
function delegatedBefore(
  sa: ServiceAccountInfo,
  previous: PreviousScan,
  hasPrevious: boolean,
): boolean | null {
  const before = previous.serviceAccounts.get(sa.email);
  if (before) return before.domainWideDelegation;
  // A new account: the previous snapshot's delegations are what the store keeps. No snapshot: unknown.
  return hasPrevious ? previous.delegations.has(sa.oauth2ClientId) : null;
}

export interface ServiceAccountJoin {
  projects: ReadonlyMap<string, GcpProject>;
  users: UserLookup;
  /** Client ids holding domain-wide delegation; undefined when that collector failed. */
  delegated: ReadonlySet<string> | undefined;
  previous: PreviousScan;
  domain: string;
}

/**
 * One `service-account` identity per account (native id: its email). Owners are the project's owners;
 * IAM offers no last-use signal (that needs Policy Analyzer), so lastUsed stays null rather than "never".
 * Whether it holds domain-wide delegation keeps its previous value when that collector failed.
 */
export function serviceAccountRecords(
  scan: GoogleScan,
  accounts: readonly ServiceAccountInfo[],
  join: ServiceAccountJoin,
): IdentityInput[] {
  const { projects, users, delegated, previous, domain } = join;
  return [...accounts]
    .sort((a, b) => a.email.localeCompare(b.email))
    .map((sa) => {
      const { owners, known } = projectOwners(sa, projects, users, previous, domain);
      return {
        type: 'identity',
        platform: PLATFORM,
        tenant: scan.tenant,
        kind: 'service-account',
        nativeId: sa.email,
        displayName: sa.displayName ?? sa.email,
        publisher: { name: sa.projectId, id: projectNumber(sa, projects, previous), verified: null },
        origin: 'internal',
        createdAt: null,
        enabled: !sa.disabled,
        lastUsed: null,
        owners,
        ownersKnown: known && ownersJudged(owners, users),
        manageUrl: `https://console.cloud.google.com/iam-admin/serviceaccounts/details/${sa.uniqueId}?project=${sa.projectId}`,
        attributes: {
          projectId: sa.projectId,
          projectNumber: projectNumber(sa, projects, previous),
          uniqueId: sa.uniqueId,
          oauth2ClientId: sa.oauth2ClientId,
          domainWideDelegation: delegated
            ? delegated.has(sa.oauth2ClientId)
            : delegatedBefore(sa, previous, scan.ctx.previous.scanId !== null),
          ownersAre: 'project owners (roles/owner)',
        },
        collector: COLLECTOR.serviceAccounts,
        raw: sa.raw,
      } satisfies IdentityInput;
    });
}
