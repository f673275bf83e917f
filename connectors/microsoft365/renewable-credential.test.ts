import type { AccessToken, TokenCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { RenewableCredential } from './auth.js';

/**
 * The Graph SDK asks the credential for a token on every request: the renewable credential hands
 * the last one out again while MSAL would (not in its last five minutes, not past its refresh time),
 * and asks MSAL again after a renewal, for a challenge's claims, and for a token about to expire.
 */
function counting(lifetimeMs: number, extra: Partial<AccessToken> = {}) {
  const asked: Array<{ scopes: string | string[]; claims?: string }> = [];
  const credential: TokenCredential = {
    getToken: async (scopes, options) => {
      asked.push({ scopes, ...(options?.claims ? { claims: options.claims } : {}) });
      return { token: `t${asked.length}`, expiresOnTimestamp: Date.now() + lifetimeMs, ...extra };
    },
  };
  return { asked, credential };
}

const SCOPE = 'https://graph.microsoft.com/.default';

describe('RenewableCredential', () => {
  it('asks MSAL once for many requests while the token is fresh', async () => {
    const { asked, credential } = counting(3600_000);
    const c = new RenewableCredential(() => credential);
    const tokens = [];
    for (let n = 0; n < 5; n++) tokens.push((await c.getToken([SCOPE]))?.token);
    expect(tokens).toEqual(['t1', 't1', 't1', 't1', 't1']);
    expect(asked).toHaveLength(1);
  });

  it('asks again after a renewal (a token Graph refused is never handed out again)', async () => {
    const { asked, credential } = counting(3600_000);
    const c = new RenewableCredential(() => credential);
    await c.getToken([SCOPE]);
    c.renew(c.generation);
    expect((await c.getToken([SCOPE]))?.token).toBe('t2');
    expect(asked).toHaveLength(2);
  });

  it('asks again for a token in its last five minutes, past its refresh time, or with claims', async () => {
    const short = counting(4 * 60_000);
    const c1 = new RenewableCredential(() => short.credential);
    await c1.getToken([SCOPE]);
    await c1.getToken([SCOPE]);
    expect(short.asked).toHaveLength(2);

    const refresh = counting(3600_000, { refreshAfterTimestamp: Date.now() - 1 });
    const c2 = new RenewableCredential(() => refresh.credential);
    await c2.getToken([SCOPE]);
    await c2.getToken([SCOPE]);
    expect(refresh.asked).toHaveLength(2);

    const fresh = counting(3600_000);
    const c3 = new RenewableCredential(() => fresh.credential);
    await c3.getToken([SCOPE]);
    await c3.getToken([SCOPE], { claims: '{"access_token":{"nbf":{"essential":true}}}' });
    expect(fresh.asked.map((a) => a.claims ?? null)).toEqual([
      null,
      '{"access_token":{"nbf":{"essential":true}}}',
    ]);
  });
});
