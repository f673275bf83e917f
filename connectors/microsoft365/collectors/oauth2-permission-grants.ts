import { type CollectorRun, defineCollector } from '../../../src/connector/collector.js';
import { type CarryDecision, checkCarry, emitUnlessCarried } from '../../../src/connector/records-carry.js';
import type { Tenant } from '../../../src/model/common.js';
import type { GrantInput } from '../../../src/model/grant.js';
import { BATCH_SIZE, select } from '../client.js';
import { readGrantObjects } from '../grants-delta.js';
import { PermissionResolver } from '../permission-resolver.js';
import type { PreviousReads } from '../previous-reads.js';
import { ratePermission } from '../risk.js';
import {
  DIRECTORY_OBJECT_SELECT,
  DirectoryObject,
  type OAuth2PermissionGrant,
  RESOURCE_SCOPES_SELECT,
  ResourceScopes,
  type ServicePrincipal,
} from '../schema.js';
import { PLATFORM, type Session } from '../session.js';
import type { AppDirectory } from './service-principals.js';

const NAME = 'oauth2-permission-grants';

/** What was read: the grants, the scopes of their resources and the users behind per-user consents. */
export interface DelegatedGrantsRead {
  grants: OAuth2PermissionGrant[];
  /** The resources of the grants, as looked up by id (a resource deleted since is absent). */
  resources: ResourceScopes[];
  /** How many resources were looked up. */
  resourceCount: number;
  /** Consenting users by lower-case id; null: deleted. */
  users: ReadonlyMap<string, DirectoryObject | null>;
  /**
   * Whether these grants give exactly the records the previous scan stored: then the transform emits
   * none and the store carries them forward (the collector is incremental, naming nothing removed).
   */
  carry?: CarryDecision<string[]>;
}

/**
 * The connector-state key of the digest of the delegated grant records a scan stored
 * (src/connector/records-carry.ts): the next scan compares its own records' digest with it.
 */
export const GRANTS_RECORDS_DIGEST = 'oauth2PermissionGrants.recordsDigest';

/**
 * Delegated grants, tenant-wide in one paged list. The `scope` string is split into permissions,
 * each resolved to its GUID through the resource service principal's `oauth2PermissionScopes`
 * (fetched once per resource, in `$batch`) and rated by (resource, GUID, delegated).
 */
export const oauth2PermissionGrants = defineCollector<Session, DelegatedGrantsRead>({
  name: NAME,
  description:
    'Delegated permissions (oauth2PermissionGrants): admin consent for all users or one user’s consent, split into scopes and resolved to GUIDs',
  // The least privileged application permission of oauth2permissiongrant-list (the others,
  // DelegatedPermissionGrant.ReadWrite.All and Directory.ReadWrite.All, write); it reads the
  // consenting users too (user-get).
  permissions: ['Directory.Read.All'],
  // The service principal list tells the clients that still exist and resolves app-role resources.
  dependsOn: ['service-principals'],
  fetch: async (s, run) => {
    const { servicePrincipals: sps, previous } = run.input<AppDirectory>('service-principals');
    const read = await readDelegatedGrants(s, run, sps, previous);
    // The same records as the previous scan stored (whatever the delta said): carried forward.
    const carry = await checkCarry(run, GRANTS_RECORDS_DIGEST, () => delegatedGrantsOf(s.tenant, sps, read));
    return { ...read, carry };
  },
  *transform(read, s, run) {
    const sps = run.input<AppDirectory>('service-principals').servicePrincipals;
    const notes = yield* emitUnlessCarried(
      run,
      GRANTS_RECORDS_DIGEST,
      read.carry ?? { kind: 'not-compared' },
      () => delegatedGrantsOf(s.tenant, sps, read),
    );
    for (const note of notes) run.ctx.coverage.note(NAME, note);
  },
});

const GRANT_FIELDS = ['id', 'clientId', 'consentType', 'principalId', 'resourceId', 'scope'] as const;

/**
 * The users behind per-user consents, with whether they are still enabled (deleted → inactive).
 * Looked up in `$batch`es of 20, unless listing all users is cheaper: the user list's first page asks
 * for the count too (`$count=true`), and the list goes on only while its remaining pages are no more
 * than the batches the users not found yet would take.
 */
async function lookUpUsers(s: Session, ids: string[]): Promise<Map<string, DirectoryObject | null>> {
  const out = new Map<string, DirectoryObject | null>();
  if (ids.length === 0) return out;
  const info = { api: 'GET /users', requiredPermission: 'User.Read.All' };
  let rest = ids;
  if (Math.ceil(ids.length / BATCH_SIZE) > 2) {
    const wanted = new Set(ids.map((i) => i.toLowerCase()));
    let total: number | undefined;
    let pages = 0;
    let listedAll = true;
    for await (const page of s.graph.list(
      `/users?${select(DIRECTORY_OBJECT_SELECT)}&$top=${s.config.pageSize}&$count=true`,
      DirectoryObject,
      info,
      undefined,
      {
        onCount: (n) => {
          total = n;
          s.graph.learnTenantUsers(n);
        },
      },
      // After the first page, reading on may cost more than the lookups left: it may stop there.
      { mayStopAfter: 1 },
    )) {
      pages += 1;
      for (const u of page) if (wanted.has(u.id.toLowerCase())) out.set(u.id.toLowerCase(), u);
      const notFound = ids.length - out.size;
      const pagesLeft = total === undefined ? 0 : Math.ceil(total / s.config.pageSize) - pages;
      if (pages === 1 && pagesLeft > Math.ceil(notFound / BATCH_SIZE)) {
        listedAll = false;
        break;
      }
    }
    if (listedAll) {
      for (const id of wanted) if (!out.has(id)) out.set(id, null);
      return out;
    }
    rest = ids.filter((id) => !out.has(id.toLowerCase()));
  }
  const results = await s.graph.batch(
    rest.map((id) => ({
      key: id,
      url: `/users/${id}?${select(DIRECTORY_OBJECT_SELECT)}`,
      collection: false,
      schema: DirectoryObject,
    })),
    { ...info, api: 'GET /users/{id}' },
  );
  for (const id of rest) {
    const r = results.get(id);
    out.set(id.toLowerCase(), r?.status === 200 ? (r.value[0] ?? null) : null);
  }
  return out;
}

async function readDelegatedGrants(
  s: Session,
  run: Pick<CollectorRun, 'ctx' | 'name'>,
  sps: readonly ServicePrincipal[],
  previous?: PreviousReads,
): Promise<DelegatedGrantsRead> {
  // The whole list, or only what changed since the previous scan (grants-delta.ts).
  const grants = await readGrantObjects(s, run, GRANT_FIELDS, sps, previous);

  const resourceIds = [...new Set(grants.map((g) => g.resourceId.toLowerCase()))];
  const principalIds = [
    ...new Set(grants.filter((g) => g.principalId).map((g) => g.principalId!.toLowerCase())),
  ];
  // The resources' scopes and the consenting users need only the grants: read at once, so that the
  // user list's pages (one after another) do not wait for the resources' round trip first. Both end
  // before this returns, whichever fails: no request is left running after the collector.
  const [scopes, looked] = await Promise.allSettled([
    s.graph.batch(
      resourceIds.map((id) => ({
        key: id,
        url: `/servicePrincipals/${id}?${select(RESOURCE_SCOPES_SELECT)}`,
        collection: false,
        schema: ResourceScopes,
      })),
      { api: 'GET /servicePrincipals/{id}', requiredPermission: 'Application.Read.All' },
    ),
    lookUpUsers(s, principalIds),
  ]);
  if (scopes.status === 'rejected') throw scopes.reason;
  if (looked.status === 'rejected') throw looked.reason;
  const resources: ResourceScopes[] = [];
  for (const r of scopes.value.values()) if (r.status === 200 && r.value[0]) resources.push(r.value[0]);
  return { grants, resources, resourceCount: resourceIds.length, users: looked.value };
}

/**
 * One grant per scope of each delegated grant of a known client: tenant-wide for an admin consent
 * (`AllPrincipals`), for that user for a user's consent (with whether the user is still enabled);
 * and the coverage notes about what was left out.
 */
export function delegatedGrants(
  tenant: Tenant,
  sps: readonly ServicePrincipal[],
  read: DelegatedGrantsRead,
): { grants: GrantInput[]; notes: string[] } {
  const grants: GrantInput[] = [];
  const it = delegatedGrantsOf(tenant, sps, read);
  for (let r = it.next(); ; r = it.next()) {
    if (r.done) return { grants, notes: r.value };
    grants.push(r.value);
  }
}

/** The grants one at a time (the runner stores them in batches), then the coverage notes. */
function* delegatedGrantsOf(
  tenant: Tenant,
  sps: readonly ServicePrincipal[],
  read: DelegatedGrantsRead,
): Generator<GrantInput, string[]> {
  const knownSpIds = new Set(sps.map((sp) => sp.id.toLowerCase()));
  const resolver = new PermissionResolver();
  for (const sp of sps) if (sp.appRoles.length > 0) resolver.addAppRoles(sp);
  for (const r of read.resources) resolver.addScopes(r);
  const { users } = read;
  let unresolved = 0;
  let unknownClients = 0;
  for (const g of read.grants) {
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
      yield {
        type: 'grant',
        platform: PLATFORM,
        tenant,
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
              id: tenant.id,
              label: `all users of ${tenant.name ?? tenant.id}`,
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
        collector: NAME,
        raw: g,
      };
    }
  }
  const notes = [
    `${read.grants.length} grant object(s), ${users.size} consenting user(s), ${read.resourceCount} resource(s)`,
  ];
  if (unresolved > 0) notes.push(`${unresolved} scope value(s) not declared by their resource: kept unrated`);
  if (unknownClients > 0)
    notes.push(`${unknownClients} grant(s) of service principals created after the list was read`);
  return notes;
}
