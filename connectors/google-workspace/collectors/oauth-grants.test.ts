import { describe, expect, it } from 'vitest';
import type { GrantInput, IdentityInput } from '../../../src/model/index.js';
import type { PreviousOAuthClient } from '../previous-scan.js';
import type { Token } from '../schema.js';
import { type OAuthClientInputs, oauthClientRecords } from './oauth-grants.js';
import { LAST_USE_SOURCE, pairKey, type TokenActivity } from './token-activity.js';
import { userDirectory, type WorkspaceUser } from './users.js';

/** The record builder alone: tokens per user and the token log in, oauth-client identities and grants out. */
const tenant = { id: 'C03acme7x', name: 'acme.example' };
const windowStart = new Date('2026-05-01T00:00:00Z');
const crm = '1111-crm.apps.googleusercontent.com';
const chrome = '77185425430.apps.googleusercontent.com';

function user(id: string, email: string, state: Partial<WorkspaceUser> = {}): WorkspaceUser {
  const u = { id, email, name: null, isAdmin: false, suspended: false, archived: false, ...state };
  return { ...u, active: !u.suspended && !u.archived };
}
const ana = user('1', 'ana@acme.example');
const ben = user('2', 'ben@acme.example', { suspended: true });
const users = userDirectory([ana, ben]);

const token = (clientId: string, scopes: string[]): Token => ({ clientId, displayText: 'CRM', scopes });

function activity(parts: Partial<TokenActivity> = {}): TokenActivity {
  return {
    authorizedAt: new Map(),
    lastRevokedAt: new Map(),
    earlierLastUse: new Map(),
    queried: new Set([crm]),
    lastUsed: new Map(),
    ...parts,
  };
}

function build(inputs: Partial<OAuthClientInputs>): Array<IdentityInput | GrantInput> {
  return oauthClientRecords({
    tenant,
    windowStart,
    users,
    grants: new Map([
      [ana.id, [token(crm, ['openid', 'https://www.googleapis.com/auth/drive'])]],
      [ben.id, [token(crm, ['openid'])]],
    ]),
    grantsComplete: true,
    activity: activity(),
    previous: new Map(),
    origins: { internal: new Set(), firstParty: new Set() },
    ...inputs,
  });
}
const identities = (rs: Array<IdentityInput | GrantInput>) =>
  rs.filter((r): r is IdentityInput => r.type === 'identity');
const grants = (rs: Array<IdentityInput | GrantInput>) =>
  rs.filter((r): r is GrantInput => r.type === 'grant');

describe('oauthClientRecords', () => {
  it('one identity per app with its consenting users as owners, one grant per (scope, user)', () => {
    const records = build({});
    const [app] = identities(records);
    expect(identities(records)).toHaveLength(1);
    expect(app).toMatchObject({
      kind: 'oauth-client',
      nativeId: crm,
      origin: 'third-party',
      ownersKnown: true,
      attributes: { userCount: 2, activeUserCount: 1, users: [ana.email, ben.email] },
    });
    // Active users first.
    expect(app!.owners!.map((o) => [o.name, o.active])).toEqual([
      [ana.email, true],
      [ben.email, false],
    ]);
    expect(grants(records).map((g) => [g.principal?.name, g.permission.id, g.principal?.active])).toEqual([
      [ana.email, 'openid', true],
      [ana.email, 'https://www.googleapis.com/auth/drive', true],
      [ben.email, 'openid', false],
    ]);
  });

  it("tells Google's own and the organisation's apps from third parties", () => {
    const records = build({
      grants: new Map([[ana.id, [token(chrome, ['openid']), token(crm, ['openid'])]]]),
      origins: { internal: new Set([crm]), firstParty: new Set() },
    });
    expect(identities(records).map((i) => [i.nativeId, i.origin])).toEqual([
      [crm, 'internal'],
      [chrome, 'platform'],
    ]);
  });

  it('takes grant times, first grant and last use from the token log', () => {
    const records = build({
      activity: activity({
        authorizedAt: new Map([
          [pairKey(crm, ana.id), '2026-06-01T00:00:00.000Z'],
          [pairKey(crm, ben.id), '2026-05-20T00:00:00.000Z'],
        ]),
        lastUsed: new Map([[crm, '2026-07-01T00:00:00.000Z']]),
        lastRevokedAt: new Map([[crm, '2026-05-25T00:00:00.000Z']]),
      }),
    });
    expect(identities(records)[0]).toMatchObject({
      createdAt: '2026-05-20T00:00:00.000Z',
      lastUsed: { at: '2026-07-01T00:00:00.000Z', source: LAST_USE_SOURCE },
      attributes: { lastRevokedAt: '2026-05-25T00:00:00.000Z', grantedBeforeWindow: false },
    });
    expect(grants(records).map((g) => g.grantedAt)).toEqual([
      '2026-06-01T00:00:00.000Z',
      '2026-06-01T00:00:00.000Z',
      '2026-05-20T00:00:00.000Z',
    ]);
  });

  it('without use in the window: never used since granted, or last used before the window start', () => {
    const allKnown = activity({
      authorizedAt: new Map([
        [pairKey(crm, ana.id), '2026-06-01T00:00:00.000Z'],
        [pairKey(crm, ben.id), '2026-06-01T00:00:00.000Z'],
      ]),
    });
    expect(identities(build({ activity: allKnown }))[0]!.lastUsed).toEqual({
      at: null,
      source: `${LAST_USE_SOURCE} (none since granted)`,
    });
    const older = identities(build({ activity: activity() }))[0]!;
    expect(older.createdAt).toBeNull();
    expect(older.attributes).toMatchObject({ grantedBeforeWindow: true });
    expect(older.lastUsed).toMatchObject({ at: windowStart.toISOString() });
    // What an earlier scan saw is kept rather than moved with the window's start.
    const earlier = { at: '2026-03-01T00:00:00.000Z', source: LAST_USE_SOURCE };
    expect(
      identities(build({ activity: activity({ earlierLastUse: new Map([[crm, earlier]]) }) }))[0]!.lastUsed,
    ).toEqual(earlier);
    // Not looked up: no signal.
    expect(identities(build({ activity: activity({ queried: new Set() }) }))[0]!.lastUsed).toBeNull();
  });

  it('without the token log, keeps what the previous snapshot had from it', () => {
    const before: PreviousOAuthClient = {
      createdAt: '2026-01-01T00:00:00.000Z',
      lastUsed: { at: '2026-04-01T00:00:00.000Z', source: LAST_USE_SOURCE },
      activityAttributes: { lastRevokedAt: null, grantedBeforeWindow: false },
      grantedAt: new Map([[`openid|${ana.id}`, '2026-01-01T00:00:00.000Z']]),
      grantedAtByUser: new Map([[ana.id, '2026-01-01T00:00:00.000Z']]),
    };
    const records = build({ activity: undefined, previous: new Map([[crm, before]]) });
    expect(identities(records)[0]).toMatchObject({
      createdAt: before.createdAt,
      lastUsed: before.lastUsed,
      attributes: before.activityAttributes,
    });
    expect(grants(records).map((g) => [g.principal?.name, g.permission.id, g.grantedAt])).toEqual([
      [ana.email, 'openid', '2026-01-01T00:00:00.000Z'],
      [ana.email, 'https://www.googleapis.com/auth/drive', null],
      [ben.email, 'openid', null],
    ]);
  });

  it('when some users failed: grants of those that answered, no identity of a known app, a new one with owners unknown', () => {
    const partial = new Map([[ana.id, [token(crm, ['openid'])]]]);
    const known: PreviousOAuthClient = {
      createdAt: null,
      lastUsed: null,
      activityAttributes: {},
      grantedAt: new Map(),
      grantedAtByUser: new Map(),
    };
    const kept = build({ grants: partial, grantsComplete: false, previous: new Map([[crm, known]]) });
    expect(identities(kept)).toEqual([]);
    expect(grants(kept)).toHaveLength(1);
    const fresh = build({ grants: partial, grantsComplete: false });
    expect(identities(fresh)[0]).toMatchObject({ ownersKnown: false });
  });
});
