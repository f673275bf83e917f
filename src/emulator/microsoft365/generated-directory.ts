import {
  type AppRecord,
  type AssignmentRecord,
  type Collection,
  derivedGuid,
  type GrantRecord,
  type M365Directory,
  type OwnerRecord,
  type SignInRecord,
  type SpRecord,
  type UserRecord,
  wellKnownResourceSps,
} from './directory.js';
import { MICROSOFT_SERVICES_TENANT } from './resources.js';
import type { Microsoft365Section } from './schema.js';

const MICROSOFT_CORP_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const DAY = 86_400_000;
/** Every API_STRIDE-th service principal (from API_OFFSET) is an internal API exposing app roles. */
const API_STRIDE = 97;
const API_OFFSET = 5;
const MAX_ASSIGNMENTS = 3;
/** Each internal API is held by this many of the service principals after it. */
const API_HOLDERS = 3;
const MAX_GRANTS = 2;

/** murmur3 fmix32 over a few integers: a fast, well-mixed deterministic hash. */
function mix(...ints: number[]): number {
  let h = 0x9e3779b9;
  for (const n of ints) {
    h ^= n >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

enum Salt {
  Category = 1,
  Enabled,
  Created,
  Verified,
  OwnerCount,
  Owner,
  AssignmentCount,
  AssignmentResource,
  AssignmentRole,
  GrantCount,
  GrantPrincipal,
  GrantConsent,
  GrantScope,
  SignIn,
  SignInAge,
  Secret,
  Cert,
  UserEnabled,
  Vendor,
  AppOwnerCount,
}

type Category = 'resource' | 'platform' | 'internal' | 'third-party';

/**
 * A large synthetic tenant computed on demand from (seed, index): nothing but the three resource
 * service principals and a few small pools is held in memory, so 50,000 service principals cost
 * the same memory as 50. Ids encode the index (last 12 hex digits), so lookups by id are O(1).
 */
export function generatedDirectory(section: Microsoft365Section, now: Date): M365Directory {
  const gen = section.generate!;
  const seed = mix(gen.seed);
  const N = gen.servicePrincipals;
  const U = gen.users;
  const tenantId = section.tenant.id;
  const resources = wellKnownResourceSps(tenantId);
  const R = Math.min(resources.length, N);
  const graph = resources[0]!;
  const rnd = (i: number, salt: Salt, k = 0) => mix(seed, i, salt, k) / 0x1_0000_0000;

  const prefixes = new Map<string, string>();
  const prefixOf = (kind: string) => {
    let p = prefixes.get(kind);
    if (!p) {
      p = derivedGuid('generated', gen.seed, kind).slice(0, 24);
      prefixes.set(kind, p);
    }
    return p;
  };
  const id = (kind: string, i: number) => `${prefixOf(kind)}${i.toString(16).padStart(12, '0')}`;
  const indexOf = (kind: string, guid: string, count: number): number | undefined => {
    const g = guid.toLowerCase();
    if (g.length !== 36 || !g.startsWith(prefixOf(kind))) return undefined;
    const i = Number.parseInt(g.slice(24), 16);
    return Number.isInteger(i) && i >= 0 && i < count ? i : undefined;
  };
  const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

  const isApi = (i: number) => i >= R && i % API_STRIDE === API_OFFSET;
  const category = (i: number): Category => {
    if (i < R) return 'resource';
    if (isApi(i)) return 'internal';
    const r = rnd(i, Salt.Category);
    return r < 0.1 ? 'platform' : r < 0.35 ? 'internal' : 'third-party';
  };
  const createdMs = (i: number) => now.getTime() - Math.floor(rnd(i, Salt.Created) * 1500 + 1) * DAY;

  const user = (j: number): UserRecord => ({
    id: id('user', j),
    displayName: `User ${j}`,
    userPrincipalName: `user${j}@${section.tenant.defaultDomain}`,
    accountEnabled: rnd(j, Salt.UserEnabled) < 0.92,
    mail: `user${j}@${section.tenant.defaultDomain}`,
    jobTitle: null,
  });

  const apiRoles = (i: number) =>
    ['Records.Read.All', 'Records.ReadWrite.All'].map((value, k) => ({
      id: id(`api-role-${k}`, i),
      value,
      displayName: value,
      description: `${value} on internal API ${i}`,
      allowedMemberTypes: ['Application'],
      isEnabled: true,
    }));

  const sp = (i: number): SpRecord => {
    if (i < R) return resources[i]!;
    const cat = category(i);
    const vendor = mix(seed, i, Salt.Vendor) % 400;
    const owner =
      cat === 'internal'
        ? tenantId
        : cat === 'platform'
          ? i % 3 === 0
            ? MICROSOFT_CORP_TENANT
            : MICROSOFT_SERVICES_TENANT
          : derivedGuid('vendor-tenant', gen.seed, vendor);
    const verified = cat === 'third-party' && rnd(i, Salt.Verified) < 0.5;
    const name =
      cat === 'internal'
        ? isApi(i)
          ? `Internal API ${i}`
          : `Acme app ${i}`
        : cat === 'platform'
          ? `Microsoft service ${i}`
          : `Vendor ${vendor} app ${i}`;
    return {
      id: id('sp', i),
      appId: id('appid', i),
      displayName: name,
      appDisplayName: name,
      appOwnerOrganizationId: owner,
      publisherName:
        cat === 'platform'
          ? 'Microsoft Services'
          : cat === 'internal'
            ? section.tenant.displayName
            : `Vendor ${vendor}`,
      verifiedPublisher: verified
        ? {
            displayName: `Vendor ${vendor}`,
            verifiedPublisherId: String(1_000_000 + vendor),
            addedDateTime: null,
          }
        : null,
      accountEnabled: rnd(i, Salt.Enabled) < 0.97,
      servicePrincipalType: 'Application',
      signInAudience: cat === 'internal' ? 'AzureADMyOrg' : 'AzureADMultipleOrgs',
      tags: ['WindowsAzureActiveDirectoryIntegratedApp'],
      createdDateTime: iso(createdMs(i)),
      appRoleAssignmentRequired: false,
      homepage: null,
      description: null,
      appRoles: isApi(i) ? apiRoles(i) : [],
      oauth2PermissionScopes: [],
      passwordCredentials: [],
      keyCredentials: [],
    };
  };

  const spOwnerIndexes = (i: number): number[] => {
    const cat = category(i);
    const n =
      cat === 'internal'
        ? Math.floor(rnd(i, Salt.OwnerCount) * 2)
        : cat === 'third-party'
          ? rnd(i, Salt.OwnerCount) < 0.2
            ? 1
            : 0
          : 0;
    return Array.from({ length: n }, (_, k) => mix(seed, i, Salt.Owner, k) % U);
  };
  const appOwnerIndexes = (i: number): number[] => {
    const n = Math.floor(rnd(i, Salt.AppOwnerCount) * 3);
    return Array.from({ length: n }, (_, k) => mix(seed, i, Salt.Owner, 10 + k) % U);
  };

  const application = (i: number): AppRecord | undefined => {
    if (category(i) !== 'internal') return undefined;
    const s = sp(i);
    const created = createdMs(i);
    const secrets = Math.floor(rnd(i, Salt.Secret) * 3);
    const certs = rnd(i, Salt.Cert) < 0.3 ? 1 : 0;
    const span = (k: number, salt: Salt) => {
      const start = created + Math.floor(rnd(i, salt, 100 + k) * 300) * DAY;
      return { start: iso(start), end: iso(start + Math.floor(90 + rnd(i, salt, 200 + k) * 700) * DAY) };
    };
    return {
      id: id('app', i),
      appId: s.appId,
      displayName: s.displayName,
      createdDateTime: iso(created),
      signInAudience: 'AzureADMyOrg',
      publisherDomain: section.tenant.defaultDomain,
      passwordCredentials: Array.from({ length: secrets }, (_, k) => {
        const t = span(k, Salt.Secret);
        return {
          keyId: id(`secret-${k}`, i),
          displayName: `secret ${k + 1}`,
          hint: 'Xq~',
          startDateTime: t.start,
          endDateTime: t.end,
          customKeyIdentifier: null,
        };
      }),
      keyCredentials: Array.from({ length: certs }, (_, k) => {
        const t = span(k, Salt.Cert);
        return {
          keyId: id(`cert-${k}`, i),
          displayName: `CN=acme-app-${i}`,
          type: 'AsymmetricX509Cert',
          usage: 'Verify' as const,
          startDateTime: t.start,
          endDateTime: t.end,
          customKeyIdentifier: null,
        };
      }),
    };
  };

  const assignmentCount = (i: number) => {
    const cat = category(i);
    if (cat === 'resource' || cat === 'platform') return 0;
    return Math.floor(rnd(i, Salt.AssignmentCount) * (MAX_ASSIGNMENTS + 1));
  };
  const build = (i: number, k: number, resource: SpRecord, role: { id: string }): AssignmentRecord => {
    const principal = sp(i);
    return {
      id: `${principal.id.replace(/-/g, '')}${k}${role.id.slice(0, 8)}`,
      appRoleId: role.id,
      createdDateTime: iso(createdMs(i) + DAY),
      principalId: principal.id,
      principalType: 'ServicePrincipal',
      principalDisplayName: principal.displayName,
      resourceId: resource.id,
      resourceDisplayName: resource.displayName,
    };
  };
  /** Which Microsoft resource (index into `resources`) the k-th assignment of client i is on, if any. */
  const microsoftResourceOf = (i: number, k: number): number | undefined => {
    if (k >= assignmentCount(i)) return undefined;
    const r = rnd(i, Salt.AssignmentResource, k);
    const at = r < 0.85 || R < 3 ? 0 : r < 0.93 ? 1 : 2;
    return at < R ? at : undefined;
  };
  const microsoftAssignment = (i: number, k: number): AssignmentRecord | undefined => {
    const at = microsoftResourceOf(i, k);
    if (at === undefined) return undefined;
    const resource = resources[at]!;
    return build(
      i,
      k,
      resource,
      resource.appRoles[mix(seed, i, Salt.AssignmentRole, k) % resource.appRoles.length]!,
    );
  };
  /**
   * Internal APIs are held by their next three neighbours (when those are not Microsoft's), which
   * keeps both directions cheap: an API's holders are j+1..j+3, a client's APIs are i-1..i-3.
   */
  const apiAssignment = (j: number, d: number): AssignmentRecord | undefined => {
    const i = j + d;
    if (!isApi(j) || i >= N || category(i) === 'platform' || category(i) === 'resource') return undefined;
    const api = sp(j);
    return build(
      i,
      MAX_ASSIGNMENTS + d,
      api,
      api.appRoles[mix(seed, i, Salt.AssignmentRole, 99) % api.appRoles.length]!,
    );
  };

  const grantCount = (i: number) => {
    const cat = category(i);
    if (cat === 'resource' || cat === 'platform') return 0;
    return Math.floor(rnd(i, Salt.GrantCount) * (MAX_GRANTS + 1));
  };
  /** Who grant k of SP i is for: every user (admin consent), or one user's index. */
  const grantPrincipal = (i: number, k: number): number | 'all' =>
    rnd(i, Salt.GrantConsent, k) < 0.6 ? 'all' : mix(seed, i, Salt.GrantPrincipal, k) % U;
  const grant = (i: number, k: number): GrantRecord | undefined => {
    if (k >= grantCount(i)) return undefined;
    const principal = grantPrincipal(i, k);
    // Entra keeps one delegated grant per (client, resource, principal or all principals): creating a
    // second one fails with "Permission entry already exists." (Request_MultipleObjectsWithSameKeyValue;
    // a consent adds its scopes to the existing grant instead, oauth2permissiongrant-update). Every
    // generated grant is on Microsoft Graph, so a repeated principal is left out.
    for (let earlier = 0; earlier < k; earlier++)
      if (grantPrincipal(i, earlier) === principal) return undefined;
    const all = principal === 'all';
    const scopes = graph.oauth2PermissionScopes;
    const n = 1 + (mix(seed, i, Salt.GrantScope, k) % 4);
    const picked = new Set<string>();
    for (let s = 0; s < n; s++)
      picked.add(scopes[mix(seed, i, Salt.GrantScope, k, s) % scopes.length]!.value);
    return {
      id: `${id('grant', i).replace(/-/g, '')}${k}`,
      clientId: sp(i).id,
      consentType: all ? 'AllPrincipals' : 'Principal',
      principalId: principal === 'all' ? null : id('user', principal),
      resourceId: graph.id,
      scope: [...picked].join(' '),
    };
  };

  const signIn = (i: number): SignInRecord | undefined => {
    if (i < R || rnd(i, Salt.SignIn) >= 0.7) return undefined;
    return {
      appId: sp(i).appId,
      lastSignInDateTime: iso(now.getTime() - Math.floor(rnd(i, Salt.SignInAge) * 200) * DAY),
    };
  };

  const spIndex = (guid: string) => {
    const r = resources.findIndex((x) => x.id === guid.toLowerCase());
    if (r >= 0 && r < R) return r;
    const i = indexOf('sp', guid, N);
    return i !== undefined && i >= R ? i : undefined;
  };
  const owners = (indexes: number[]): OwnerRecord[] =>
    indexes.map((j) => ({ type: 'user' as const, user: user(j) }));

  return {
    tenant: section.tenant,
    scanner: {
      appId: section.scanner.appId,
      displayName: section.scanner.displayName,
      permissions: new Set(section.scanner.permissions),
      credentials: new Set(section.scanner.credentials),
    },
    premium: section.licences.entraIdP1,
    servicePrincipals: {
      slots: N,
      at: (slot) => (slot < N ? sp(slot) : undefined),
      get: (guid) => {
        const i = spIndex(guid);
        return i === undefined ? undefined : sp(i);
      },
      byAppId: (appId) => {
        const r = resources.findIndex((x) => x.appId === appId.toLowerCase());
        if (r >= 0 && r < R) return resources[r];
        const i = indexOf('appid', appId, N);
        return i !== undefined && i >= R ? sp(i) : undefined;
      },
    },
    applications: {
      slots: N,
      at: (slot) => (slot < N ? application(slot) : undefined),
      get: (guid) => {
        const i = indexOf('app', guid, N);
        return i === undefined ? undefined : application(i);
      },
    },
    users: {
      slots: U,
      at: (slot) => (slot < U ? user(slot) : undefined),
      get: (guid) => {
        const j = indexOf('user', guid, U);
        return j === undefined ? undefined : user(j);
      },
    },
    oauth2PermissionGrants: {
      slots: N * MAX_GRANTS,
      at: (slot) => grant(Math.floor(slot / MAX_GRANTS), slot % MAX_GRANTS),
    },
    signInActivities: { slots: N, at: signIn },
    ownersOfServicePrincipal: (guid) => {
      const i = spIndex(guid);
      return i === undefined ? undefined : i < R ? [] : owners(spOwnerIndexes(i));
    },
    ownersOfApplication: (guid) => {
      const i = indexOf('app', guid, N);
      return i === undefined || !application(i) ? undefined : owners(appOwnerIndexes(i));
    },
    appRoleAssignedTo: (resourceId): Collection<AssignmentRecord> => {
      const j = spIndex(resourceId);
      if (j === undefined || sp(j).appRoles.length === 0) return { slots: 0, at: () => undefined };
      if (isApi(j)) return { slots: API_HOLDERS, at: (slot) => apiAssignment(j, slot + 1) };
      return {
        slots: N * MAX_ASSIGNMENTS,
        at: (slot) => {
          const i = Math.floor(slot / MAX_ASSIGNMENTS);
          const k = slot % MAX_ASSIGNMENTS;
          return microsoftResourceOf(i, k) === j ? microsoftAssignment(i, k) : undefined;
        },
      };
    },
    appRoleAssignments: (principalId) => {
      const i = spIndex(principalId);
      if (i === undefined) return [];
      const out: AssignmentRecord[] = [];
      for (let k = 0; k < MAX_ASSIGNMENTS; k++) {
        const a = microsoftAssignment(i, k);
        if (a) out.push(a);
      }
      for (let d = 1; d <= API_HOLDERS; d++) {
        const a = i - d >= 0 ? apiAssignment(i - d, d) : undefined;
        if (a) out.push(a);
      }
      return out;
    },
  };
}
