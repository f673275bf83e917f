import type { ConnectorContext } from '../../src/connector/context.js';
import { ApiError } from '../../src/errors.js';
import { type MinimalRepository, RepositoryPresence } from './schema.js';
import type { GithubSession } from './session.js';

/**
 * What the per-repository collectors (deploy keys, repository webhooks, outside collaborators) share:
 * GraphQL batches of repositories, and what a child list that answered "not found" means.
 */

/** Split `list` into chunks of `size` (repositories per GraphQL query). */
export function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * Which of `repos`, listed earlier in this scan, are gone now. Asked when a repository's child list
 * (deploy keys, hooks, collaborators) answered 404 or NOT_FOUND: GitHub answers 404 for a deleted
 * repository, but also "in some places" instead of 403 where a permission is missing ("to prevent the
 * accidental leakage of private repositories", docs.github.com/rest/using-the-rest-api/
 * troubleshooting-the-rest-api#404-not-found-for-an-existing-resource), and a 404 can be transient.
 * Only a repository the parent lookup cannot resolve either is gone and takes its children with it;
 * any other answer keeps it present, so the caller fails rather than report its children removed.
 *
 * The lookup is GraphQL `repository(owner:, name:)`, up to `graphqlBatchSize` per query: it needs only
 * metadata: read, which listing the repositories already proved, and is null with a NOT_FOUND error
 * for a repository that does not resolve ("Could not resolve to a Repository with the name …").
 */
export async function repositoriesGone(
  session: GithubSession,
  ctx: ConnectorContext,
  repos: readonly MinimalRepository[],
  api: { method: string; path: string },
): Promise<Set<string>> {
  const { client, config } = session;
  const gone = new Set<string>();
  if (repos.length === 0) return gone;
  const batches = chunks(repos, config.graphqlBatchSize);
  if (!client.budget.affords('graphql', batches.length)) {
    throw client.budget.exhausted('graphql', { method: 'POST', path: '/graphql' }, undefined, batches.length);
  }
  await Promise.all(
    batches.map((batch) =>
      ctx.limit(async () => {
        const vars: Record<string, unknown> = {};
        const fields = batch.map((r, i) => {
          vars[`o${i}`] = r.owner.login;
          vars[`n${i}`] = r.name;
          return `r${i}: repository(owner: $o${i}, name: $n${i}) { nameWithOwner }`;
        });
        const decl = batch.map((_, i) => `$o${i}: String!, $n${i}: String!`).join(', ');
        const { data, errors } = await client.graphql(
          `query RepositoriesPresent(${decl}) { ${fields.join(' ')} }`,
          vars,
          RepositoryPresence,
        );
        batch.forEach((r, i) => {
          if (data[`r${i}`]) return;
          const why = errors.find((e) => e.path?.[0] === `r${i}`);
          if (why?.type !== 'NOT_FOUND') {
            throw new ApiError(
              'GitHub GraphQL',
              why?.type === 'FORBIDDEN' ? 403 : null,
              `${api.method} ${api.path} answered not found for ${r.full_name}, and checking whether the repository still exists failed: ${why?.message ?? 'no answer for it'}`,
              { method: 'POST', path: '/graphql repository' },
            );
          }
          gone.add(r.full_name);
        });
      }),
    ),
  );
  return gone;
}

/**
 * The error for child lists that answered not found while their repository still exists: the
 * collector fails, so its records are carried over instead of being reported removed.
 */
export function childListNotFound(
  api: { method: string; path: string; requiredPermission?: string },
  present: readonly MinimalRepository[],
  what: string,
  apiName = 'GitHub REST',
): ApiError {
  const names = present.map((r) => r.full_name);
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length} in all)` : '');
  return new ApiError(
    apiName,
    404,
    `not found for ${names.length} repositor${names.length === 1 ? 'y' : 'ies'} that still exist (${shown}): ` +
      `GitHub answers 404 where a permission is missing${api.requiredPermission ? ` (${api.requiredPermission.replace(/=/g, ': ')})` : ''}, and a 404 can be transient; their ${what} are kept from the previous scan, not reported removed`,
    {
      method: api.method,
      path: api.path,
      ...(api.requiredPermission ? { requiredPermission: api.requiredPermission } : {}),
    },
  );
}

/**
 * Asks whether the repositories whose child list answered not found are gone: those that are drop
 * out (noted on the collector); any that still exists fails the collector (`childListNotFound`).
 * Returns the full names of the repositories gone.
 */
export async function settleNotFound(
  session: GithubSession,
  run: { name: string; ctx: ConnectorContext },
  notFound: readonly MinimalRepository[],
  api: { method: string; path: string; requiredPermission: string },
  what: string,
  apiName?: string,
): Promise<Set<string>> {
  const gone = await repositoriesGone(session, run.ctx, notFound, api);
  const present = notFound.filter((r) => !gone.has(r.full_name));
  if (present.length > 0) throw childListNotFound(api, present, what, apiName);
  if (gone.size > 0) {
    run.ctx.coverage.note(
      run.name,
      `${gone.size} repositories were deleted while scanning (no longer found): ${[...gone].slice(0, 5).join(', ')}`,
    );
  }
  return gone;
}
