import { describe, expect, it } from 'vitest';
import type { PreviousSnapshot } from '../../src/connector/context.js';
import { Grant, Identity, type ModelRecordInput } from '../../src/model/index.js';
import type { IdentityBundle } from '../../src/store/store.js';
import { delegationRecords } from './collectors/domain-wide-delegation.js';
import { oauthClientRecords } from './collectors/oauth-grants.js';
import { serviceAccountRecords } from './collectors/service-accounts.js';
import { pairKey } from './collectors/token-activity.js';
import { directoryLookup, userDirectory } from './collectors/users.js';
import type { Delegation } from './delegation-replay.js';
import { readPreviousScan } from './previous-scan.js';
import { type GcpProject, serviceAccountInfo } from './records.js';

/**
 * What the connector stores, it reads back: records built by the collectors' record builders, stored as
 * the engine stores them (parsed model records, bundled per identity), read as the next scan's previous
 * snapshot.
 */
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
const ben = { ...ana, id: '2', email: 'ben@acme.example', isAdmin: false, suspended: true, active: false };
const directory = userDirectory([ana, ben]);
const sa = serviceAccountInfo({
  projectId: 'acme-it-ops',
  email: 'backup@acme-it-ops.iam.gserviceaccount.com',
  uniqueId: '111',
  displayName: 'Backup',
});
const project: GcpProject = {
  projectId: 'acme-it-ops',
  number: '415',
  displayName: null,
  owners: ['user:ben@acme.example'],
  ownersKnown: true,
};
const crm = '1111-crm.apps.googleusercontent.com';
const SCANNED_AT = '2026-10-31T09:00:00.000Z';

const visible: Delegation = {
  clientId: '111',
  scopes: [`${SCOPE}gmail.readonly`],
  authorizedAt: '2026-06-01T00:00:00.000Z',
  authorizedBy: { email: 'ana@acme.example', id: '1' },
  since: '2026-05-01T00:00:00.000Z',
  history: [
    {
      at: '2026-06-01T00:00:00.000Z',
      action: 'authorize',
      by: { email: 'ana@acme.example', id: '1' },
      scopes: [`${SCOPE}gmail.readonly`],
    },
  ],
  carried: null,
};
const carried: Delegation = {
  ...visible,
  clientId: '222',
  history: [],
  carried: { scanId: 2, lastSeenInAuditLog: '2026-03-01T00:00:00.000Z' },
};

function stored(): PreviousSnapshot & { asked: Array<string[] | undefined> } {
  const previous = {
    scanId: 7,
    scannedAt: SCANNED_AT,
    users: { complete: false, byId: () => undefined, byEmail: () => undefined },
    serviceAccounts: new Map(),
    serviceAccountsByClientId: new Map(),
    delegations: new Map(),
    oauthClients: new Map(),
    tokensByUser: new Map(),
  };
  const users = directoryLookup(directory);
  const records: ModelRecordInput[] = [
    ...delegationRecords(
      { active: new Map([visible, carried].map((d) => [d.clientId, d])), removed: [], events: 1 },
      {
        tenant,
        users,
        accountsByClientId: new Map([[sa.oauth2ClientId, sa]]),
        accountsComplete: true,
        projects: new Map([[project.projectId, project]]),
        previous,
        scannerClientId: null,
        domain: 'acme.example',
      },
    ),
    ...serviceAccountRecords([sa], {
      tenant,
      projects: new Map([[project.projectId, project]]),
      users,
      delegated: new Set(['111', '222']),
      previous,
      domain: 'acme.example',
    }),
    // Owners this scan could not judge (users unknown): not taken as known by the next scan.
    ...serviceAccountRecords(
      [
        serviceAccountInfo({
          projectId: 'acme-legacy',
          email: 'cron@acme-legacy.iam.gserviceaccount.com',
          uniqueId: '333',
        }),
      ],
      {
        tenant,
        projects: new Map([
          ['acme-legacy', { ...project, projectId: 'acme-legacy', owners: ['user:carl@acme.example'] }],
        ]),
        users: previous.users,
        delegated: new Set(),
        previous,
        domain: 'acme.example',
      },
    ),
    ...oauthClientRecords({
      tenant,
      windowStart: new Date('2026-05-01T00:00:00Z'),
      users: directory,
      grants: new Map([[ana.id, [{ clientId: crm, scopes: ['openid', `${SCOPE}drive`] }]]]),
      grantsComplete: true,
      activity: {
        authorizedAt: new Map([[pairKey(crm, ana.id), '2026-06-01T00:00:00.000Z']]),
        lastRevokedAt: new Map([[crm, '2026-05-20T00:00:00.000Z']]),
        earlierLastUse: new Map(),
        queried: new Set([crm]),
        lastUsed: new Map([[crm, '2026-07-01T00:00:00.000Z']]),
      },
      previous: new Map(),
      origins: { internal: new Set(), firstParty: new Set() },
    }),
  ];
  const identities = records.filter((r) => r.type === 'identity').map((r) => Identity.parse(r));
  const grants = records.filter((r) => r.type === 'grant').map((r) => Grant.parse(r));
  const asked: Array<string[] | undefined> = [];
  return {
    scanId: 7,
    scannedAt: SCANNED_AT,
    asked,
    async *bundles(filter) {
      asked.push(filter?.kinds);
      for (const identity of identities) {
        if (filter?.kinds && !filter.kinds.includes(identity.kind)) continue;
        const bundle: IdentityBundle = {
          source: `google-workspace:${tenant.id}`,
          identityKey: `${identity.kind}:${identity.nativeId}`,
          identity,
          grants: grants.filter(
            (g) => g.identity.kind === identity.kind && g.identity.nativeId === identity.nativeId,
          ),
          credentials: [],
        };
        yield bundle;
      }
    },
  };
}

describe('readPreviousScan: the records this connector stored, read back', () => {
  it('reads nothing on a first scan', async () => {
    const snapshot = { ...stored(), scanId: null };
    const previous = await readPreviousScan(snapshot);
    expect(snapshot.asked).toEqual([]);
    expect(previous).toMatchObject({ scanId: null, delegations: new Map(), oauthClients: new Map() });
  });

  it('reads apps, delegations and service accounts in one pass', async () => {
    const snapshot = stored();
    await readPreviousScan(snapshot);
    expect(snapshot.asked).toEqual([['oauth-client', 'domain-wide-delegation', 'service-account']]);
  });

  it("gives back each delegation as the replay's starting point, carried from the scan read or from where it already was", async () => {
    const previous = await readPreviousScan(stored());
    expect(previous.delegations.get('111')).toEqual({
      origin: 'internal',
      state: {
        ...visible,
        // Stored by email only.
        history: visible.history.map((h) => ({ ...h, by: { email: h.by.email, id: null } })),
        carried: { scanId: 7, lastSeenInAuditLog: SCANNED_AT },
      },
    });
    expect(previous.delegations.get('222')!.state!.carried).toEqual(carried.carried);
  });

  it("gives back a service account's project side and delegation flag", async () => {
    const previous = await readPreviousScan(stored());
    const before = previous.serviceAccounts.get(sa.email)!;
    expect(before).toMatchObject({
      info: sa,
      projectNumber: '415',
      owners: [{ id: '2', name: 'ben@acme.example', type: 'user', active: false }],
      ownersKnown: true,
      domainWideDelegation: true,
    });
    expect(previous.serviceAccountsByClientId.get('111')).toBe(before);
  });

  it('knows the users the delegations and service accounts named, as they were judged', async () => {
    const previous = await readPreviousScan(stored());
    expect(previous.users.complete).toBe(false);
    expect(previous.users.byId('1')).toEqual({ id: '1', email: 'ana@acme.example', active: true });
    expect(previous.users.byEmail('BEN@acme.example')).toEqual({
      id: '2',
      email: 'ben@acme.example',
      active: false,
    });
    expect(previous.serviceAccounts.get('cron@acme-legacy.iam.gserviceaccount.com')).toMatchObject({
      owners: [{ name: 'carl@acme.example', active: null }],
      ownersKnown: false,
    });
    expect(previous.users.byEmail('carl@acme.example')).toBeUndefined();
  });

  it("gives back an app's fields from the token log and each grant's time", async () => {
    const app = (await readPreviousScan(stored())).oauthClients.get(crm)!;
    expect(app).toMatchObject({
      createdAt: '2026-06-01T00:00:00.000Z',
      lastUsed: { at: '2026-07-01T00:00:00.000Z' },
      activityAttributes: { lastRevokedAt: '2026-05-20T00:00:00.000Z', grantedBeforeWindow: false },
    });
    expect(Object.fromEntries(app.grantedAt)).toEqual({
      [`openid|${ana.id}`]: '2026-06-01T00:00:00.000Z',
      [`${SCOPE}drive|${ana.id}`]: '2026-06-01T00:00:00.000Z',
    });
    expect(Object.fromEntries(app.grantedAtByUser)).toEqual({ [ana.id]: '2026-06-01T00:00:00.000Z' });
  });
});

describe('readPreviousScan: the tokens behind the stored grants', () => {
  it("gives back each user's token once, however many scopes it granted, in the same pass", async () => {
    const snapshot = stored();
    const previous = await readPreviousScan(snapshot);
    expect(snapshot.asked).toHaveLength(1);
    expect(previous.tokensByUser?.get(ana.id)).toEqual([
      { clientId: crm, scopes: ['openid', `${SCOPE}drive`] },
    ]);
    expect(previous.tokensByUser?.size).toBe(1);
  });

  it('gives back no tokens when a stored grant does not read back as one', async () => {
    const snapshot = stored();
    const bundles = snapshot.bundles.bind(snapshot);
    snapshot.bundles = async function* (filter) {
      for await (const b of bundles(filter))
        yield {
          ...b,
          grants: b.grants.map((g) => (g.collector === 'oauth-grants' ? { ...g, raw: null } : g)),
        };
    };
    expect((await readPreviousScan(snapshot)).tokensByUser).toBeNull();
  });
});
