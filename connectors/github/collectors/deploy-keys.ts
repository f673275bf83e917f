import { defineCollector } from '../../../src/connector/collector.js';
import type { ConnectorContext } from '../../../src/connector/context.js';
import { ApiError } from '../../../src/errors.js';
import type { Json } from '../../../src/model/common.js';
import type { ModelRecordInput } from '../../../src/model/record.js';
import { chunks, settleNotFound } from '../child-lists.js';
import { ownersOf, person, type RecordScope, recordBase, scopeOf, ts, usage } from '../records.js';
import { deployKeyRisk } from '../risk.js';
import {
  type DeployKey,
  DeployKeyCounts,
  DeployKey as DeployKeySchema,
  type MinimalRepository,
} from '../schema.js';
import type { GithubSession } from '../session.js';
import { members } from './members.js';
import { repositories } from './repositories.js';

const NAME = 'deploy-keys';

/** A repository and its deploy keys. */
export interface RepositoryKeys {
  repo: MinimalRepository;
  keys: DeployKey[];
}

/**
 * Which repositories have deploy keys: one GraphQL query per batch of repositories, asking only for
 * `deployKeys.totalCount`. GraphQL's DeployKey lacks `added_by` and `last_used`, so the keys
 * themselves come from REST, but only for the (usually few) repositories that have any: requests
 * ≈ N/batch + K instead of N for N repositories of which K have keys.
 */
async function repositoriesWithKeys(
  session: GithubSession,
  run: { name: string; ctx: ConnectorContext },
  repos: readonly MinimalRepository[],
): Promise<MinimalRepository[]> {
  const { client, config } = session;
  const { ctx } = run;
  const batches = chunks(repos, config.graphqlBatchSize);
  if (!client.budget.affords('graphql', batches.length)) {
    throw client.budget.exhausted('graphql', { method: 'POST', path: '/graphql' }, undefined, batches.length);
  }
  const withKeys = new Set<string>();
  const missing: MinimalRepository[] = [];
  ctx.progress.start('github: deploy keys', repos.length, 'repos (deploy keys)');
  await Promise.all(
    batches.map((batch) =>
      ctx.limit(async () => {
        const vars: Record<string, unknown> = {};
        const fields = batch.map((r, i) => {
          vars[`o${i}`] = r.owner.login;
          vars[`n${i}`] = r.name;
          return `r${i}: repository(owner: $o${i}, name: $n${i}) { nameWithOwner deployKeys(first: 1) { totalCount } }`;
        });
        const decl = batch.map((_, i) => `$o${i}: String!, $n${i}: String!`).join(', ');
        const { data, errors } = await client.graphql(
          `query DeployKeyCounts(${decl}) { ${fields.join(' ')} }`,
          vars,
          DeployKeyCounts,
        );
        const forbidden = errors.find((e) => e.type === 'FORBIDDEN');
        if (forbidden) {
          throw new ApiError(
            'GitHub GraphQL',
            403,
            `${forbidden.message} (the GitHub App needs administration: read)`,
            {
              method: 'POST',
              path: '/graphql repository.deployKeys',
              requiredPermission: 'administration=read',
            },
          );
        }
        const other = errors.find((e) => e.type !== 'NOT_FOUND');
        if (other)
          throw new ApiError('GitHub GraphQL', null, other.message, {
            method: 'POST',
            path: '/graphql repository.deployKeys',
          });
        batch.forEach((r, i) => {
          const hit = data[`r${i}`];
          // NOT_FOUND: deleted since the repository list was read, or not; checked below.
          if (!hit) missing.push(r);
          else if (hit.deployKeys.totalCount > 0) withKeys.add(r.full_name);
        });
        ctx.progress.tick('github: deploy keys', batch.length);
      }),
    ),
  );
  ctx.progress.done('github: deploy keys');
  await settleNotFound(
    session,
    run,
    missing,
    { method: 'POST', path: '/graphql repository.deployKeys', requiredPermission: 'administration=read' },
    'deploy keys',
    'GitHub GraphQL',
  );
  return repos.filter((r) => withKeys.has(r.full_name));
}

/** Each deploy key as an identity, its grant on the repository, and the key as a credential. */
export function* deployKeyRecords(
  perRepo: readonly RepositoryKeys[],
  scope: RecordScope,
): Generator<ModelRecordInput> {
  const base = recordBase(scope, NAME);
  for (const { repo, keys } of perRepo) {
    for (const k of keys) {
      const identity = { kind: 'deploy-key', nativeId: `${repo.full_name}#${k.id}` };
      const lastUsed = usage(k.last_used, 'github:deploy_key.last_used');
      const enabled = k.enabled ?? true;
      yield {
        type: 'identity',
        ...base,
        ...identity,
        displayName: k.title,
        // Whoever holds the private key is not recorded anywhere.
        origin: 'unknown',
        createdAt: ts(k.created_at),
        enabled,
        lastUsed,
        ...ownersOf(scope, k.added_by ? [k.added_by] : []),
        manageUrl: `${scope.web}/${repo.full_name}/settings/keys`,
        attributes: {
          repository: repo.full_name,
          readOnly: k.read_only,
          verified: k.verified,
          addedBy: k.added_by ?? null,
        },
        raw: k as unknown as Json,
      };
      yield {
        type: 'grant',
        ...base,
        identity,
        permission: {
          id: 'deploy-key',
          name: 'deploy key',
          nativeLevel: `read_only=${k.read_only}`,
          access: k.read_only ? 'read' : 'write',
        },
        target: { breadth: 'resource', type: 'repository', id: repo.full_name, label: repo.full_name },
        grantedVia: 'key',
        grantedBy: k.added_by ? person(scope, k.added_by) : null,
        grantedAt: ts(k.created_at),
        risk: deployKeyRisk(k.read_only),
      };
      yield {
        type: 'credential',
        ...base,
        identity,
        credentialType: 'deploy-key',
        nativeId: String(k.id),
        displayName: k.title,
        createdAt: ts(k.created_at),
        // Deploy keys never expire.
        expiresAt: null,
        lastUsed,
        enabled,
      };
    }
  }
}

/**
 * Deploy keys on every repository: read-only or write, last used, who added it and whether they
 * are still a member.
 */
export const deployKeys = defineCollector<GithubSession, RepositoryKeys[]>({
  name: NAME,
  description: 'Deploy keys on every repository (read-only or write, last used, added by, still a member)',
  permissions: ['Repository permission "Administration: read"'],
  dependsOn: [repositories.name],
  enrichedBy: [members.name],
  async fetch(session, run) {
    const { client } = session;
    const { ctx } = run;
    const repos = run.input(repositories);
    const candidates = await repositoriesWithKeys(session, run, repos);
    if (!client.budget.affords('core', candidates.length)) {
      throw client.budget.exhausted(
        'core',
        { method: 'GET', path: '/repos/{owner}/{repo}/keys' },
        undefined,
        candidates.length,
      );
    }
    const notFound: MinimalRepository[] = [];
    const listed = await Promise.all(
      candidates.map((repo) =>
        ctx.limit(async () => {
          const keys: DeployKey[] = [];
          try {
            for await (const k of client.list(
              'GET /repos/{owner}/{repo}/keys',
              { owner: repo.owner.login, repo: repo.name },
              DeployKeySchema,
            )) {
              keys.push(k);
            }
          } catch (err) {
            // A 404 is not "no keys": the repository may be gone, or the app may lack a permission.
            if (err instanceof ApiError && err.status === 404) {
              notFound.push(repo);
              return null;
            }
            throw err;
          }
          return { repo, keys };
        }),
      ),
    );
    await settleNotFound(
      session,
      run,
      notFound,
      { method: 'GET', path: '/repos/{owner}/{repo}/keys', requiredPermission: 'administration=read' },
      'deploy keys',
    );
    ctx.coverage.note(NAME, `${repos.length} repositories checked, ${candidates.length} with deploy keys`);
    return listed.filter((x) => x !== null);
  },
  transform: (perRepo, session, run) => deployKeyRecords(perRepo, scopeOf(session, run.optional(members))),
});
