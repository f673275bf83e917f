import {
  Credential,
  type CredentialInput,
  Grant,
  type GrantInput,
  Identity,
  type IdentityInput,
  type PrincipalRef,
} from '../../src/model/index.js';
import type { IdentityBundle } from '../../src/store/store.js';

/** Builders of valid model records for tests: realistic defaults, any field overridable. */

export const TENANT = { id: 'acme', name: 'Acme Corp' };

export function identity(overrides: Partial<IdentityInput> = {}): Identity {
  return Identity.parse({
    type: 'identity',
    platform: 'github',
    tenant: TENANT,
    kind: 'github-app-installation',
    nativeId: '1001',
    displayName: 'Acme CI',
    publisher: { name: 'Acme Tools Inc', id: 'acme-tools', verified: true },
    origin: 'third-party',
    createdAt: '2026-01-10T00:00:00Z',
    enabled: true,
    lastUsed: { at: '2026-11-20T00:00:00Z', source: 'test:last-used' },
    owners: [{ id: 'alice', name: 'Alice', type: 'user', active: true }],
    manageUrl: 'https://github.example/organizations/acme/settings/installations/1001',
    collector: 'app-installations',
    ...overrides,
  });
}

export function grant(overrides: Partial<GrantInput> & { access?: 'read' | 'write' | 'admin' } = {}): Grant {
  const { access, ...rest } = overrides;
  return Grant.parse({
    type: 'grant',
    platform: 'github',
    tenant: TENANT,
    identity: { kind: 'github-app-installation', nativeId: '1001' },
    permission: { id: 'contents', name: 'contents', nativeLevel: access ?? 'read', access: access ?? 'read' },
    target: { breadth: 'selected', type: 'repository', resources: ['acme/api', 'acme/web'], count: 2 },
    grantedVia: 'installation',
    risk: { tier: 'medium', reason: 'read source', source: 'catalog:github/contents:read' },
    collector: 'app-installations',
    ...rest,
  });
}

export function credential(overrides: Partial<CredentialInput> = {}): Credential {
  return Credential.parse({
    type: 'credential',
    platform: 'microsoft365',
    tenant: { id: 'tenant-1', name: 'contoso.example' },
    identity: { kind: 'service-principal', nativeId: 'sp-1' },
    credentialType: 'client-secret',
    nativeId: 'key-1',
    displayName: 'deploy secret',
    createdAt: '2026-06-01T00:00:00Z',
    expiresAt: '2026-11-28T00:00:00Z',
    collector: 'app-credentials',
    ...overrides,
  });
}

export function owner(id: string, active: boolean | null = true): PrincipalRef {
  return { id, name: id, type: 'user', active };
}

/** A date `days` before (negative: after) `asOf`, as an ISO timestamp. */
export function daysBefore(asOf: Date, days: number): string {
  return new Date(asOf.getTime() - days * 86_400_000).toISOString();
}

/** An identity bundle as `SnapshotStore.readSnapshot` yields it. */
export function bundle(
  id: Identity | null,
  grants: Grant[] = [],
  credentials: Credential[] = [],
  ref: { platform: string; tenant: string; kind: string; nativeId: string } = {
    platform: 'github',
    tenant: 'acme',
    kind: 'github-app-installation',
    nativeId: '1001',
  },
): IdentityBundle {
  const r = id ?? grants[0] ?? credentials[0];
  const platform = id?.platform ?? r?.platform ?? ref.platform;
  const tenant = id?.tenant.id ?? r?.tenant.id ?? ref.tenant;
  const idRef = id ?? grants[0]?.identity ?? credentials[0]?.identity ?? ref;
  return {
    source: `${platform}:${tenant}`,
    identityKey: `${idRef.kind}:${idRef.nativeId}`,
    identity: id,
    grants,
    credentials,
  };
}
