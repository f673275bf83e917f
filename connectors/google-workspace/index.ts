import type { ConnectorContext } from '../../src/connector/context.js';
import { isAuthoritative } from '../../src/connector/coverage.js';
import { defineLegacyConnector as defineConnector } from '../../src/connector/legacy.js';
import { describeError } from '../../src/errors.js';
import type { ModelRecordInput } from '../../src/model/record.js';
import { createGoogleApis } from './api.js';
import { SCOPES } from './auth.js';
import { collectDelegations, delegationRecords } from './collectors/domain-wide-delegation.js';
import { type GcpProject, readProjectOwners, searchProjects } from './collectors/gcp-projects.js';
import { collectOAuthGrants, type OAuthGrants, oauthClientRecords } from './collectors/oauth-grants.js';
import { collectKeys, keyRecords } from './collectors/service-account-keys.js';
import {
  collectServiceAccounts,
  type ServiceAccountInfo,
  serviceAccountRecords,
} from './collectors/service-accounts.js';
import {
  carryEarlierActivity,
  collectGrantHistory,
  collectLastUse,
  emptyTokenActivity,
} from './collectors/token-activity.js';
import { collectUsers, directoryLookup } from './collectors/users.js';
import { GoogleWorkspaceConfig } from './config.js';
import { type PreviousScan, readPreviousScan } from './previous-scan.js';
import { vocabulary } from './risk.js';
import { COLLECTOR, type GoogleScan, PLATFORM } from './scan-context.js';
import type { ServiceAccountKey } from './schema.js';

const ADMIN_DWD = (scope: string, privilege: string) =>
  `domain-wide delegation of ${scope} to the service account's client id; the impersonated admin needs ${privilege}`;

/**
 * Google Workspace and the GCP service accounts behind it: per-user OAuth grants of third-party apps (with
 * last use and grant history from the audit log), domain-wide delegation rebuilt from the Admin audit log,
 * and the service accounts and user-managed keys of the organisation's projects.
 *
 * Auth: a service-account key file; Workspace APIs impersonate an admin (`subject`) through domain-wide
 * delegation, GCP APIs run as the service account. Read-only scopes, except two the APIs leave no choice
 * about: `admin.directory.user.security` (tokens.list) and `iam` (IAM v1). See `requires` below.
 */
const googleWorkspace = defineConnector<GoogleWorkspaceConfig>({
  id: PLATFORM,
  platform: PLATFORM,
  title: 'Google Workspace (with GCP service accounts)',
  vocabulary,
  configSchema: GoogleWorkspaceConfig,
  collectors: [
    {
      name: COLLECTOR.users,
      description: 'Users of the domain (active, suspended, archived): who grants act for and who owns what',
      requires: ADMIN_DWD(SCOPES.users, 'the Users › Read privilege'),
    },
    {
      name: COLLECTOR.oauthGrants,
      description: 'Third-party OAuth apps and the scopes each user granted them (tokens.list per user)',
      requires: `${ADMIN_DWD(SCOPES.tokens, 'the User security management privilege')}; tokens.list accepts no read-only scope (this one would also allow revoking tokens, which grantscope never does)`,
    },
    {
      name: COLLECTOR.tokenActivity,
      description: 'Grant, revoke and last-use history of OAuth apps from the Reports token audit log',
      requires: ADMIN_DWD(SCOPES.audit, 'the Reports privilege'),
    },
    {
      name: COLLECTOR.delegation,
      description:
        'Domain-wide delegation grants, rebuilt from Admin audit events (the log covers ~6 months)',
      requires: ADMIN_DWD(SCOPES.audit, 'the Reports privilege'),
    },
    {
      name: COLLECTOR.projects,
      description: 'GCP projects visible to the service account, and their owners',
      requires: `${SCOPES.cloudRead}; IAM resourcemanager.projects.get and resourcemanager.projects.getIamPolicy (roles/browser) at the organization`,
    },
    {
      name: COLLECTOR.serviceAccounts,
      description: 'Service accounts of those projects, joined to domain-wide delegation by OAuth client id',
      requires: `${SCOPES.iam} (IAM has no read-only scope); IAM iam.serviceAccounts.list (roles/iam.serviceAccountViewer) at the organization`,
    },
    {
      name: COLLECTOR.keys,
      description: 'User-managed service-account keys (created, expiry, disabled)',
      requires: `${SCOPES.iam}; IAM iam.serviceAccountKeys.list (roles/iam.serviceAccountViewer) at the organization`,
    },
  ],
  tenantOf: (config) => config.customerId,
  scan: scanGoogleWorkspace,
});
export default googleWorkspace;

function dependencyFailed(needs: string): Error {
  return new Error(`not run: it needs the ${needs} collector, which failed`);
}

async function* scanGoogleWorkspace(
  config: GoogleWorkspaceConfig,
  ctx: ConnectorContext,
): AsyncIterable<ModelRecordInput> {
  const apis = createGoogleApis(config, ctx);
  const now = ctx.clock.now();
  const domain = config.domain ?? config.subject.split('@')[1]!;
  const scan: GoogleScan = {
    config,
    ctx,
    apis,
    tenant: { id: config.customerId, name: config.domain ?? domain },
    now,
    windowStart: new Date(now.getTime() - config.auditWindowDays * 86_400_000),
  };
  const cov = ctx.coverage;

  // Users first: tokens.list fans out over them, and every owner and principal is judged against them.
  const users = await cov.run(COLLECTOR.users, () => collectUsers(scan));

  const grants: OAuthGrants = { perUser: new Map() };
  const grantsDone: Promise<unknown> = users
    ? cov.run(COLLECTOR.oauthGrants, () => collectOAuthGrants(scan, users, grants))
    : Promise.resolve(cov.fail(COLLECTOR.oauthGrants, dependencyFailed(COLLECTOR.users)));

  const activity = emptyTokenActivity();
  const activityDone = cov.run(COLLECTOR.tokenActivity, async () => {
    await collectGrantHistory(scan, activity);
    await carryEarlierActivity(scan, activity);
    await grantsDone;
    const clientIds = new Set(
      [...grants.perUser.values()].flatMap((tokens) => tokens.map((t) => t.clientId)),
    );
    await collectLastUse(scan, clientIds, activity);
  });

  const delegationsDone = cov.run(COLLECTOR.delegation, () => collectDelegations(scan));

  const projects: GcpProject[] = [];
  const accounts: ServiceAccountInfo[] = [];
  const keys = new Map<string, ServiceAccountKey[]>();
  const gcpDone = (async () => {
    let listed = false;
    await cov.run(COLLECTOR.projects, async () => {
      await searchProjects(scan, projects);
      listed = true;
      await readProjectOwners(scan, projects);
    });
    if (!listed) {
      cov.fail(COLLECTOR.serviceAccounts, dependencyFailed(COLLECTOR.projects));
      cov.fail(COLLECTOR.keys, dependencyFailed(COLLECTOR.projects));
      return;
    }
    await cov.run(COLLECTOR.serviceAccounts, () => collectServiceAccounts(scan, projects, accounts));
    await cov.run(COLLECTOR.keys, () => collectKeys(scan, accounts, keys));
    // Keys of accounts that could not be listed are unknown: the key list is incomplete too.
    if (cov.status(COLLECTOR.serviceAccounts) === 'failed' && cov.status(COLLECTOR.keys) === 'complete') {
      cov.fail(
        COLLECTOR.keys,
        new Error('incomplete: the service-accounts collector failed, so some accounts were not listed'),
      );
    }
  })();

  const [, , delegations] = await Promise.all([grantsDone, activityDone, delegationsDone, gcpDone]);

  // Records of the collectors that completed must not change because another one failed: fields that
  // come from a failed collector keep the previous snapshot's values (the store carries over the failed
  // collector's own records).
  const done = (collector: string) => isAuthoritative(cov.status(collector) ?? 'failed');
  let previous: PreviousScan;
  try {
    previous = await readPreviousScan(scan, {
      oauthClients: users !== undefined && !(done(COLLECTOR.oauthGrants) && done(COLLECTOR.tokenActivity)),
      gcp: ![COLLECTOR.users, COLLECTOR.delegation, COLLECTOR.projects, COLLECTOR.serviceAccounts].every(
        done,
      ),
    });
  } catch (err) {
    // Without it the completed collectors' records would change because of the failed ones: store
    // nothing, so that the store keeps every record of this tenant as it was.
    const why = new Error(
      `nothing stored: a collector failed, and the previous snapshot that would keep the other collectors' records unchanged could not be read (${describeError(err)})`,
    );
    for (const c of googleWorkspace.collectors) if (done(c.name)) cov.fail(c.name, why);
    return;
  }
  const userLookup = users ? directoryLookup(users) : previous.users;
  const projectsById = new Map(projects.map((p) => [p.projectId, p]));
  if (users) {
    yield* oauthClientRecords(scan, {
      users,
      grants,
      grantsComplete: done(COLLECTOR.oauthGrants),
      activity: done(COLLECTOR.tokenActivity) ? activity : undefined,
      previous: previous.oauthClients,
      origins: {
        internal: new Set(config.internalClientIds),
        firstParty: new Set(config.firstPartyClientIds),
      },
    });
  }
  if (delegations) {
    yield* delegationRecords(scan, delegations, {
      users: userLookup,
      accountsByClientId: new Map(accounts.map((a) => [a.oauth2ClientId, a])),
      accountsComplete: done(COLLECTOR.serviceAccounts),
      projects: projectsById,
      previous,
      scannerClientId: apis.scannerClientId,
      domain,
    });
  }
  yield* serviceAccountRecords(scan, accounts, {
    projects: projectsById,
    users: userLookup,
    delegated: delegations ? new Set(delegations.active.keys()) : undefined,
    previous,
    domain,
  });
  yield* keyRecords(scan, accounts, keys);
  ctx.logger.debug('google-workspace: directory pacing', { ...apis.directoryPacer.stats() });
}
