import { describe, expect, it } from 'vitest';
import type { PreviousOAuthClient } from '../previous-scan.js';
import type { Activity } from '../schema.js';
import {
  addAuthorize,
  addRevoke,
  carryEarlierActivity,
  emptyTokenHistory,
  LAST_USE_SOURCE,
  pairKey,
} from './token-activity.js';

const app = '1111-crm.apps.googleusercontent.com';

function event(time: string, name: string, clientId: string | null, profileId = '1'): Activity {
  return {
    id: { time, uniqueQualifier: '1', applicationName: 'token', customerId: 'C03acme7x' },
    actor: { profileId },
    events: [{ name, parameters: clientId ? [{ name: 'client_id', value: clientId }] : [] }],
  } as Activity;
}

function previousApp(parts: Partial<PreviousOAuthClient>): PreviousOAuthClient {
  return {
    createdAt: null,
    lastUsed: null,
    activityAttributes: {},
    grantedAt: new Map(),
    grantedAtByUser: new Map(),
    ...parts,
  };
}

describe('token log history', () => {
  it('keeps the latest authorize per (app, user) and the latest revoke per app', () => {
    const h = emptyTokenHistory();
    for (const e of [
      event('2026-06-02T00:00:00.000Z', 'authorize', app),
      event('2026-06-01T00:00:00.000Z', 'authorize', app),
      event('2026-06-03T00:00:00.000Z', 'authorize', app, '2'),
      event('2026-06-04T00:00:00.000Z', 'authorize', null),
      event('2026-06-05T00:00:00.000Z', 'revoke', app),
    ])
      addAuthorize(h, e);
    addRevoke(h, event('2026-06-07T00:00:00.000Z', 'revoke', app));
    addRevoke(h, event('2026-06-06T00:00:00.000Z', 'revoke', app));
    addRevoke(h, event('2026-06-08T00:00:00.000Z', 'authorize', app));
    expect(Object.fromEntries(h.authorizedAt)).toEqual({
      [pairKey(app, '1')]: '2026-06-02T00:00:00.000Z',
      [pairKey(app, '2')]: '2026-06-03T00:00:00.000Z',
    });
    expect(Object.fromEntries(h.lastRevokedAt)).toEqual({ [app]: '2026-06-07T00:00:00.000Z' });
  });

  it("carries the previous scan's grant times, last revocation and last use; the window wins", () => {
    const h = emptyTokenHistory();
    addAuthorize(h, event('2026-06-02T00:00:00.000Z', 'authorize', app, '1'));
    const earlierUse = { at: '2026-02-01T00:00:00.000Z', source: LAST_USE_SOURCE };
    const kept = carryEarlierActivity(
      h,
      new Map([
        [
          app,
          previousApp({
            grantedAtByUser: new Map([
              ['1', '2026-01-01T00:00:00.000Z'],
              ['2', '2026-01-02T00:00:00.000Z'],
            ]),
            activityAttributes: { lastRevokedAt: '2026-01-15T00:00:00.000Z' },
            lastUsed: earlierUse,
          }),
        ],
        // "Not used since the window start" is an upper bound, not a time: recomputed, not carried.
        ['other', previousApp({ lastUsed: { at: null, source: `${LAST_USE_SOURCE} (none since granted)` } })],
        ['foreign', previousApp({ lastUsed: { at: '2026-02-01T00:00:00.000Z', source: 'elsewhere' } })],
      ]),
    );
    expect(kept).toBe(1);
    expect(h.authorizedAt.get(pairKey(app, '1'))).toBe('2026-06-02T00:00:00.000Z');
    expect(h.authorizedAt.get(pairKey(app, '2'))).toBe('2026-01-02T00:00:00.000Z');
    expect(h.lastRevokedAt.get(app)).toBe('2026-01-15T00:00:00.000Z');
    expect(Object.fromEntries(h.earlierLastUse)).toEqual({ [app]: earlierUse });
  });
});
