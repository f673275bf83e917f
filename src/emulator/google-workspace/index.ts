import type { EmulatorPlatform } from '../platform.js';
import { cloudRoutes } from './cloud-routes.js';
import { hexFrom, type WorkspaceData } from './data.js';
import { directoryRoutes } from './directory-routes.js';
import { explicitWorkspace } from './explicit-world.js';
import { generatedWorkspace } from './generated-world.js';
import { tokenEndpoint } from './oauth.js';
import { reportsRoutes } from './reports-routes.js';
import { parseSection } from './world-schema.js';

export const GOOGLE_WORKSPACE_KEY = 'google-workspace';
/** Name of the service-account key file `clientSetup` writes next to grantscope.yaml. */
export const GOOGLE_KEY_FILE = 'google-workspace-sa.json';

/**
 * Google Workspace + GCP, served at Google's own paths on the emulator root: the OAuth token endpoint
 * (`POST /token`), Admin SDK Directory and Reports, Cloud Resource Manager v3 and IAM v1.
 */
export const googleWorkspaceEmulator: EmulatorPlatform<WorkspaceData> = {
  key: GOOGLE_WORKSPACE_KEY,
  load(section, ctx, file) {
    const parsed = parseSection(section, file, GOOGLE_WORKSPACE_KEY);
    return parsed.generate ? generatedWorkspace(parsed, ctx.now) : explicitWorkspace(parsed, ctx.now);
  },
  routes(state, ctx) {
    return [
      { service: 'google', method: 'POST', pattern: '/token', handler: tokenEndpoint(state, ctx) },
      ...directoryRoutes(state, ctx),
      ...reportsRoutes(state, ctx),
      ...cloudRoutes(state, ctx),
    ];
  },
  clientSetup(state, ctx) {
    const { privateKeyPem, publicKeyPem } = ctx.keys.rsa('google-sa');
    const origin = ctx.origin();
    const sa = state.scanner.serviceAccount;
    const keyFile = {
      type: 'service_account',
      project_id: state.scanner.projectId,
      private_key_id: hexFrom(publicKeyPem, 40),
      private_key: privateKeyPem,
      client_email: sa,
      client_id: state.scanner.clientId,
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: `${origin}/token`,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(sa)}`,
      universe_domain: 'googleapis.com',
    };
    return {
      config: {
        [GOOGLE_WORKSPACE_KEY]: {
          customerId: state.customer.id,
          domain: state.customer.domain,
          subject: state.scanner.subject,
          keyFile: GOOGLE_KEY_FILE,
          apiRoot: `${origin}/`,
          tokenUri: `${origin}/token`,
          // The quota the emulator enforces, for the scanner's pacer (Google sends no quota headers).
          ...(ctx.limits?.googleWorkspace
            ? {
                directoryQuotaPerMinute: ctx.limits.googleWorkspace.directoryQueriesPerMinute,
                quotaTimeScale: ctx.limits.timeScale,
              }
            : {}),
        },
      },
      files: { [GOOGLE_KEY_FILE]: `${JSON.stringify(keyFile, null, 2)}\n` },
    };
  },
};
