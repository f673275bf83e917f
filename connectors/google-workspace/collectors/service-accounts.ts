import { defineCollector, PartialFailure } from '../../../src/connector/collector.js';
import type { ConnectorContext } from '../../../src/connector/context.js';
import { EndpointUnreachableError } from '../../../src/connector/http.js';
import { ApiError } from '../../../src/errors.js';
import type { Tenant } from '../../../src/model/common.js';
import type { IdentityInput } from '../../../src/model/index.js';
import { SCOPES } from '../auth.js';
import { type CallSpec, callGoogle, eachPage } from '../client.js';
import type { PreviousScan } from '../previous-scan.js';
import {
  type GcpProject,
  ownersJudged,
  projectNumber,
  projectOwners,
  type ServiceAccountInfo,
  serviceAccountInfo,
  type UserLookup,
} from '../records.js';
import { ServiceAccountsPage } from '../schema.js';
import { type GoogleSession, PLATFORM, previousForRecords } from '../session.js';
import { gcpProjects, projectsGone } from './gcp-projects.js';
import { directoryLookup, users } from './users.js';

const NAME = 'service-accounts';

export const ACCOUNTS_SPEC: CallSpec = {
  api: 'IAM API',
  method: 'GET',
  path: '/v1/projects/{project}/serviceAccounts',
  requiredPermission:
    'iam.serviceAccounts.list (roles/iam.serviceAccountViewer); scope https://www.googleapis.com/auth/iam (IAM has no read-only scope)',
};

const FIELDS = 'nextPageToken,accounts(projectId,uniqueId,email,displayName,oauth2ClientId,disabled)';

/**
 * Service accounts of every visible project, 100 a page, projects in parallel (bounded by ctx.limit).
 * When some projects fail, the accounts of the others are still emitted and the collector fails.
 */
export const serviceAccounts = defineCollector<GoogleSession, ServiceAccountInfo[]>({
  name: NAME,
  description: 'Service accounts of those projects, joined to domain-wide delegation by OAuth client id',
  permissions: [
    `${SCOPES.iam} (IAM has no read-only scope)`,
    'IAM iam.serviceAccounts.list (roles/iam.serviceAccountViewer) at the organization',
  ],
  dependsOn: [gcpProjects.name],
  enrichedBy: [users.name, 'domain-wide-delegation'],
  async fetch(session, run) {
    const accounts: ServiceAccountInfo[] = [];
    try {
      await listAccounts(session, run.ctx, run.input(gcpProjects).projects, accounts);
    } catch (err) {
      throw new PartialFailure(err, accounts);
    }
    return accounts;
  },
  transform(accounts, session, run) {
    const previous = previousForRecords(session, run);
    if (!previous) return [];
    const directory = run.optional(users);
    const delegations = run.optional<{ active: ReadonlyMap<string, unknown> }>('domain-wide-delegation');
    return serviceAccountRecords(accounts, {
      tenant: session.tenant,
      projects: new Map(run.input(gcpProjects).projects.map((p) => [p.projectId, p])),
      users: directory ? directoryLookup(directory) : previous.users,
      delegated: delegations ? new Set(delegations.active.keys()) : undefined,
      previous,
      domain: session.domain,
    });
  },
});

/** Every project's accounts into `out` (so that a failure leaves what was read). */
async function listAccounts(
  session: GoogleSession,
  ctx: ConnectorContext,
  projects: readonly GcpProject[],
  out: ServiceAccountInfo[],
): Promise<void> {
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
          await listProject(session, p.projectId, (a) => out.push(serviceAccountInfo(a)));
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
  const gone = await projectsGone(session, notFoundIds);
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
  if (gone.size > 0) {
    ctx.coverage.note(NAME, `projects deleted while scanning (no longer listed): ${[...gone].join(', ')}`);
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

/** serviceAccounts.list of one project, every page. */
async function listProject(
  session: GoogleSession,
  projectId: string,
  onAccount: (a: Parameters<typeof serviceAccountInfo>[0]) => void,
): Promise<void> {
  const { apis } = session;
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
      for (const a of page.accounts ?? []) onAccount(a);
    },
  );
}

/**
 * Which of `accounts`, listed earlier in this scan, are gone: asked when an account's key list answered
 * 404, which a deleted account gives, but also a transient error. Each such account's project is listed
 * again (serviceAccounts.list, the call that listed it): an account it no longer lists, or a project that
 * answers 404, is gone. Any other failure of that check throws, so the caller fails rather than report
 * the keys removed.
 */
export async function serviceAccountsGone(
  session: GoogleSession,
  ctx: ConnectorContext,
  accounts: readonly ServiceAccountInfo[],
): Promise<Set<string>> {
  const gone = new Set<string>();
  const byProject = new Map<string, ServiceAccountInfo[]>();
  for (const a of accounts) byProject.set(a.projectId, [...(byProject.get(a.projectId) ?? []), a]);
  await Promise.all(
    [...byProject].map(([projectId, wanted]) =>
      ctx.limit(async () => {
        const listed = new Set<string>();
        try {
          await listProject(session, projectId, (a) => listed.add(a.email));
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 404)) throw err;
        }
        for (const a of wanted) if (!listed.has(a.email)) gone.add(a.email);
      }),
    ),
  );
  return gone;
}

export interface ServiceAccountJoin {
  tenant: Tenant;
  projects: ReadonlyMap<string, GcpProject>;
  users: UserLookup;
  /** Client ids holding domain-wide delegation; undefined when that collector failed. */
  delegated: ReadonlySet<string> | undefined;
  previous: PreviousScan;
  domain: string;
}

/** The delegation flag when the delegations could not be rebuilt: as the previous snapshot had it. */
function delegatedBefore(sa: ServiceAccountInfo, previous: PreviousScan): boolean | null {
  const before = previous.serviceAccounts.get(sa.email);
  if (before) return before.domainWideDelegation;
  // A new account: the previous snapshot's delegations are what the store keeps. No snapshot: unknown.
  return previous.scanId !== null ? previous.delegations.has(sa.oauth2ClientId) : null;
}

/**
 * One `service-account` identity per account (native id: its email). Owners are the project's owners;
 * IAM offers no last-use signal (that needs Policy Analyzer), so lastUsed stays null rather than "never".
 * Whether it holds domain-wide delegation keeps its previous value when that collector failed.
 */
export function serviceAccountRecords(
  accounts: readonly ServiceAccountInfo[],
  join: ServiceAccountJoin,
): IdentityInput[] {
  const { projects, users, delegated, previous, domain } = join;
  return [...accounts]
    .sort((a, b) => a.email.localeCompare(b.email))
    .map((sa) => {
      const before = previous.serviceAccounts.get(sa.email);
      const { owners, known } = projectOwners(sa, projects, users, before, domain);
      const number = projectNumber(sa, projects, before);
      return {
        type: 'identity',
        platform: PLATFORM,
        tenant: join.tenant,
        kind: 'service-account',
        nativeId: sa.email,
        displayName: sa.displayName ?? sa.email,
        publisher: { name: sa.projectId, id: number, verified: null },
        origin: 'internal',
        createdAt: null,
        enabled: !sa.disabled,
        lastUsed: null,
        owners,
        ownersKnown: known && ownersJudged(owners, users),
        manageUrl: `https://console.cloud.google.com/iam-admin/serviceaccounts/details/${sa.uniqueId}?project=${sa.projectId}`,
        attributes: {
          projectId: sa.projectId,
          projectNumber: number,
          uniqueId: sa.uniqueId,
          oauth2ClientId: sa.oauth2ClientId,
          domainWideDelegation: delegated ? delegated.has(sa.oauth2ClientId) : delegatedBefore(sa, previous),
          ownersAre: 'project owners (roles/owner)',
        },
        collector: NAME,
        raw: sa.raw,
      } satisfies IdentityInput;
    });
}
