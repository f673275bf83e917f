import { defineCollector } from '../../../src/connector/collector.js';
import { type MinimalRepository, MinimalRepository as RepoSchema } from '../schema.js';
import type { GithubSession } from '../session.js';

const NAME = 'repositories';

/**
 * The org's repositories. Emits no records: deploy keys, repository webhooks and outside
 * collaborators are found per repository, and they read this list (`dependsOn`), listed once,
 * 100 per page.
 */
export const repositories = defineCollector<GithubSession, MinimalRepository[]>({
  name: NAME,
  description: 'Repository list (for deploy keys, repository webhooks and outside collaborators)',
  permissions: ['Repository permission "Metadata: read"'],
  async fetch({ client, config }, { ctx }) {
    const repos: MinimalRepository[] = [];
    ctx.progress.start('github: repositories');
    try {
      for await (const r of client.list(
        'GET /orgs/{org}/repos',
        { org: config.org, type: 'all' },
        RepoSchema,
      )) {
        repos.push(r);
        ctx.progress.tick('github: repositories');
      }
    } finally {
      ctx.progress.done('github: repositories');
    }
    ctx.coverage.countItems(NAME, repos.length);
    ctx.coverage.note(NAME, `${repos.length} repositories`);
    return repos;
  },
});
