import { defineCollector } from '../../../src/connector/collector.js';
import { fanOut } from '../../../src/connector/fan-out.js';
import { ApiError } from '../../../src/errors.js';
import type { ModelRecordInput } from '../../../src/model/record.js';
import { settleNotFound } from '../child-lists.js';
import { keepHooksRead, planHooks } from '../incremental-hooks.js';
import { hookRecords, type RecordScope, scopeOf } from '../records.js';
import { type Hook, Hook as HookSchema, type MinimalRepository } from '../schema.js';
import type { GithubSession } from '../session.js';
import { repositories } from './repositories.js';

const NAME = 'repo-webhooks';

/** A repository and its webhooks. */
export interface RepositoryHooks {
  repo: MinimalRepository;
  hooks: Hook[];
}

/** Each repository webhook as an identity with one grant per event, reaching its repository. */
export function* repoWebhookRecords(
  perRepo: readonly RepositoryHooks[],
  scope: RecordScope,
): Generator<ModelRecordInput> {
  for (const { repo, hooks } of perRepo) {
    for (const hook of hooks) {
      yield* hookRecords(scope, NAME, hook, {
        nativeId: `${repo.full_name}#${hook.id}`,
        manageUrl: `${scope.web}/${repo.full_name}/settings/hooks/${hook.id}`,
        target: { breadth: 'resource', type: 'repository', id: repo.full_name },
      });
    }
  }
}

/**
 * Repository webhooks. GitHub has no bulk or GraphQL view of webhooks, so a full read is one REST call
 * per repository; it runs last and checks the rate budget before it starts. Where the organisation
 * audit log exists, later scans read only the repositories it names (incremental-hooks.ts).
 */
export const repoWebhooks = defineCollector<GithubSession, RepositoryHooks[]>({
  name: NAME,
  description: 'Repository webhooks (target host, events, active, insecure SSL); one request per repository',
  permissions: ['Repository permission "Webhooks: read"'],
  dependsOn: [repositories.name],
  async fetch(session, run) {
    const { client } = session;
    const { ctx } = run;
    const all = run.input(repositories);
    const plan = await planHooks(session, run, all);
    const incremental = plan.incremental;
    const repos = incremental ? all.filter((r) => incremental.relist.has(r.id)) : all;
    if (!client.budget.affords('core', repos.length)) {
      throw client.budget.exhausted(
        'core',
        { method: 'GET', path: '/repos/{owner}/{repo}/hooks' },
        undefined,
        repos.length,
      );
    }
    ctx.progress.start('github: repository webhooks', repos.length, 'repos (webhooks)');
    const notFound: MinimalRepository[] = [];
    const listed: Array<RepositoryHooks | null> = repos.map(() => null);
    // Queued a few at a time (fanOut), so that the deploy keys' and other collectors' calls are not
    // queued behind every repository's (and then left for after the last of them, which GitHub's
    // secondary limit may hold back a minute).
    await fanOut(repos.keys(), ctx.limit, async (i) => {
      const repo = repos[i]!;
      const hooks: Hook[] = [];
      try {
        for await (const h of client.list(
          'GET /repos/{owner}/{repo}/hooks',
          { owner: repo.owner.login, repo: repo.name },
          HookSchema,
        )) {
          hooks.push(h);
        }
      } catch (err) {
        // A 404 is not "no hooks": the repository may be gone, or the app may lack a permission.
        if (!(err instanceof ApiError && err.status === 404)) throw err;
        notFound.push(repo);
        return;
      } finally {
        ctx.progress.tick('github: repository webhooks');
      }
      listed[i] = { repo, hooks };
    });
    ctx.progress.done('github: repository webhooks');
    await settleNotFound(
      session,
      run,
      notFound,
      { method: 'GET', path: '/repos/{owner}/{repo}/hooks', requiredPermission: 'repository_hooks=read' },
      'webhooks',
    );
    const read = listed.filter((x) => x !== null);
    const readById = new Map(read.map((x) => [x.repo.id, x]));
    const perRepo = incremental
      ? all.flatMap((repo) => {
          if (!incremental.relist.has(repo.id)) return [{ repo, hooks: incremental.kept.get(repo.id) ?? [] }];
          const one = readById.get(repo.id);
          return one ? [one] : [];
        })
      : read;
    // A repository that answered 404 is left out of the kept ids: the next scan reads it again.
    const missing = new Set(notFound.map((r) => r.id));
    keepHooksRead(
      run,
      plan,
      all.filter((r) => !missing.has(r.id)),
      perRepo.filter((x) => x.hooks.length > 0).map((x) => x.repo),
    );
    return perRepo;
  },
  transform: (perRepo, session) => repoWebhookRecords(perRepo, scopeOf(session)),
});
