import { defineConnector } from '../../src/connector/connector.js';
import { ApiError, describeError } from '../../src/errors.js';
import { checkGithubAccess, githubConfigFiles } from './access.js';
import { githubUnreachable } from './client.js';
import { takingTurns } from './collector-turns.js';
import { appInstallations } from './collectors/app-installations.js';
import { deployKeys } from './collectors/deploy-keys.js';
import { members } from './collectors/members.js';
import { orgWebhooks } from './collectors/org-webhooks.js';
import { outsideCollaborators } from './collectors/outside-collaborators.js';
import { patGrants } from './collectors/pat-grants.js';
import { patRequests } from './collectors/pat-requests.js';
import { repoWebhooks } from './collectors/repo-webhooks.js';
import { repositories } from './collectors/repositories.js';
import { ssoCredentials } from './collectors/sso-credentials.js';
import { GithubConfig } from './config.js';
import { startHooksRead } from './incremental-hooks.js';
import { organisationNotFound } from './organisation-not-found.js';
import { vocabulary } from './risk.js';
import { connect, type GithubSession } from './session.js';

/**
 * The GitHub connector: a declaration the engine's runner runs (src/connector/runner.ts).
 *
 * Collectors are declared in this order: members first (owners are judged against them), then the
 * repository list (a few pages that every per-repository fan-out waits for: started early, the
 * fan-outs are not held back behind the org-level lists), then the org-level lists, then the
 * per-repository fan-outs, the most expensive (one request per repository) last. With an ample rate budget up to `concurrency` of them fetch at once, under the context's one
 * request limit and the client's pacing of GitHub's secondary limits; while the budget is unknown or
 * tight they take turns in this order (collector-turns.ts), so that it covers as much as possible and
 * names what it did not reach.
 */
const github = defineConnector<GithubConfig, GithubSession>({
  id: 'github',
  platform: 'github',
  title: 'GitHub',
  vocabulary,
  configSchema: GithubConfig,
  tenantOf: (config) => config.org,
  async connect(config, ctx) {
    const session = await connect(config, ctx);
    startHooksRead(session, ctx);
    return session;
  },
  checkAccess: checkGithubAccess,
  configFiles: githubConfigFiles,
  concurrency: (config) => config.collectorConcurrency,
  collectors: [
    members,
    repositories,
    appInstallations,
    patGrants,
    patRequests,
    ssoCredentials,
    orgWebhooks,
    deployKeys,
    outsideCollaborators,
    repoWebhooks,
  ].map(takingTurns),
  // Bad credentials or an unreachable GitHub will not get better for the next collector.
  stopsTenant(error, collector) {
    const unreachable = githubUnreachable(error);
    if (unreachable) return unreachable.reason;
    const notFound = organisationNotFound(error, collector);
    if (notFound) return notFound;
    if (error instanceof ApiError && error.status === 401) {
      return `authentication failed in ${collector} (${describeError(error)})`;
    }
    return null;
  },
});

export default github;
export { GithubConfig } from './config.js';
