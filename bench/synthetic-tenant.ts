import type { Credential, Grant, Identity, ModelRecord } from '../src/model/index.js';

/**
 * A large synthetic Microsoft 365 tenant, computed from indexes (never held in memory): service
 * principals with app-role and delegated grants and client secrets / certificates. Field contents
 * and raw objects are shaped and sized like Graph's (about 2.1 KB per service principal, 1.2 KB per
 * grant and 0.75 KB per credential of canonical JSON).
 */
export interface SyntheticTenant {
  identities: number;
  grantsPerIdentity: number;
  /** One credential per this many identities. */
  credentialEvery: number;
  /** `variant` changes what `changed()` alters: 0 = the baseline snapshot. */
  variant: number;
  /** Fraction of grants altered (access widened, risk re-tiered) when variant > 0. */
  changeRate: number;
}

const TENANT = { id: '72f988bf-86f1-41af-91ab-2d7cd011db47', name: 'contoso.onmicrosoft.com' };
const GRAPH = '00000003-0000-0000-c000-000000000000';
const SCOPES = [
  'User.Read',
  'Mail.Read',
  'Files.ReadWrite.All',
  'Sites.Read.All',
  'Directory.Read.All',
  'Group.ReadWrite.All',
];

/** Deterministic pseudo-random in [0, 1) from integers. */
function rand(...n: number[]): number {
  let h = 0x9e3779b9;
  for (const x of n) {
    h = Math.imul(h ^ x, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return (h >>> 0) / 2 ** 32;
}

const hex8 = (x: number) => (x >>> 0).toString(16).padStart(8, '0');

function guid(...n: number[]): string {
  const a = Math.floor(rand(...n) * 2 ** 32);
  const b = Math.imul(a ^ 0x5bd1e995, 0x27d4eb2d) >>> 0;
  const c = Math.imul(b ^ (b >>> 15), 0x165667b1) >>> 0;
  const d = Math.imul(c ^ (c >>> 13), 0x85ebca6b) >>> 0;
  const tail = hex8(c) + hex8(d);
  return `${hex8(a)}-${hex8(b).slice(0, 4)}-4${hex8(b).slice(5, 8)}-a${tail.slice(1, 4)}-${tail.slice(4, 16)}`;
}

const DAYS = Array.from({ length: 1500 }, (_, i) =>
  new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().replace('.000Z', 'Z'),
);

function day(offset: number): string {
  return DAYS[offset % DAYS.length]!;
}

function spIdentity(i: number): Identity {
  const id = guid(i, 1);
  const appId = guid(i, 2);
  const thirdParty = rand(i, 3) < 0.7;
  return {
    type: 'identity',
    platform: 'microsoft365',
    tenant: TENANT,
    kind: 'service-principal',
    nativeId: id,
    displayName: `Contoso Integration ${i}`,
    publisher: {
      name: thirdParty ? `Vendor ${i % 997}` : 'Contoso',
      id: guid(i % 997, 4),
      verified: rand(i, 5) < 0.5,
    },
    origin: thirdParty ? 'third-party' : 'internal',
    createdAt: day(Math.floor(rand(i, 6) * 700)),
    enabled: rand(i, 7) < 0.95,
    lastUsed: { at: day(Math.floor(rand(i, 8) * 800)), source: 'entra:servicePrincipalSignInActivities' },
    owners: [{ id: guid(i, 9), name: `owner${i}@contoso.com`, type: 'user', active: rand(i, 10) < 0.8 }],
    ownersKnown: true,
    manageUrl: `https://entra.microsoft.com/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/Overview/objectId/${id}/appId/${appId}`,
    attributes: {
      appId,
      signInAudience: 'AzureADMultipleOrgs',
      tags: ['WindowsAzureActiveDirectoryIntegratedApp'],
    },
    collector: 'service-principals',
    raw: {
      id,
      appId,
      displayName: `Contoso Integration ${i}`,
      accountEnabled: true,
      appOwnerOrganizationId: guid(i % 997, 4),
      appRoleAssignmentRequired: false,
      createdDateTime: day(Math.floor(rand(i, 6) * 700)),
      description: 'Synchronises calendars and files between Contoso and the vendor platform.',
      homepage: `https://vendor${i % 997}.example.com/`,
      loginUrl: null,
      logoutUrl: `https://vendor${i % 997}.example.com/logout`,
      notificationEmailAddresses: [],
      preferredSingleSignOnMode: null,
      replyUrls: [
        `https://vendor${i % 997}.example.com/auth/callback`,
        `https://app.vendor${i % 997}.example.com/oauth2`,
      ],
      servicePrincipalNames: [appId, `https://vendor${i % 997}.example.com/${appId}`],
      servicePrincipalType: 'Application',
      signInAudience: 'AzureADMultipleOrgs',
      tags: ['WindowsAzureActiveDirectoryIntegratedApp', 'HideApp'],
      verifiedPublisher: {
        displayName: `Vendor ${i % 997}`,
        verifiedPublisherId: String(1000000 + (i % 997)),
      },
      info: { marketingUrl: null, privacyStatementUrl: `https://vendor${i % 997}.example.com/privacy` },
    },
  };
}

/** Ids that repeat across records, computed once (the generator stands in for connectors; keep it cheap). */
const PERMISSION_IDS = Array.from({ length: 64 }, (_, j) => guid(j, 13));
const GRAPH_SP_ID = guid(0, 17);
const guidOfPermission = (j: number) => PERMISSION_IDS[j] ?? guid(j, 13);

function spGrant(i: number, j: number, t: SyntheticTenant, sp: string): Grant {
  const scope = SCOPES[(i + j) % SCOPES.length]!;
  const delegated = j % 3 === 0;
  const changed = t.variant > 0 && rand(i, j, t.variant, 11) < t.changeRate;
  const access = changed ? 'admin' : scope.includes('Write') ? 'write' : 'read';
  const principal = delegated ? guid(i, j, 12) : null;
  return {
    type: 'grant',
    platform: 'microsoft365',
    tenant: TENANT,
    identity: { kind: 'service-principal', nativeId: sp },
    permission: {
      id: guidOfPermission(j),
      name: `${scope}#${j}`,
      resource: GRAPH,
      nativeLevel: delegated ? 'delegated' : 'application',
      access,
    },
    target: delegated
      ? { breadth: 'user', type: 'user', id: principal, label: null, resources: [], count: 1 }
      : { breadth: 'tenant', type: 'tenant', id: null, label: TENANT.name, resources: [], count: null },
    grantedVia: delegated ? 'user-consent' : 'admin-consent',
    // Graph does not say who consented.
    grantedBy: null,
    grantedAt: day(Math.floor(rand(i, j, 15) * 700)),
    principal: principal
      ? { id: principal, name: `user${i}.${j}@contoso.com`, type: 'user', active: true }
      : null,
    risk: {
      tier: changed ? 'critical' : scope.endsWith('.All') ? 'high' : 'low',
      reason: changed ? 'escalated: write access to all mailboxes' : 'catalog',
      source: `catalog:graph/${scope}`,
    },
    attributes: { consentType: delegated ? 'Principal' : 'AllPrincipals' },
    collector: delegated ? 'oauth2-permission-grants' : 'app-role-assignments',
    raw: delegated
      ? {
          id: `${sp.slice(0, 12)}${guid(i, j, 16).slice(0, 20)}`,
          clientId: sp,
          consentType: 'Principal',
          principalId: principal,
          resourceId: GRAPH_SP_ID,
          scope: `${scope} openid profile offline_access`,
          startTime: '0001-01-01T00:00:00Z',
          expiryTime: '9999-12-31T23:59:59.9999999Z',
        }
      : {
          id: `${sp.slice(0, 12)}${guid(i, j, 16).slice(0, 20)}`,
          appRoleId: guidOfPermission(j),
          createdDateTime: day(Math.floor(rand(i, j, 15) * 700)),
          deletedDateTime: null,
          principalDisplayName: `Contoso Integration ${i}`,
          principalId: sp,
          principalType: 'ServicePrincipal',
          resourceDisplayName: 'Microsoft Graph',
          resourceId: GRAPH_SP_ID,
        },
  };
}

function spCredential(i: number, sp: string): Credential {
  const keyId = guid(i, 18);
  const cert = i % 4 === 0;
  const start = Math.floor(rand(i, 19) * 600);
  return {
    type: 'credential',
    platform: 'microsoft365',
    tenant: TENANT,
    identity: { kind: 'service-principal', nativeId: sp },
    credentialType: cert ? 'certificate' : 'client-secret',
    nativeId: keyId,
    displayName: cert ? `CN=vendor${i % 997}.example.com` : 'prod secret',
    createdAt: day(start),
    expiresAt: day(start + (cert ? 365 : 730)),
    lastUsed: null,
    enabled: true,
    attributes: { hint: null },
    collector: 'app-credentials',
    raw: cert
      ? {
          customKeyIdentifier: 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678',
          displayName: `CN=vendor${i % 997}.example.com`,
          endDateTime: day(start + 365),
          keyId,
          startDateTime: day(start),
          type: 'AsymmetricX509Cert',
          usage: 'Verify',
        }
      : {
          customKeyIdentifier: null,
          displayName: 'prod secret',
          endDateTime: day(start + 730),
          hint: 'Q~x',
          keyId,
          startDateTime: day(start),
        },
  };
}

/** The tenant's records, identity by identity, in batches of `batch`. */
export function* syntheticBatches(t: SyntheticTenant, batch = 1000): Generator<ModelRecord[]> {
  let out: ModelRecord[] = [];
  for (let i = 0; i < t.identities; i++) {
    // In a changed variant, ~1% of identities are gone and as many new ones appear.
    const gone = t.variant > 0 && rand(i, t.variant, 20) < 0.01;
    const index = gone ? t.identities + i : i;
    const sp = spIdentity(index);
    out.push(sp);
    for (let j = 0; j < t.grantsPerIdentity; j++) out.push(spGrant(index, j, t, sp.nativeId));
    if (i % t.credentialEvery === 0) out.push(spCredential(index, sp.nativeId));
    if (out.length >= batch) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

export const SYNTHETIC_COLLECTORS = [
  'service-principals',
  'app-role-assignments',
  'oauth2-permission-grants',
  'app-credentials',
];
export const SYNTHETIC_SOURCE = { connector: 'microsoft365', platform: 'microsoft365', tenant: TENANT.id };
