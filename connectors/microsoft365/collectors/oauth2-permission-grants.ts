import type { LegacyCollectorDescriptor as CollectorDescriptor } from '../../../src/connector/legacy.js';
import type { GrantInput } from '../../../src/model/grant.js';
import { COLLECTORS, PLATFORM, type ScanContext, select } from '../context.js';
import { BATCH_SIZE } from '../graph.js';
import type { PermissionResolver } from '../permissions.js';
import { ratePermission } from '../risk.js';
import {
  DIRECTORY_OBJECT_SELECT,
  DirectoryObject,
  OAuth2PermissionGrant,
  RESOURCE_SCOPES_SELECT,
  ResourceScopes,
} from '../schema.js';

export const delegatedGrantsCollector: CollectorDescriptor = {
  name: COLLECTORS.delegatedGrants,
  description:
    'Delegated permissions (oauth2PermissionGrants): admin consent for all users or one user’s consent, split into scopes and resolved to GUIDs',
  // The least privileged application permission of oauth2permissiongrant-list (the others,
  // DelegatedPermissionGrant.ReadWrite.All and Directory.ReadWrite.All, write); it reads the
  // consenting users too (user-get).
  requires: 'Directory.Read.All',
};

const GRANT_FIELDS = ['id', 'clientId', 'consentType', 'principalId', 'resourceId', 'scope'] as const;

/**
 * The users behind per-user consents, with whether they are still enabled (deleted → inactive).
 * Looked up in `$batch`es of 20, unless listing all users is cheaper (one `$count` tells).
 */
async function lookUpUsers(s: ScanContext, ids: string[]): Promise<Map<string, DirectoryObject | null>> {
  const out = new Map<string, DirectoryObject | null>();
  if (ids.length === 0) return out;
  const info = { api: 'GET /users', requiredPermission: 'User.Read.All' };
  const batches = Math.ceil(ids.length / BATCH_SIZE);
  if (batches > 2) {
    const total = await s.graph.count('/users/$count', { ...info, api: 'GET /users/$count' });
    if (Math.ceil(total / s.config.pageSize) + 1 < batches) {
      const wanted = new Set(ids.map((i) => i.toLowerCase()));
      for await (const page of s.graph.list(
        `/users?${select(DIRECTORY_OBJECT_SELECT)}&$top=${s.config.pageSize}`,
        DirectoryObject,
        info,
      )) {
        for (const u of page) if (wanted.has(u.id.toLowerCase())) out.set(u.id.toLowerCase(), u);
      }
      for (const id of wanted) if (!out.has(id)) out.set(id, null);
      return out;
    }
  }
  const results = await s.graph.batch(
    ids.map((id) => ({
      key: id,
      url: `/users/${id}?${select(DIRECTORY_OBJECT_SELECT)}`,
      collection: false,
      schema: DirectoryObject,
    })),
    { ...info, api: 'GET /users/{id}' },
  );
  for (const id of ids) {
    const r = results.get(id);
    out.set(id.toLowerCase(), r?.status === 200 ? (r.value[0] ?? null) : null);
  }
  return out;
}

/**
 * Delegated grants, tenant-wide in one paged list. The `scope` string is split into permissions,
 * each resolved to its GUID through the resource service principal's `oauth2PermissionScopes`
 * (fetched once per resource, in `$batch`) and rated by (resource, GUID, delegated).
 */
export async function collectDelegatedGrants(
  s: ScanContext,
  knownSpIds: ReadonlySet<string>,
  resolver: PermissionResolver,
): Promise<GrantInput[]> {
  const name = COLLECTORS.delegatedGrants;
  const raw: OAuth2PermissionGrant[] = [];
  for await (const page of s.graph.list(
    `/oauth2PermissionGrants?${select(GRANT_FIELDS)}&$top=${s.config.pageSize}`,
    OAuth2PermissionGrant,
    { api: 'GET /oauth2PermissionGrants', requiredPermission: 'Directory.Read.All' },
  )) {
    raw.push(...page);
  }

  const resourceIds = [...new Set(raw.map((g) => g.resourceId.toLowerCase()))];
  const resources = await s.graph.batch(
    resourceIds.map((id) => ({
      key: id,
      url: `/servicePrincipals/${id}?${select(RESOURCE_SCOPES_SELECT)}`,
      collection: false,
      schema: ResourceScopes,
    })),
    { api: 'GET /servicePrincipals/{id}', requiredPermission: 'Application.Read.All' },
  );
  for (const r of resources.values()) if (r.status === 200 && r.value[0]) resolver.addScopes(r.value[0]);

  const principalIds = [
    ...new Set(raw.filter((g) => g.principalId).map((g) => g.principalId!.toLowerCase())),
  ];
  const users = await lookUpUsers(s, principalIds);

  const grants: GrantInput[] = [];
  let unresolved = 0;
  let unknownClients = 0;
  for (const g of raw) {
    if (!knownSpIds.has(g.clientId.toLowerCase())) {
      unknownClients += 1;
      continue;
    }
    const resource = resolver.resourceOf(g.resourceId);
    const allUsers = g.consentType === 'AllPrincipals';
    const user = g.principalId ? users.get(g.principalId.toLowerCase()) : undefined;
    const values = (g.scope ?? '').split(/\s+/).filter(Boolean);
    for (const value of values) {
      const p = resolver.scope(g.resourceId, value);
      if (!p) unresolved += 1;
      const resourceAppId = p?.resourceAppId ?? resource?.appId ?? null;
      // A scope the resource does not declare keeps its value as id and is not rated: never by name alone.
      const rating =
        p && resourceAppId
          ? ratePermission(resourceAppId, p.id, 'delegated', value)
          : ratePermission('', '', 'delegated', value);
      grants.push({
        type: 'grant',
        platform: PLATFORM,
        tenant: s.tenant,
        identity: { kind: 'service-principal', nativeId: g.clientId },
        permission: {
          id: p?.id ?? value,
          name: value,
          resource: resourceAppId,
          nativeLevel: 'delegated',
          access: rating.access,
        },
        target: allUsers
          ? {
              breadth: 'tenant',
              type: 'users',
              id: s.tenant.id,
              label: `all users of ${s.tenant.name ?? s.tenant.id}`,
            }
          : {
              breadth: 'user',
              type: 'user',
              id: g.principalId,
              label: user?.userPrincipalName ?? user?.displayName ?? g.principalId,
            },
        grantedVia: allUsers ? 'admin-consent' : 'user-consent',
        principal: allUsers
          ? null
          : {
              id: g.principalId!,
              name: user?.userPrincipalName ?? user?.displayName ?? null,
              type: 'user',
              // A deleted user (404) can still be the principal of a grant: it is orphaned.
              active: user === null ? false : (user?.accountEnabled ?? null),
            },
        risk: rating.risk,
        attributes: {
          grantId: g.id,
          consentType: g.consentType,
          resourceId: g.resourceId,
          resourceDisplayName: resource?.displayName ?? null,
          permissionResolved: p !== undefined,
          principalDeleted: user === null,
        },
        collector: name,
        raw: g,
      });
    }
  }
  s.ctx.coverage.countItems(name, grants.length);
  s.ctx.coverage.note(
    name,
    `${raw.length} grant object(s), ${principalIds.length} consenting user(s), ${resourceIds.length} resource(s)`,
  );
  if (unresolved > 0)
    s.ctx.coverage.note(name, `${unresolved} scope value(s) not declared by their resource: kept unrated`);
  if (unknownClients > 0)
    s.ctx.coverage.note(
      name,
      `${unknownClients} grant(s) of service principals created after the list was read`,
    );
  return grants;
}
