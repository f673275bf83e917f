import type { ModelRecordInput } from '../../../src/model/record.js';
import { type GithubCollector, type GithubScan, withoutRecords } from '../scan-context.js';
import { type MinimalRepository, MinimalRepository as RepoSchema } from '../schema.js';

/**
 * The org's repositories. Emits no records: deploy keys, repository webhooks and outside
 * collaborators are found per repository, and they read this list (listed once, 100 per page).
 */
export const repositories: GithubCollector = {
  name: 'repositories',
  description: 'Repository list (for deploy keys, repository webhooks and outside collaborators)',
  requires: 'Repository permission "Metadata: read"',
  collect: (scan: GithubScan): AsyncGenerator<ModelRecordInput> =>
    withoutRecords(async () => {
      const { client, config, ctx } = scan;
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
      } catch (err) {
        scan.repositoriesError = err;
        throw err;
      } finally {
        ctx.progress.done('github: repositories');
      }
      scan.repositories = repos;
      ctx.coverage.countItems('repositories', repos.length);
      ctx.coverage.note('repositories', `${repos.length} repositories`);
    }),
};
