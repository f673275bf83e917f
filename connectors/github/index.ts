import { defineLegacyConnector as defineConnector } from '../../src/connector/legacy.js';
import { ApiError } from '../../src/errors.js';
import type { ModelRecordInput } from '../../src/model/record.js';
import { createGithubClient, type GithubClient } from './client.js';
import { appInstallations } from './collectors/app-installations.js';
import { deployKeys } from './collectors/deploy-keys.js';
import { members } from './collectors/members.js';
import { outsideCollaborators } from './collectors/outside-collaborators.js';
import { patGrantsCollector } from './collectors/pat-grants.js';
import { patRequestsCollector } from './collectors/pat-requests.js';
import { repositories } from './collectors/repositories.js';
import { ssoCredentials } from './collectors/sso-credentials.js';
import { orgWebhooks, repoWebhooks } from './collectors/webhooks.js';
import { GithubConfig, webBaseOf } from './config.js';
import { vocabulary } from './risk.js';
import { type GithubCollector, type GithubScan, MemberDirectory } from './scan-context.js';

/**
 * In run order: members first (owners are judged against them), then the org-level lists, then the
 * per-repository fan-outs, the most expensive (one request per repository) last, so that a tight
 * rate budget covers as much as possible and names what it did not reach.
 */
export const GITHUB_COLLECTORS: readonly GithubCollector[] = [
  members,
  appInstallations,
  patGrantsCollector,
  patRequestsCollector,
  ssoCredentials,
  orgWebhooks,
  repositories,
  deployKeys,
  outsideCollaborators,
  repoWebhooks,
];

const github = defineConnector<GithubConfig>({
  id: 'github',
  platform: 'github',
  title: 'GitHub',
  vocabulary,
  configSchema: GithubConfig,
  collectors: GITHUB_COLLECTORS.map(({ name, description, requires }) => ({ name, description, requires })),
  tenantOf: (config) => config.org,
  async *scan(config, ctx): AsyncGenerator<ModelRecordInput> {
    let client: GithubClient;
    try {
      client = await createGithubClient(config, ctx);
    } catch (err) {
      // Without a client nothing can run: every collector fails with the same, named cause.
      if (!(err instanceof ApiError)) throw err;
      for (const c of GITHUB_COLLECTORS) ctx.coverage.fail(c.name, err);
      return;
    }
    const scan: GithubScan = {
      config,
      ctx,
      client,
      tenant: { id: config.org, name: config.org },
      web: webBaseOf(config),
      members: new MemberDirectory(),
      repositories: null,
      repositoriesError: null,
    };
    let fatal: string | null = null;
    for (const collector of GITHUB_COLLECTORS) {
      if (fatal) {
        ctx.coverage.fail(collector.name, new Error(`not reached: ${fatal}`));
        continue;
      }
      if (ctx.signal.aborted) {
        ctx.coverage.fail(collector.name, new Error('not reached: the scan was interrupted'));
        continue;
      }
      yield* ctx.coverage.runEach(collector.name, () => collector.collect(scan));
      const entry = ctx.coverage.report().collectors.find((c) => c.collector === collector.name);
      // Bad credentials or an unreachable GitHub will not get better for the next collector.
      if (client.unreachable) {
        fatal = client.unreachable.reason;
      } else if (entry?.status === 'failed' && entry.httpStatus === 401) {
        fatal = `authentication failed in ${collector.name} (${entry.reason})`;
      }
    }
  },
});

export default github;
export { GithubConfig } from './config.js';
