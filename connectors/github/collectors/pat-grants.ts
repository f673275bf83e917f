import type { Json } from '../../../src/model/common.js';
import type { GrantInput } from '../../../src/model/grant.js';
import type { ModelRecordInput } from '../../../src/model/record.js';
import { accessOf, appPermissionRisk } from '../risk.js';
import {
  type GithubCollector,
  type GithubScan,
  ownersOf,
  person,
  recordBase,
  ts,
  usage,
} from '../scan-context.js';
import { MinimalRepository, type PatGrant, PatGrant as PatGrantSchema } from '../schema.js';

const NAME = 'pat-grants';

type PatPermissions = PatGrant['permissions'];

/** One grant per permission in a fine-grained PAT's `{organization, repository, other}` map. */
export function patGrants(
  scan: GithubScan,
  collector: string,
  identity: { kind: string; nativeId: string },
  token: {
    owner: string;
    repositorySelection: 'none' | 'all' | 'subset';
    repositories: string[];
    grantedAt: string | null;
  },
  permissions: PatPermissions,
): GrantInput[] {
  const base = recordBase(scan, collector);
  const principal = person(scan, token.owner);
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
            ? {
                breadth: 'tenant' as const,
                type: 'organization',
                id: scan.config.org,
                label: scan.config.org,
              }
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

/** The repositories of a `subset` grant or request (GitHub App only endpoint). */
export async function subsetRepositories(
  scan: GithubScan,
  route: string,
  params: Record<string, unknown>,
): Promise<string[]> {
  const names: string[] = [];
  for await (const r of scan.client.list(route, { org: scan.config.org, ...params }, MinimalRepository))
    names.push(r.full_name);
  return names.sort();
}

/**
 * Fine-grained personal access tokens approved for the org: permissions, selected repositories,
 * expiry, last use and owner. GitHub lets only GitHub Apps call these endpoints.
 */
export const patGrantsCollector: GithubCollector = {
  name: NAME,
  description:
    'Fine-grained personal access tokens with access to the org (permissions, expiry, last used, owner)',
  requires: 'Organization permission "Personal access tokens: read" (GitHub App authentication only)',
  async *collect(scan: GithubScan): AsyncGenerator<ModelRecordInput> {
    const { client, config, ctx, web } = scan;
    if (client.auth !== 'app') {
      ctx.coverage.unavailable(
        NAME,
        'GitHub lists fine-grained PATs to GitHub Apps only; configure github.app to collect them',
      );
      return;
    }
    const grants: PatGrant[] = [];
    for await (const g of client.list(
      'GET /orgs/{org}/personal-access-tokens',
      { org: config.org },
      PatGrantSchema,
    ))
      grants.push(g);
    const repos = new Map<number, string[]>();
    await Promise.all(
      grants
        .filter((g) => g.repository_selection === 'subset')
        .map((g) =>
          ctx.limit(async () => {
            repos.set(
              g.id,
              await subsetRepositories(scan, 'GET /orgs/{org}/personal-access-tokens/{pat_id}/repositories', {
                pat_id: g.id,
              }),
            );
          }),
        ),
    );
    const base = recordBase(scan, NAME);
    for (const g of grants) {
      const identity = { kind: 'fine-grained-pat', nativeId: String(g.id) };
      const lastUsed = usage(g.token_last_used_at, 'github:token_last_used_at');
      const selected = repos.get(g.id) ?? [];
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
        ...ownersOf(scan, [g.owner.login]),
        manageUrl: `${web}/organizations/${config.org}/settings/personal-access-tokens/active`,
        attributes: {
          tokenId: g.token_id,
          repositorySelection: g.repository_selection,
          tokenExpired: g.token_expired,
          ...(g.repository_selection === 'subset' ? { repositories: selected } : {}),
        },
        raw: g as unknown as Json,
      };
      yield* patGrants(
        scan,
        NAME,
        identity,
        {
          owner: g.owner.login,
          repositorySelection: g.repository_selection,
          repositories: selected,
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
  },
};
