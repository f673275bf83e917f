import type { ConnectorContext } from '../../src/connector/context.js';
import type { Tenant } from '../../src/model/common.js';
import { createGithubClient, type GithubClient } from './client.js';
import { type GithubConfig, webBaseOf } from './config.js';

/** What every collector of one scan of an organisation shares. */
export interface GithubSession {
  readonly config: GithubConfig;
  readonly client: GithubClient;
  readonly tenant: Tenant;
  /** Web UI base (github.com or the GHES host) for manageUrl links. */
  readonly web: string;
}

/**
 * Opens a scan of one organisation. With a GitHub App, the installation token is minted here, once,
 * before any collector runs: a wrong key, an unreachable host or a failing token endpoint fails every
 * collector with that one message, instead of each collector asking again.
 */
export async function connect(config: GithubConfig, ctx: ConnectorContext): Promise<GithubSession> {
  const client = await createGithubClient(config, ctx);
  return { config, client, tenant: { id: config.org, name: config.org }, web: webBaseOf(config) };
}
