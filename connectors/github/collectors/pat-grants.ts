import { defineCollector } from '../../../src/connector/collector.js';
import type { ConnectorContext } from '../../../src/connector/context.js';
import type { Json } from '../../../src/model/common.js';
import type { GrantInput } from '../../../src/model/grant.js';
import type { ModelRecordInput } from '../../../src/model/record.js';
import { ownersOf, person, type RecordScope, recordBase, scopeOf, ts, usage } from '../records.js';
import { accessOf, appPermissionRisk } from '../risk.js';
import { MinimalRepository, type PatGrant, PatGrant as PatGrantSchema } from '../schema.js';
import type { GithubSession } from '../session.js';
import { members } from './members.js';

const NAME = 'pat-grants';

type PatPermissions = PatGrant['permissions'];

/** An approved token and, for a `subset` selection, the repositories it reaches. */
export interface GrantedPat {
  grant: PatGrant;
  repositories: string[];
}

/** One grant per permission in a fine-grained PAT's `{organization, repository, other}` map. */
export function patPermissionGrants(
  scope: RecordScope,
  identity: { kind: string; nativeId: string },
  token: {
    owner: string;
    repositorySelection: 'none' | 'all' | 'subset';
    repositories: string[];
    grantedAt: string | null;
  },
  permissions: PatPermissions,
): GrantInput[] {
  const base = recordBase(scope, NAME);
  const principal = person(scope, token.owner);
  const out: GrantInput[] = [];
  const repoTarget =
    token.repositorySelection === 'all'
      ? { breadth: 'all' as const, type: 'repository', label: 'all repositories' }
      : {
          breadth: 'selected' as const,
          type: 'repository',
          label: `${token.repositories.length} selected repositories`,
          resources: token.repositories,
          count: token.repositories.length,
        };
  const sections: Array<[keyof PatPermissions, Record<string, string> | undefined]> = [
    ['repository', permissions.repository],
    ['organization', permissions.organization],
    ['other', permissions.other],
  ];
  for (const [section, map] of sections) {
    for (const [permission, level] of Object.entries(map ?? {})) {
      const target =
        section === 'repository'
          ? repoTarget
          : section === 'organization'
            ? { breadth: 'tenant' as const, type: 'organization', id: scope.org, label: scope.org }
            : { breadth: 'user' as const, type: 'user', id: token.owner, label: token.owner };
      out.push({
        type: 'grant',
        ...base,
        identity,
        permission: { id: permission, name: permission, nativeLevel: level, access: accessOf(level) },
        target,
        grantedVia: 'approval',
        grantedAt: token.grantedAt,
        principal,
        risk: appPermissionRisk(permission, level, {
          allRepositories: section === 'repository' && token.repositorySelection === 'all',
        }),
        attributes: { section },
      });
    }
  }
  return out;
}

/** Each approved token as an identity with its grants and its credential. */
export function* patGrantRecords(
  granted: readonly GrantedPat[],
  scope: RecordScope,
): Generator<ModelRecordInput> {
  const base = recordBase(scope, NAME);
  for (const { grant: g, repositories } of granted) {
    const identity = { kind: 'fine-grained-pat', nativeId: String(g.id) };
    const lastUsed = usage(g.token_last_used_at, 'github:token_last_used_at');
    yield {
      type: 'identity',
      ...base,
      ...identity,
      displayName: g.token_name,
      publisher: { name: g.owner.login, id: String(g.owner.id), verified: null },
      origin: 'internal',
      createdAt: ts(g.access_granted_at),
      enabled: !g.token_expired,
      lastUsed,
      ...ownersOf(scope, [g.owner.login]),
      manageUrl: `${scope.web}/organizations/${scope.org}/settings/personal-access-tokens/active`,
      attributes: {
        tokenId: g.token_id,
        repositorySelection: g.repository_selection,
        tokenExpired: g.token_expired,
        ...(g.repository_selection === 'subset' ? { repositories } : {}),
      },
      raw: g as unknown as Json,
    };
    yield* patPermissionGrants(
      scope,
      identity,
      {
        owner: g.owner.login,
        repositorySelection: g.repository_selection,
        repositories,
        grantedAt: ts(g.access_granted_at),
      },
      g.permissions,
    );
    yield {
      type: 'credential',
      ...base,
      identity,
      credentialType: 'pat',
      nativeId: String(g.token_id),
      displayName: g.token_name,
      // GitHub does not say when the token was created, only when the org granted it access.
      createdAt: null,
      expiresAt: ts(g.token_expires_at),
      lastUsed,
      enabled: !g.token_expired,
      attributes: { accessGrantedAt: ts(g.access_granted_at) },
    };
  }
}

/**
 * The repositories of each `subset` grant or request (a GitHub App only endpoint), by id; the
 * others select none or all.
 */
export async function subsetRepositories<T extends { id: number; repository_selection: string }>(
  session: GithubSession,
  ctx: ConnectorContext,
  items: readonly T[],
  route: string,
  idParam: string,
): Promise<Map<number, string[]>> {
  const repos = new Map<number, string[]>();
  await Promise.all(
    items
      .filter((item) => item.repository_selection === 'subset')
      .map((item) =>
        ctx.limit(async () => {
          const names: string[] = [];
          for await (const r of session.client.list(
            route,
            { org: session.config.org, [idParam]: item.id },
            MinimalRepository,
          ))
            names.push(r.full_name);
          repos.set(item.id, names.sort());
        }),
      ),
  );
  return repos;
}

/**
 * Fine-grained personal access tokens approved for the org: permissions, selected repositories,
 * expiry, last use and owner. GitHub lets only GitHub Apps call these endpoints.
 */
export const patGrants = defineCollector<GithubSession, GrantedPat[]>({
  name: NAME,
  description:
    'Fine-grained personal access tokens with access to the org (permissions, expiry, last used, owner)',
  permissions: ['Organization permission "Personal access tokens: read" (GitHub App authentication only)'],
  enrichedBy: [members.name],
  async fetch(session, { ctx }) {
    const { client, config } = session;
    if (client.auth !== 'app') {
      ctx.coverage.unavailable(
        NAME,
        'GitHub lists fine-grained PATs to GitHub Apps only; configure github.app to collect them',
      );
      return [];
    }
    const grants: PatGrant[] = [];
    for await (const g of client.list(
      'GET /orgs/{org}/personal-access-tokens',
      { org: config.org },
      PatGrantSchema,
    ))
      grants.push(g);
    const repos = await subsetRepositories(
      session,
      ctx,
      grants,
      'GET /orgs/{org}/personal-access-tokens/{pat_id}/repositories',
      'pat_id',
    );
    return grants.map((grant) => ({ grant, repositories: repos.get(grant.id) ?? [] }));
  },
  transform: (granted, session, run) => patGrantRecords(granted, scopeOf(session, run.optional(members))),
});
