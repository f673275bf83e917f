import { defineConnector } from '../../src/connector/connector.js';
import { checkMicrosoft365Access, microsoft365ConfigFiles } from './access.js';
import { appRoleAssignments } from './collectors/app-role-assignments.js';
import { applicationCredentials } from './collectors/application-credentials.js';
import { oauth2PermissionGrants } from './collectors/oauth2-permission-grants.js';
import { owners } from './collectors/owners.js';
import { servicePrincipals } from './collectors/service-principals.js';
import { signInActivity } from './collectors/sign-in-activity.js';
import { Microsoft365Config } from './config.js';
import { vocabulary } from './risk.js';
import { connect, PLATFORM, type Session } from './session.js';

/**
 * Microsoft 365 / Entra ID: enterprise apps, their application and delegated permissions, owners,
 * credentials, last sign-in. `connect` gets one token first (bad credentials fail every collector
 * once); the service principal list and the sign-in report are read at once, then what needs the list.
 * The service principals' identities wait for owners and sign-ins (`enrichedBy`) and say what they
 * lack when those failed.
 */
const microsoft365Connector = defineConnector<Microsoft365Config, Session>({
  id: 'microsoft365',
  platform: PLATFORM,
  title: 'Microsoft 365 / Entra ID',
  vocabulary,
  configSchema: Microsoft365Config,
  tenantOf: (config) => config.tenantId,
  connect,
  checkAccess: checkMicrosoft365Access,
  configFiles: microsoft365ConfigFiles,
  collectors: [
    servicePrincipals,
    appRoleAssignments,
    oauth2PermissionGrants,
    owners,
    applicationCredentials,
    signInActivity,
  ],
});

export default microsoft365Connector;
export { Microsoft365Config } from './config.js';
