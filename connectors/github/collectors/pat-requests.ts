import type { Json } from '../../../src/model/common.js';
import type { ModelRecordInput } from '../../../src/model/record.js';
import { type GithubCollector, type GithubScan, ownersOf, recordBase, ts } from '../scan-context.js';
import { type PatRequest, PatRequest as PatRequestSchema } from '../schema.js';
import { subsetRepositories } from './pat-grants.js';

const NAME = 'pat-requests';

/**
 * Pending requests from members for fine-grained PAT access to the org. A request grants nothing
 * yet, so it becomes an identity (with what it asks for in `attributes.requestedPermissions`) and
 * no grants; once approved, the token shows up under `pat-grants` (a new grant in the diff).
 */
export const patRequestsCollector: GithubCollector = {
  name: NAME,
  description: 'Pending fine-grained personal access token requests (requested permissions, owner, reason)',
  requires: 'Organization permission "Personal access token requests: read" (GitHub App authentication only)',
  async *collect(scan: GithubScan): AsyncGenerator<ModelRecordInput> {
    const { client, config, ctx, web } = scan;
    if (client.auth !== 'app') {
      ctx.coverage.unavailable(
        NAME,
        'GitHub lists PAT requests to GitHub Apps only; configure github.app to collect them',
      );
      return;
    }
    const requests: PatRequest[] = [];
    for await (const r of client.list(
      'GET /orgs/{org}/personal-access-token-requests',
      { org: config.org },
      PatRequestSchema,
    )) {
      requests.push(r);
    }
    const repos = new Map<number, string[]>();
    await Promise.all(
      requests
        .filter((r) => r.repository_selection === 'subset')
        .map((r) =>
          ctx.limit(async () => {
            repos.set(
              r.id,
              await subsetRepositories(
                scan,
                'GET /orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories',
                {
                  pat_request_id: r.id,
                },
              ),
            );
          }),
        ),
    );
    const base = recordBase(scan, NAME);
    for (const r of requests) {
      const requestedPermissions: Record<string, Json> = {};
      for (const [section, map] of Object.entries(r.permissions)) {
        if (map && typeof map === 'object') requestedPermissions[section] = map as Json;
      }
      yield {
        type: 'identity',
        ...base,
        kind: 'fine-grained-pat-request',
        nativeId: String(r.id),
        displayName: r.token_name,
        publisher: { name: r.owner.login, id: String(r.owner.id), verified: null },
        origin: 'internal',
        createdAt: ts(r.created_at),
        // Pending: the token has no access to the org until an owner approves it.
        enabled: false,
        lastUsed: null,
        ...ownersOf(scan, [r.owner.login]),
        manageUrl: `${web}/organizations/${config.org}/settings/personal-access-token-requests`,
        attributes: {
          status: 'pending',
          tokenId: r.token_id,
          reason: r.reason,
          repositorySelection: r.repository_selection,
          requestedPermissions,
          tokenExpiresAt: ts(r.token_expires_at),
          ...(r.repository_selection === 'subset' ? { repositories: repos.get(r.id) ?? [] } : {}),
        },
        raw: r as unknown as Json,
      };
    }
  },
};
