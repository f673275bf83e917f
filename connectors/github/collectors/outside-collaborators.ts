import { defineCollector } from '../../../src/connector/collector.js';
import { ApiError } from '../../../src/errors.js';
import type { ModelRecordInput } from '../../../src/model/record.js';
import { chunks, settleNotFound } from '../child-lists.js';
import { type RecordScope, recordBase, scopeOf } from '../records.js';
import { collaboratorRisk } from '../risk.js';
import { OutsideCollaboratorBatch, SimpleUser } from '../schema.js';
import type { GithubSession } from '../session.js';
import { repositories } from './repositories.js';

const NAME = 'outside-collaborators';

export type RepositoryRole = 'ADMIN' | 'MAINTAIN' | 'WRITE' | 'TRIAGE' | 'READ';
const STRONG: Record<string, 'admin' | 'maintain' | 'write'> = {
  ADMIN: 'admin',
  MAINTAIN: 'maintain',
  WRITE: 'write',
};

/** What was read: who the org lists as outside collaborators, and each one's role per repository. */
export interface OutsideAccess {
  /** Logins the org lists as outside collaborators. */
  listed: string[];
  /** Login → the repositories an outside collaborator can reach, with the role on each. */
  access: Map<string, Array<{ repo: string; role: RepositoryRole }>>;
}

const FIELDS =
  'nameWithOwner collaborators(affiliation: OUTSIDE, first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { permission node { login databaseId } } }';

/** Logins with read or triage access only: not inventoried (they cannot change anything). */
function readOnlyLogins(access: OutsideAccess['access']): string[] {
  return [...access].filter(([, grants]) => !grants.some((g) => STRONG[g.role])).map(([login]) => login);
}

/**
 * Each outside collaborator with admin, maintain or write access somewhere as an identity, with one
 * grant per repository where they have it.
 */
export function* outsideCollaboratorRecords(
  found: OutsideAccess,
  scope: RecordScope,
): Generator<ModelRecordInput> {
  const base = recordBase(scope, NAME);
  const listed = new Set(found.listed);
  for (const [login, grants] of [...found.access.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const strong = grants.filter((g) => STRONG[g.role]);
    if (strong.length === 0) continue;
    const identity = { kind: 'outside-collaborator', nativeId: login };
    yield {
      type: 'identity',
      ...base,
      ...identity,
      displayName: login,
      origin: 'third-party',
      lastUsed: null,
      manageUrl: `${scope.web}/orgs/${scope.org}/outside-collaborators`,
      attributes: {
        listedAsOutsideCollaborator: listed.has(login),
        repositories: grants.map((g) => `${g.repo}:${g.role.toLowerCase()}`).sort(),
      },
    };
    for (const g of strong) {
      const role = STRONG[g.role]!;
      yield {
        type: 'grant',
        ...base,
        identity,
        permission: {
          id: 'repository-role',
          name: 'repository role',
          nativeLevel: role,
          access: role === 'admin' ? 'admin' : 'write',
        },
        target: { breadth: 'resource', type: 'repository', id: g.repo, label: g.repo },
        grantedVia: 'collaboration',
        risk: collaboratorRisk(role),
      };
    }
  }
}

/**
 * Outside collaborators with admin, maintain or write access. The org lists outside collaborators
 * in one call; only if there are any does the collector look at repositories, in GraphQL batches
 * (`repository.collaborators(affiliation: OUTSIDE)` with each one's role), not one call per repo.
 */
export const outsideCollaborators = defineCollector<GithubSession, OutsideAccess>({
  name: NAME,
  description: 'Outside collaborators with admin or write access to repositories',
  permissions: ['Organization permission "Members: read"', 'Repository permission "Metadata: read"'],
  dependsOn: [repositories.name],
  async fetch(session, run) {
    const { client, config } = session;
    const { ctx } = run;
    const outside = new Set<string>();
    for await (const u of client.list(
      'GET /orgs/{org}/outside_collaborators',
      { org: config.org },
      SimpleUser,
    )) {
      outside.add(u.login);
    }
    const access: OutsideAccess['access'] = new Map();
    if (outside.size === 0) {
      ctx.coverage.note(NAME, 'no outside collaborators');
      return { listed: [], access };
    }
    const repos = run.input(repositories);
    const batches = chunks(repos, config.graphqlBatchSize);
    if (!client.budget.affords('graphql', batches.length)) {
      throw client.budget.exhausted(
        'graphql',
        { method: 'POST', path: '/graphql' },
        undefined,
        batches.length,
      );
    }
    const notFound = new Set<string>();
    const record = (login: string, repo: string, role: RepositoryRole) => {
      const list = access.get(login) ?? [];
      list.push({ repo, role });
      access.set(login, list);
    };
    const query = async (batch: Array<{ owner: string; name: string; after: string | null }>) => {
      const vars: Record<string, unknown> = {};
      const decl: string[] = [];
      const fields = batch.map((r, i) => {
        vars[`o${i}`] = r.owner;
        vars[`n${i}`] = r.name;
        vars[`a${i}`] = r.after;
        decl.push(`$o${i}: String!, $n${i}: String!, $a${i}: String`);
        return `r${i}: repository(owner: $o${i}, name: $n${i}) { ${FIELDS.replace('$after', `$a${i}`)} }`;
      });
      const { data, errors } = await client.graphql(
        `query OutsideCollaborators(${decl.join(', ')}) { ${fields.join(' ')} }`,
        vars,
        OutsideCollaboratorBatch,
      );
      const bad = errors.find((e) => e.type !== 'NOT_FOUND');
      if (bad) {
        throw new ApiError('GitHub GraphQL', bad.type === 'FORBIDDEN' ? 403 : null, bad.message, {
          method: 'POST',
          path: '/graphql repository.collaborators',
          ...(bad.type === 'FORBIDDEN' ? { requiredPermission: 'metadata=read' } : {}),
        });
      }
      const more: Array<{ owner: string; name: string; after: string | null }> = [];
      batch.forEach((r, i) => {
        const hit = data[`r${i}`];
        // NOT_FOUND: deleted since the repository list was read, or not; checked below.
        if (!hit) notFound.add(r.name);
        if (!hit?.collaborators) return;
        for (const e of hit.collaborators.edges) record(e.node.login, hit.nameWithOwner, e.permission);
        if (hit.collaborators.pageInfo.hasNextPage)
          more.push({ ...r, after: hit.collaborators.pageInfo.endCursor });
      });
      return more;
    };
    let pending = repos.map((r) => ({ owner: r.owner.login, name: r.name, after: null as string | null }));
    while (pending.length > 0) {
      const next = await Promise.all(
        chunks(pending, config.graphqlBatchSize).map((b) => ctx.limit(() => query(b))),
      );
      pending = next.flat();
    }
    const gone = await settleNotFound(
      session,
      run,
      repos.filter((r) => notFound.has(r.name)),
      { method: 'POST', path: '/graphql repository.collaborators', requiredPermission: 'metadata=read' },
      'outside collaborators',
      'GitHub GraphQL',
    );
    // Collaborators read from earlier pages of a repository deleted since go with it.
    for (const [login, list] of access) {
      const kept = list.filter((g) => !gone.has(g.repo));
      if (kept.length > 0) access.set(login, kept);
      else access.delete(login);
    }
    ctx.coverage.note(
      NAME,
      `${outside.size} outside collaborators; ${readOnlyLogins(access).length} with read or triage access only (not listed)`,
    );
    return { listed: [...outside], access };
  },
  transform: (found, session) => outsideCollaboratorRecords(found, scopeOf(session)),
});
