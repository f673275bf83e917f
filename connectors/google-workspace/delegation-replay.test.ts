import { describe, expect, it } from 'vitest';
import { type AuditedChange, changesIn, type Delegation, replayDelegations } from './delegation-replay.js';
import type { Activity } from './schema.js';

const SCOPE = 'https://www.googleapis.com/auth/';
const WINDOW_START = new Date('2026-05-01T00:00:00Z');
const admin = { email: 'ana.silva@acme.example', id: '101' };

function activity(
  time: string,
  name: string,
  params: Array<{ name: string; value?: string; multiValue?: string[] }>,
  uniqueQualifier = '1',
): Activity {
  return {
    id: { time, uniqueQualifier, applicationName: 'admin', customerId: 'C03acme7x' },
    actor: { email: admin.email, profileId: admin.id },
    events: [{ type: 'DOMAIN_SETTINGS', name, parameters: params }],
  } as Activity;
}

function change(
  clientId: string,
  at: string,
  action: 'authorize' | 'remove',
  scopes: string[] = [],
  q = '1',
): AuditedChange {
  return { clientId, eventKey: `${at}|${q}|${action}|${clientId}`, at, action, by: admin, scopes };
}

function carried(
  clientId: string,
  scopes: string[],
  authorizedAt: string,
  history: Delegation['history'] = [],
): Delegation {
  return {
    clientId,
    scopes,
    authorizedAt,
    authorizedBy: admin,
    since: authorizedAt,
    history,
    carried: { scanId: 4, lastSeenInAuditLog: '2026-10-31T09:00:00.000Z' },
  };
}

describe('changesIn: delegation changes from an Admin audit activity', () => {
  it('reads API_SCOPES as a multiValue or as one comma/space separated value', () => {
    const multi = activity('2026-06-01T10:00:00.000Z', 'AUTHORIZE_API_CLIENT_ACCESS', [
      { name: 'API_CLIENT_NAME', value: '111' },
      { name: 'API_SCOPES', multiValue: [`${SCOPE}drive`, `${SCOPE}gmail.readonly`] },
    ]);
    const joined = activity('2026-06-02T10:00:00.000Z', 'AUTHORIZE_API_CLIENT_ACCESS', [
      { name: 'API_CLIENT_NAME', value: '222' },
      { name: 'API_SCOPES', value: `${SCOPE}drive, ${SCOPE}calendar ${SCOPE}gmail.readonly` },
    ]);
    expect(changesIn(multi)).toEqual([
      expect.objectContaining({
        clientId: '111',
        action: 'authorize',
        scopes: [`${SCOPE}drive`, `${SCOPE}gmail.readonly`],
      }),
    ]);
    expect(changesIn(joined)[0]!.scopes).toEqual([
      `${SCOPE}drive`,
      `${SCOPE}calendar`,
      `${SCOPE}gmail.readonly`,
    ]);
  });

  it('keeps removals (without scopes), and skips other events and events without a client', () => {
    expect(
      changesIn(
        activity('2026-06-03T10:00:00.000Z', 'REMOVE_API_CLIENT_ACCESS', [
          { name: 'API_CLIENT_NAME', value: '111' },
        ]),
      ),
    ).toEqual([expect.objectContaining({ clientId: '111', action: 'remove', scopes: [], by: admin })]);
    expect(
      changesIn(
        activity('2026-06-03T10:00:00.000Z', 'CHANGE_PASSWORD', [{ name: 'API_CLIENT_NAME', value: '1' }]),
      ),
    ).toEqual([]);
    expect(changesIn(activity('2026-06-03T10:00:00.000Z', 'REMOVE_API_CLIENT_ACCESS', []))).toEqual([]);
  });
});

describe('replayDelegations: the window replayed on the previous snapshot', () => {
  it('replays oldest first: an authorize sets the scopes, a later one replaces them, a remove ends it', () => {
    const state = replayDelegations(
      new Map(),
      [
        change('222', '2026-07-01T00:00:00.000Z', 'remove'),
        change('111', '2026-06-10T00:00:00.000Z', 'authorize', [`${SCOPE}calendar`]),
        change('111', '2026-06-01T00:00:00.000Z', 'authorize', [`${SCOPE}drive`, `${SCOPE}drive`]),
        change('222', '2026-06-05T00:00:00.000Z', 'authorize', [`${SCOPE}drive`]),
      ],
      WINDOW_START,
    );
    expect([...state.active.keys()]).toEqual(['111']);
    expect(state.active.get('111')).toMatchObject({
      scopes: [`${SCOPE}calendar`],
      authorizedAt: '2026-06-10T00:00:00.000Z',
      // First authorization since it was last removed.
      since: '2026-06-01T00:00:00.000Z',
      carried: null,
    });
    expect(state.active.get('111')!.history.map((h) => [h.at, h.action])).toEqual([
      ['2026-06-01T00:00:00.000Z', 'authorize'],
      ['2026-06-10T00:00:00.000Z', 'authorize'],
    ]);
    expect(state.removed).toEqual([{ clientId: '222', at: '2026-07-01T00:00:00.000Z' }]);
    expect(state.events).toBe(4);
  });

  it('replays an event read twice (both listings return it) once', () => {
    const authorize = change('111', '2026-06-01T00:00:00.000Z', 'authorize', [`${SCOPE}drive`]);
    const state = replayDelegations(new Map(), [authorize, { ...authorize }], WINDOW_START);
    expect(state.events).toBe(1);
    expect(state.active.get('111')!.history).toHaveLength(1);
  });

  it('carries a previous delegation without an event in the window as it was', () => {
    const before = carried('333', [`${SCOPE}gmail.readonly`], '2026-01-01T00:00:00.000Z');
    const state = replayDelegations(new Map([['333', before]]), [], WINDOW_START);
    expect(state.active.get('333')).toEqual(before);
  });

  it('ends a carried delegation removed in the window, and re-authorizes one with fresh data', () => {
    const earlier = new Map([
      ['333', carried('333', [`${SCOPE}gmail.readonly`], '2026-01-01T00:00:00.000Z')],
      ['444', carried('444', [`${SCOPE}drive`], '2026-02-01T00:00:00.000Z')],
    ]);
    const state = replayDelegations(
      earlier,
      [
        change('333', '2026-06-01T00:00:00.000Z', 'remove'),
        change('444', '2026-06-02T00:00:00.000Z', 'authorize', [`${SCOPE}drive.readonly`]),
      ],
      WINDOW_START,
    );
    expect([...state.active.keys()]).toEqual(['444']);
    expect(state.active.get('444')).toMatchObject({
      scopes: [`${SCOPE}drive.readonly`],
      authorizedAt: '2026-06-02T00:00:00.000Z',
      since: '2026-02-01T00:00:00.000Z',
      carried: null,
    });
  });

  it('keeps the history earlier scans saw before the window, and replaces the rest with the window', () => {
    const seenBefore = {
      at: '2026-01-01T00:00:00.000Z',
      action: 'authorize' as const,
      by: admin,
      scopes: [`${SCOPE}drive`],
    };
    // An event still inside the window: the window's own reading of it wins (no duplicate).
    const stillInWindow = { ...seenBefore, at: '2026-06-01T00:00:00.000Z' };
    const before = {
      ...carried('555', [`${SCOPE}drive`], stillInWindow.at),
      history: [seenBefore, stillInWindow],
    };
    const state = replayDelegations(
      new Map([['555', before]]),
      [change('555', stillInWindow.at, 'authorize', [`${SCOPE}drive`])],
      WINDOW_START,
    );
    expect(state.active.get('555')!.history.map((h) => h.at)).toEqual([seenBefore.at, stillInWindow.at]);
  });
});
