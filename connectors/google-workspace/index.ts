import { defineConnector } from '../../src/connector/connector.js';
import { checkGoogleAccess, googleConfigFiles } from './access.js';
import { domainWideDelegation } from './collectors/domain-wide-delegation.js';
import { gcpProjects } from './collectors/gcp-projects.js';
import { oauthGrants } from './collectors/oauth-grants.js';
import { serviceAccountKeys } from './collectors/service-account-keys.js';
import { serviceAccounts } from './collectors/service-accounts.js';
import { tokenActivity } from './collectors/token-activity.js';
import { users } from './collectors/users.js';
import { GoogleWorkspaceConfig } from './config.js';
import { vocabulary } from './risk.js';
import { connect, type GoogleSession, PLATFORM } from './session.js';

/**
 * Google Workspace and the GCP service accounts behind it: per-user OAuth grants of third-party apps (with
 * last use and grant history from the audit log), domain-wide delegation rebuilt from the Admin audit log,
 * and the service accounts and user-managed keys of the organisation's projects.
 *
 * Auth: a service-account key file; Workspace APIs impersonate an admin (`subject`) through domain-wide
 * delegation, GCP APIs run as the service account. Read-only scopes, except two the APIs leave no choice
 * about: `admin.directory.user.security` (tokens.list) and `iam` (IAM v1). Each collector lists its own.
 *
 * How the collectors depend on each other (the runner orders them):
 * - users → oauth-grants (tokens.list fans out over the users). oauth-grants also reads each app's last
 *   use for token-activity, and its records wait for token-activity's grant history (enrichedBy).
 * - gcp-projects → service-accounts → service-account-keys.
 * - domain-wide-delegation and service-accounts join each other's data, the users and the projects'
 *   owners in their records (enrichedBy); a failed one leaves the previous snapshot's values.
 */
const googleWorkspace = defineConnector<GoogleWorkspaceConfig, GoogleSession>({
  id: PLATFORM,
  platform: PLATFORM,
  title: 'Google Workspace (with GCP service accounts)',
  vocabulary,
  configSchema: GoogleWorkspaceConfig,
  tenantOf: (config) => config.customerId,
  connect,
  checkAccess: checkGoogleAccess,
  configFiles: googleConfigFiles,
  collectors: [
    users,
    oauthGrants,
    tokenActivity,
    domainWideDelegation,
    gcpProjects,
    serviceAccounts,
    serviceAccountKeys,
  ],
});
export default googleWorkspace;
