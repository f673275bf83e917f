import { describe, expect, it } from 'vitest';
import type { GrantInput, IdentityInput } from '../../../src/model/index.js';
import type { Delegation, DelegationState } from '../delegation-replay.js';
import type { PreviousScan, PreviousServiceAccount } from '../previous-scan.js';
import { type GcpProject, serviceAccountInfo, type UserLookup } from '../records.js';
import { type DelegationJoin, delegationRecords } from './domain-wide-delegation.js';
import { directoryLookup, userDirectory } from './users.js';

/** The record builder alone: the replayed delegations joined to service accounts, projects and users. */
const SCOPE = 'https://www.googleapis.com/auth/';
const tenant = { id: 'C03acme7x', name: 'acme.example' };
const ana = {
  id: '1',
  email: 'ana@acme.example',
  name: null,
  isAdmin: true,
  suspended: false,
  archived: false,
  active: true,
};
const directory = directoryLookup(userDirectory([ana]));
const backup = serviceAccountInfo({
  projectId: 'acme-it-ops',
  email: 'backup@acme-it-ops.iam.gserviceaccount.com',
  uniqueId: '111',
  displayName: 'Backup',
});
const project: GcpProject = {
  projectId: 'acme-it-ops',
  number: '415',
  displayName: null,
  owners: ['user:ana@acme.example', 'group:it@acme.example'],
  ownersKnown: true,
};

function delegation(clientId: string, carried = false): Delegation {
  return {
    clientId,
    scopes: [`${SCOPE}gmail.readonly`, `${SCOPE}drive`],
    authorizedAt: '2026-06-01T00:00:00.000Z',
    authorizedBy: { email: 'ana@acme.example', id: '1' },
    since: '2026-05-01T00:00:00.000Z',
    history: [],
    carried: carried ? { scanId: 3, lastSeenInAuditLog: '2026-04-01T00:00:00.000Z' } : null,
  };
}

function previous(parts: Partial<PreviousScan> = {}): PreviousScan {
  return {
    scanId: 3,
    scannedAt: '2026-10-31T00:00:00.000Z',
    users: { complete: false, byId: () => undefined, byEmail: () => undefined },
    serviceAccounts: new Map(),
    serviceAccountsByClientId: new Map(),
    delegations: new Map(),
    oauthClients: new Map(),
    tokensByUser: new Map(),
    ...parts,
  };
}

function build(delegations: Delegation[], join: Partial<DelegationJoin> = {}) {
  const state: DelegationState = {
    active: new Map(delegations.map((d) => [d.clientId, d])),
    removed: [],
    events: 0,
  };
  const records = delegationRecords(state, {
    tenant,
    users: directory,
    accountsByClientId: new Map([[backup.oauth2ClientId, backup]]),
    accountsComplete: true,
    projects: new Map([[project.projectId, project]]),
    previous: previous(),
    scannerClientId: '999',
    domain: 'acme.example',
    ...join,
  });
  return {
    identity: (id: string) =>
      records.find((r): r is IdentityInput => r.type === 'identity' && r.nativeId === id)!,
    grants: (id: string) =>
      records.filter((r): r is GrantInput => r.type === 'grant' && r.identity.nativeId === id),
  };
}

describe('delegationRecords', () => {
  it("joins a delegation to our service account: its name, project, and the project's owners", () => {
    const r = build([delegation('111')]);
    expect(r.identity('111')).toMatchObject({
      displayName: 'Backup',
      publisher: { name: 'acme-it-ops', id: '415' },
      origin: 'internal',
      enabled: true,
      createdAt: '2026-05-01T00:00:00.000Z',
      ownersKnown: true,
      attributes: {
        serviceAccount: backup.email,
        scopes: [`${SCOPE}drive`, `${SCOPE}gmail.readonly`],
        visibleInAuditLog: true,
        visibleInAuditLogUntil: '2026-11-28T00:00:00.000Z',
      },
    });
    // The authorizing admin once, then the other project owners.
    expect(r.identity('111').owners!.map((o) => [o.id, o.type, o.active])).toEqual([
      ['1', 'user', true],
      ['group:it@acme.example', 'group', null],
    ]);
  });

  it('grants every scope to the whole domain, without a user count', () => {
    const grants = build([delegation('111')]).grants('111');
    expect(grants.map((g) => g.permission.id)).toEqual([`${SCOPE}gmail.readonly`, `${SCOPE}drive`]);
    expect(grants[0]).toMatchObject({
      target: { breadth: 'tenant', type: 'domain', id: tenant.id, count: null },
      grantedVia: 'delegation',
      grantedAt: '2026-06-01T00:00:00.000Z',
      grantedBy: { name: 'ana@acme.example', active: true },
    });
  });

  it("someone else's client is third-party; the scanner's own is internal", () => {
    const r = build([delegation('222'), delegation('999')]);
    expect(r.identity('222')).toMatchObject({
      origin: 'third-party',
      displayName: 'API client 222',
      enabled: null,
    });
    expect(r.identity('999')).toMatchObject({ origin: 'internal', attributes: { isScanner: true } });
  });

  it('when the service accounts could not all be listed: the previous join and origin stay', () => {
    const before: PreviousServiceAccount = {
      info: backup,
      projectNumber: '415',
      owners: [{ id: 'old-owner@acme.example', name: 'old-owner@acme.example', type: 'user', active: true }],
      ownersKnown: true,
      domainWideDelegation: true,
    };
    const r = build([delegation('111'), delegation('222'), delegation('333')], {
      accountsByClientId: new Map(),
      accountsComplete: false,
      projects: new Map(),
      previous: previous({
        serviceAccounts: new Map([[backup.email, before]]),
        serviceAccountsByClientId: new Map([[backup.oauth2ClientId, before]]),
        delegations: new Map([['222', { origin: 'third-party', state: null }]]),
      }),
    });
    expect(r.identity('111')).toMatchObject({
      displayName: 'Backup',
      origin: 'internal',
      publisher: { id: '415' },
      ownersKnown: true,
    });
    expect(r.identity('111').owners!.map((o) => o.id)).toEqual(['1', 'old-owner@acme.example']);
    expect(r.identity('222').origin).toBe('third-party');
    expect(r.identity('333').origin).toBe('unknown');
  });

  it('marks a carried delegation as such, with where it was last seen', () => {
    expect(build([delegation('222', true)]).identity('222').attributes).toMatchObject({
      visibleInAuditLog: false,
      lastSeenInAuditLog: '2026-04-01T00:00:00.000Z',
      carriedFromScan: 3,
    });
  });

  it('judges the authorizing admin against the users it has: deleted when the directory is complete, else unknown', () => {
    const nobody: UserLookup = { complete: true, byId: () => undefined, byEmail: () => undefined };
    expect(build([delegation('222')], { users: nobody }).identity('222').owners![0]).toMatchObject({
      active: false,
    });
    const unknown = build([delegation('222')], { users: { ...nobody, complete: false } }).identity('222');
    expect(unknown.owners![0]).toMatchObject({ active: null });
    expect(unknown.ownersKnown).toBe(false);
  });
});
