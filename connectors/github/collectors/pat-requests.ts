import { defineCollector } from '../../../src/connector/collector.js';
import type { Json } from '../../../src/model/common.js';
import type { ModelRecordInput } from '../../../src/model/record.js';
import { ownersOf, type RecordScope, recordBase, scopeOf, ts } from '../records.js';
import { type PatRequest, PatRequest as PatRequestSchema } from '../schema.js';
import type { GithubSession } from '../session.js';
import { members } from './members.js';
import { subsetRepositories } from './pat-grants.js';

const NAME = 'pat-requests';

/** A pending request and, for a `subset` selection, the repositories it asks for. */
export interface RequestedPat {
  request: PatRequest;
  repositories: string[];
}

/**
 * Each pending request as an identity. A request grants nothing yet, so it has no grants: what it asks
 * for is in `attributes.requestedPermissions`; once approved, the token shows up under `pat-grants`
 * (a new grant in the diff).
 */
export function* patRequestRecords(
  requested: readonly RequestedPat[],
  scope: RecordScope,
): Generator<ModelRecordInput> {
  const base = recordBase(scope, NAME);
  for (const { request: r, repositories } of requested) {
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
      ...ownersOf(scope, [r.owner.login]),
      manageUrl: `${scope.web}/organizations/${scope.org}/settings/personal-access-token-requests`,
      attributes: {
        status: 'pending',
        tokenId: r.token_id,
        reason: r.reason,
        repositorySelection: r.repository_selection,
        requestedPermissions,
        tokenExpiresAt: ts(r.token_expires_at),
        ...(r.repository_selection === 'subset' ? { repositories } : {}),
      },
      raw: r as unknown as Json,
    };
  }
}

/** Pending requests from members for fine-grained PAT access to the org (GitHub Apps only). */
export const patRequests = defineCollector<GithubSession, RequestedPat[]>({
  name: NAME,
  description: 'Pending fine-grained personal access token requests (requested permissions, owner, reason)',
  permissions: [
    'Organization permission "Personal access token requests: read" (GitHub App authentication only)',
  ],
  enrichedBy: [members.name],
  async fetch(session, { ctx }) {
    const { client, config } = session;
    if (client.auth !== 'app') {
      ctx.coverage.unavailable(
        NAME,
        'GitHub lists PAT requests to GitHub Apps only; configure github.app to collect them',
      );
      return [];
    }
    const requests: PatRequest[] = [];
    for await (const r of client.list(
      'GET /orgs/{org}/personal-access-token-requests',
      { org: config.org },
      PatRequestSchema,
    )) {
      requests.push(r);
    }
    const repos = await subsetRepositories(
      session,
      ctx,
      requests,
      'GET /orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories',
      'pat_request_id',
    );
    return requests.map((request) => ({ request, repositories: repos.get(request.id) ?? [] }));
  },
  transform: (requested, session, run) =>
    patRequestRecords(requested, scopeOf(session, run.optional(members))),
});
