import { describe, expect, it } from 'vitest';
import type { PreviousScan, PreviousServiceAccount } from '../previous-scan.js';
import { type GcpProject, ownerRefs, serviceAccountInfo, type UserLookup } from '../records.js';
import { type ServiceAccountJoin, serviceAccountRecords } from './service-accounts.js';
import { directoryLookup, userDirectory } from './users.js';

/** The record builder alone: service accounts joined to their project's owners and to delegation. */
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
const hugo = { ...ana, id: '2', email: 'hugo@acme.example', isAdmin: false, suspended: true, active: false };
const directory = directoryLookup(userDirectory([ana, hugo]));
const sa = serviceAccountInfo({
  projectId: 'acme-it-ops',
  email: 'backup@acme-it-ops.iam.gserviceaccount.com',
  uniqueId: '111',
  oauth2ClientId: '111',
  disabled: true,
});
const project = (ownersKnown: boolean): GcpProject => ({
  projectId: 'acme-it-ops',
  number: '415',
  displayName: null,
  owners: ownersKnown ? ['user:ana@acme.example'] : [],
  ownersKnown,
});

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

const one = (join: Partial<ServiceAccountJoin>) =>
  serviceAccountRecords([sa], {
    tenant,
    projects: new Map([['acme-it-ops', project(true)]]),
    users: directory,
    delegated: new Set(['111']),
    previous: previous(),
    domain: 'acme.example',
    ...join,
  })[0]!;

describe('serviceAccountRecords', () => {
  it("owners are the project's owners; lastUsed is no signal, not never", () => {
    expect(one({})).toMatchObject({
      kind: 'service-account',
      nativeId: sa.email,
      publisher: { name: 'acme-it-ops', id: '415' },
      origin: 'internal',
      enabled: false,
      lastUsed: null,
      owners: [{ id: '1', name: 'ana@acme.example', type: 'user', active: true }],
      ownersKnown: true,
      attributes: { domainWideDelegation: true, projectNumber: '415' },
    });
  });

  it("keeps the previous owners (statuses brought up to date) when the project's policy could not be read", () => {
    const before: PreviousServiceAccount = {
      info: sa,
      projectNumber: '415',
      owners: [{ id: '2', name: 'hugo@acme.example', type: 'user', active: true }],
      ownersKnown: true,
      domainWideDelegation: false,
    };
    const kept = one({
      projects: new Map([['acme-it-ops', project(false)]]),
      previous: previous({ serviceAccounts: new Map([[sa.email, before]]) }),
    });
    expect(kept.owners).toEqual([{ id: '2', name: 'hugo@acme.example', type: 'user', active: false }]);
    expect(kept.ownersKnown).toBe(true);
    // Nothing to keep: owners unknown.
    expect(one({ projects: new Map() })).toMatchObject({
      owners: [],
      ownersKnown: false,
      publisher: { id: null },
    });
  });

  it('without the delegations: the previous flag, or whether the previous snapshot delegated its client id', () => {
    const before = {
      info: sa,
      projectNumber: '415',
      owners: [],
      ownersKnown: true,
      domainWideDelegation: false,
    };
    expect(
      one({ delegated: undefined, previous: previous({ serviceAccounts: new Map([[sa.email, before]]) }) })
        .attributes,
    ).toMatchObject({ domainWideDelegation: false });
    expect(
      one({
        delegated: undefined,
        previous: previous({ delegations: new Map([['111', { origin: 'internal', state: null }]]) }),
      }).attributes,
    ).toMatchObject({ domainWideDelegation: true });
    expect(one({ delegated: undefined, previous: previous({ scanId: null }) }).attributes).toMatchObject({
      domainWideDelegation: null,
    });
  });
});

describe('ownerRefs: IAM members as owners', () => {
  const users: UserLookup = directory;
  it('judges users of the domain, marks deleted members inactive, leaves others unknown', () => {
    expect(
      ownerRefs(
        [
          'user:ana@acme.example',
          'user:gone@acme.example',
          'user:partner@other.example',
          'deleted:user:old@acme.example?uid=123',
          'group:it@acme.example',
          'serviceAccount:ci@p.iam.gserviceaccount.com',
        ],
        users,
        'acme.example',
      ).map((o) => [o.name, o.type, o.active]),
    ).toEqual([
      ['ana@acme.example', 'user', true],
      ['gone@acme.example', 'user', false],
      ['partner@other.example', 'user', null],
      ['old@acme.example', 'user', false],
      ['it@acme.example', 'group', null],
      ['ci@p.iam.gserviceaccount.com', 'service', null],
    ]);
  });
});
