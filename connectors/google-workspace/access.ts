import type { AccessCheck, AccessState, ConfigFileReference } from '../../src/connector/access.js';
import type { ConnectorContext } from '../../src/connector/context.js';
import { unreachableIn } from '../../src/connector/http.js';
import { ApiError } from '../../src/errors.js';
import { readServiceAccountKey, SCOPES } from './auth.js';
import { type CallSpec, createGoogleApis, type GoogleApis, toApiError } from './client.js';
import type { GoogleWorkspaceConfig } from './config.js';
import { checkCustomer } from './customer-check.js';

/**
 * `grantscope doctor` for Google Workspace. A domain-wide delegation cannot be read back: the only
 * test of a delegated scope is to ask for a token with it, which the token endpoint refuses with
 * `unauthorized_client` ("Client is unauthorized to retrieve access tokens using this method, or
 * client not authorized for any of the scopes requested": developers.google.com/identity/protocols/
 * oauth2/service-account#error-codes) when the Admin console does not list it. Then the cheapest read
 * of each API (one item) tells whether the impersonated admin's role holds the privilege (403
 * otherwise: admin-sdk/directory/v1/guides/troubleshoot-error-codes), and whether the service account's
 * IAM roles reach the GCP lists. Tokens are only used for those reads; none is kept or logged.
 */

const DWD_CONSOLE = 'https://admin.google.com/ac/owl/domainwidedelegation';
const ADMIN_ROLES = 'https://admin.google.com/ac/roles';
const IAM_ORG_DOC = 'https://cloud.google.com/resource-manager/docs/access-control-org';

/** The collectors doctor checks. */
export const CHECKED_COLLECTORS = [
  'users',
  'oauth-grants',
  'token-activity',
  'domain-wide-delegation',
  'gcp-projects',
  'service-accounts',
  'service-account-keys',
];

interface Probe {
  state: AccessState;
  evidence: string;
}

/** Why a token or call failed, told as a check; throws what means the tenant cannot be checked at all. */
function judge(err: unknown, spec: CallSpec, apis: GoogleApis): Probe & { tokenRefused: boolean } {
  const transport = unreachableIn(err);
  if (transport) throw transport;
  const error = err instanceof ApiError ? err : toApiError(err, spec, apis.tokenUrl);
  const tokenEndpoint = error.api === 'Google OAuth token endpoint';
  if (tokenEndpoint && /unauthorized_client/.test(error.message))
    return { state: 'missing', evidence: `token endpoint: unauthorized_client`, tokenRefused: true };
  // Any other refusal of the key (invalid_grant: a deleted key, a wrong subject) is the whole tenant's.
  if (tokenEndpoint) throw error;
  if (error.status === 403)
    return {
      state: 'missing',
      evidence: `${spec.method} ${spec.path} → 403 ${error.message}`,
      tokenRefused: false,
    };
  if (error.status === 401) throw error;
  return {
    state: 'unknown',
    evidence: `${spec.method} ${spec.path} → ${error.status ?? 'no answer'} ${error.message}`,
    tokenRefused: false,
  };
}

async function attempt(
  apis: GoogleApis,
  spec: CallSpec,
  call: () => Promise<unknown>,
): Promise<Probe & { tokenRefused: boolean }> {
  try {
    await call();
    return { state: 'granted', evidence: `${spec.method} ${spec.path} → 200`, tokenRefused: false };
  } catch (err) {
    return judge(err, spec, apis);
  }
}

const spec = (api: string, method: 'GET' | 'POST', path: string, requiredPermission: string): CallSpec => ({
  api,
  method,
  path,
  requiredPermission,
});

export async function checkGoogleAccess(
  config: GoogleWorkspaceConfig,
  ctx: ConnectorContext,
): Promise<AccessCheck[]> {
  const key = readServiceAccountKey(config, ctx.configDir);
  const apis = createGoogleApis(config, ctx);
  // A customer id that is not the admin's: the connection check fails with "customer not found", as a scan would.
  await checkCustomer(apis, config);
  const clientId = apis.scannerClientId ?? `the client id of ${key.client_email}`;
  const out: AccessCheck[] = [];

  /** A delegated scope and an admin privilege, tried with one read. */
  const delegated = async (
    collectors: string[],
    scope: string,
    privilege: string,
    s: CallSpec,
    call: () => Promise<unknown>,
  ) => {
    const r = await attempt(apis, s, call);
    for (const collector of collectors) {
      const scopeState: AccessState = r.tokenRefused ? 'missing' : 'granted';
      out.push({
        collector,
        needed: `domain-wide delegation of ${scope}`,
        state: scopeState,
        evidence: r.tokenRefused ? r.evidence : 'token issued',
        ...(scopeState === 'missing'
          ? {
              fix: `Admin console → Security → Access and data control → API controls → Domain-wide delegation → client ${clientId} → add scope ${scope}`,
              link: DWD_CONSOLE,
            }
          : {}),
      });
      const privilegeState: AccessState = r.tokenRefused ? 'unknown' : r.state;
      out.push({
        collector,
        needed: `admin privilege ${privilege} (for ${config.subject})`,
        state: privilegeState,
        evidence: r.tokenRefused ? 'not tried: no token for the scope' : r.evidence,
        ...(privilegeState === 'granted'
          ? {}
          : {
              fix: `Admin console → Account → Admin roles → the role of ${config.subject} → Admin API privileges → ${privilege}`,
              link: ADMIN_ROLES,
            }),
      });
    }
  };

  await delegated(
    ['users'],
    SCOPES.users,
    'Users › Read',
    spec('Admin SDK Directory', 'GET', '/admin/directory/v1/users', SCOPES.users),
    () => apis.usersDirectory.users.list({ customer: config.customerId, maxResults: 1, fields: 'users(id)' }),
  );
  await delegated(
    ['oauth-grants'],
    SCOPES.tokens,
    'Security › User security management',
    spec('Admin SDK Directory', 'GET', '/admin/directory/v1/users/{userKey}/tokens', SCOPES.tokens),
    () => apis.tokensDirectory.tokens.list({ userKey: config.subject }),
  );
  await delegated(
    ['token-activity', 'domain-wide-delegation'],
    SCOPES.audit,
    'Reports',
    spec('Admin SDK Reports', 'GET', '/admin/reports/v1/activity/users/all/applications/token', SCOPES.audit),
    () => apis.reports.activities.list({ userKey: 'all', applicationName: 'token', maxResults: 1 }),
  );

  // GCP: the service account's own roles. projects:search answers an empty list, not 403, when the
  // caller may see no project ("returns only projects the caller has permission to see").
  const iamFix = (role: string) =>
    `grant ${key.client_email} ${role} on the organization (gcloud organizations add-iam-policy-binding ORG_ID --member=serviceAccount:${key.client_email} --role=${role})`;
  const searchSpec = spec('Cloud Resource Manager', 'GET', '/v3/projects:search', SCOPES.cloudRead);
  let firstProject: string | null = null;
  let search: Probe;
  try {
    const res = await apis.resourceManager.projects.search({
      query: config.projectQuery,
      pageSize: 1,
      fields: 'projects(projectId)',
    });
    firstProject = res.data.projects?.[0]?.projectId ?? null;
    search = firstProject
      ? { state: 'granted', evidence: `${searchSpec.method} ${searchSpec.path} → 200, a project visible` }
      : {
          state: 'unknown',
          evidence: `${searchSpec.method} ${searchSpec.path} → 200 with no project: the account may lack roles/browser, or the query '${config.projectQuery}' matches none`,
        };
  } catch (err) {
    search = judge(err, searchSpec, apis);
  }
  out.push({
    collector: 'gcp-projects',
    needed: 'IAM resourcemanager.projects.get (roles/browser) at the organization',
    state: search.state,
    evidence: search.evidence,
    ...(search.state === 'granted' ? {} : { fix: iamFix('roles/browser'), link: IAM_ORG_DOC }),
  });

  const listSpec = spec('IAM', 'GET', '/v1/projects/{project}/serviceAccounts', SCOPES.iam);
  const accounts: Probe = firstProject
    ? await attempt(apis, listSpec, () =>
        apis.iam.projects.serviceAccounts.list({ name: `projects/${firstProject}`, pageSize: 1 }),
      )
    : { state: 'unknown', evidence: 'not tried: no project visible to try it on' };
  for (const [collector, needed] of [
    ['service-accounts', 'IAM iam.serviceAccounts.list (roles/iam.serviceAccountViewer) at the organization'],
    [
      'service-account-keys',
      'IAM iam.serviceAccountKeys.list (roles/iam.serviceAccountViewer) at the organization',
    ],
  ] as const) {
    out.push({
      collector,
      needed,
      state: accounts.state,
      evidence: accounts.evidence,
      ...(accounts.state === 'granted'
        ? {}
        : { fix: iamFix('roles/iam.serviceAccountViewer'), link: IAM_ORG_DOC }),
    });
  }
  return out;
}

export function googleConfigFiles(config: GoogleWorkspaceConfig): ConfigFileReference[] {
  return [{ key: 'keyFile', path: config.keyFile }];
}
