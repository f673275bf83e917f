import { describe, expect, it } from 'vitest';
import type { EmulatorLimits } from './limits.js';
import { ConnectionPool, FixedWindow, graphRequestCost, LimitsGate, TokenBucket } from './limits-gate.js';
import type { EmuRequest } from './router.js';

/** A clock the test moves by hand: no wall-clock time in these tests. */
function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const noSleep = () => Promise.resolve();

function request(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): EmuRequest {
  const u = new URL(url, 'https://emu.test');
  return {
    method,
    path: u.pathname,
    params: {},
    query: u.searchParams,
    headers,
    body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
    origin: 'https://emu.test',
  };
}

describe('quota primitives', () => {
  it('a fixed window refuses beyond its limit until the scaled window ends', () => {
    const clock = manualClock();
    const w = new FixedWindow(3, 1000, clock.now);
    expect([w.take(1), w.take(1), w.take(1), w.take(1)]).toEqual([true, true, true, false]);
    clock.advance(400);
    expect(w.msUntilReset()).toBe(600);
    clock.advance(600);
    expect(w.take(1)).toBe(true);
  });

  it('a token bucket refills at capacity per window and says when the units will be there', () => {
    const clock = manualClock();
    const b = new TokenBucket(100, 10_000, clock.now);
    expect(b.take(90)).toEqual({ ok: true });
    expect(b.usedFraction()).toBeCloseTo(0.9);
    expect(b.take(20)).toEqual({ ok: false, retryAfterMs: 1000 });
    clock.advance(1000);
    expect(b.take(20)).toEqual({ ok: true });
  });

  it('a connection pool makes requests beyond its size wait their turn', async () => {
    const pool = new ConnectionPool(2);
    const a = await pool.acquire();
    await pool.acquire();
    let third = false;
    const waiting = pool.acquire().then((r) => {
      third = true;
      return r;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    expect(pool.open).toBe(3);
    a();
    a(); // releasing twice frees one place only
    (await waiting)();
    expect(third).toBe(true);
    expect(pool.open).toBe(1);
  });
});

describe('GitHub limits', () => {
  const limits = (
    timeScale: number,
    over: Partial<NonNullable<EmulatorLimits['github']>> = {},
  ): EmulatorLimits => ({
    timeScale,
    github: {
      latencyMs: 0,
      maxConcurrent: 8,
      restPerHour: 5000,
      graphqlPointsPerHour: 5000,
      secondaryRestPointsPerMinute: 3,
      secondaryGraphqlPointsPerMinute: 2,
      ...over,
    },
  });

  it('has a response due the latency after the request got its place: the emulator work is within it', async () => {
    const clock = manualClock();
    const slept: number[] = [];
    const gate = new LimitsGate(limits(1, { latencyMs: 100 }), {
      clock: clock.now,
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    const a = await gate.admit('github', request('GET', '/api/v3/orgs/o/repos'), '/api/v3/orgs/{org}/repos');
    expect(a.respondAt).toBe(clock.now() + 100);
    clock.advance(30); // the route and the body's JSON
    await gate.due(a);
    expect(slept).toEqual([70]);
    clock.advance(200); // work that took longer than the latency: sent at once
    await gate.due(a);
    expect(slept).toEqual([70]);
    a.release();
  });

  it('refuses a 4th GET of one endpoint in a minute with the secondary-limit 403 and a scaled retry-after', async () => {
    const clock = manualClock();
    const gate = new LimitsGate(limits(60), { clock: clock.now, sleep: noSleep });
    const keys = '/api/v3/repos/{owner}/{repo}/keys';
    for (let i = 0; i < 3; i++) {
      const a = await gate.admit('github', request('GET', `/api/v3/repos/o/r${i}/keys`), keys);
      expect(a.refused).toBeUndefined();
      a.release();
    }
    // Another endpoint has its own 900 points.
    expect(
      (await gate.admit('github', request('GET', '/api/v3/orgs/o/hooks'), '/api/v3/orgs/{org}/hooks'))
        .refused,
    ).toBeUndefined();
    clock.advance(200);
    const refused = (await gate.admit('github', request('GET', '/api/v3/repos/o/x/keys'), keys)).refused;
    expect(refused?.status).toBe(403);
    expect(refused?.body).toMatchObject({ message: expect.stringMatching(/secondary rate limit/) });
    // A minute at timeScale 60 is 1 s: 800 ms of it left, reported as whole seconds.
    expect(refused?.headers?.['retry-after']).toBe('1');
    clock.advance(800);
    expect(
      (await gate.admit('github', request('GET', '/api/v3/repos/o/x/keys'), keys)).refused,
    ).toBeUndefined();
    expect(gate.stats().github?.refused).toBe(1);
  });

  it('costs a GraphQL query 1 secondary point and a mutation 5', async () => {
    const clock = manualClock();
    const gate = new LimitsGate(limits(1, { secondaryGraphqlPointsPerMinute: 5 }), {
      clock: clock.now,
      sleep: noSleep,
    });
    const q = { query: 'query { viewer { login } }' };
    const m = { query: 'mutation { addStar(input: {starrableId: "x"}) { clientMutationId } }' };
    expect(
      (await gate.admit('github', request('POST', '/api/graphql', q), '/api/graphql')).refused,
    ).toBeUndefined();
    expect(
      (await gate.admit('github', request('POST', '/api/graphql', m), '/api/graphql')).refused?.status,
    ).toBe(403);
    expect(
      (await gate.admit('github', request('POST', '/api/graphql', q), '/api/graphql')).refused,
    ).toBeUndefined();
  });

  it('refuses beyond 100 open requests at once, queued ones included', async () => {
    const gate = new LimitsGate(
      limits(1, { maxConcurrent: 1, secondaryRestPointsPerMinute: 1000, secondaryMaxConcurrent: 3 }),
      {
        sleep: noSleep,
      },
    );
    const p = '/api/v3/orgs/{org}';
    const first = await gate.admit('github', request('GET', '/api/v3/orgs/o'), p);
    const queued = [
      gate.admit('github', request('GET', '/api/v3/orgs/o'), p),
      gate.admit('github', request('GET', '/api/v3/orgs/o'), p),
    ];
    const over = await gate.admit('github', request('GET', '/api/v3/orgs/o'), p);
    expect(over.refused?.status).toBe(403);
    first.release();
    for (const q of queued) (await q).release();
  });

  it('counts the primary cost the GitHub module charged, by resource, from its x-ratelimit headers', async () => {
    const gate = new LimitsGate(
      limits(1, { secondaryRestPointsPerMinute: 100, secondaryGraphqlPointsPerMinute: 100 }),
      {
        sleep: noSleep,
      },
    );
    const rest = await gate.admit('github', request('GET', '/api/v3/orgs/o'), '/api/v3/orgs/{org}');
    rest.transform?.({
      status: 200,
      headers: { 'x-ratelimit-resource': 'core', 'x-ratelimit-remaining': '4999' },
    });
    const query = {
      query:
        'query { organization(login: "o") { repositories(first: 100) { nodes { deployKeys(first: 100) { totalCount } } } } }',
    };
    const gql = await gate.admit('github', request('POST', '/api/graphql', query), '/api/graphql');
    gql.transform?.({
      status: 200,
      headers: { 'x-ratelimit-resource': 'graphql', 'x-ratelimit-remaining': '4990' },
    });
    const spent = await gate.admit('github', request('GET', '/api/v3/orgs/o'), '/api/v3/orgs/{org}');
    spent.transform?.({
      status: 403,
      headers: { 'x-ratelimit-resource': 'core', 'x-ratelimit-remaining': '0' },
    });
    // GitHub's cost: 1 + 100 deploy-key connections = 101 requests, /100 rounded = 1.
    expect(gate.stats().github).toEqual({ requests: 3, cost: 1, graphqlCost: 1, refused: 1 });
  });

  it('does not count a 304 answer to a conditional request against the primary cost', async () => {
    const gate = new LimitsGate(limits(1, { secondaryRestPointsPerMinute: 100 }), { sleep: noSleep });
    const fresh = await gate.admit('github', request('GET', '/api/v3/orgs/o'), '/api/v3/orgs/{org}');
    fresh.transform?.({ status: 200, headers: { 'x-ratelimit-resource': 'core' } });
    const again = await gate.admit('github', request('GET', '/api/v3/orgs/o'), '/api/v3/orgs/{org}');
    again.transform?.({ status: 304, headers: { 'x-ratelimit-resource': 'core' }, notCounted: true });
    expect(gate.stats().github).toMatchObject({ requests: 2, cost: 1 });
  });
});

describe('Microsoft Graph limits', () => {
  const token = `x.${Buffer.from(JSON.stringify({ appid: 'app-1', tid: 'tenant-1' })).toString('base64url')}.y`;
  const auth = { authorization: `Bearer ${token}` };

  it('costs requests as the throttling page documents', () => {
    const q = (s: string) => new URLSearchParams(s);
    expect(graphRequestCost('GET', '/servicePrincipals', q(''))).toBe(1);
    expect(graphRequestCost('GET', '/servicePrincipals', q('$select=id&$top=999'))).toBe(1);
    expect(graphRequestCost('GET', '/applications', q(''))).toBe(2);
    expect(graphRequestCost('GET', '/applications', q('$select=id'))).toBe(1);
    expect(graphRequestCost('GET', '/applications', q('$expand=owners'))).toBe(3);
    expect(graphRequestCost('GET', '/users', q('$top=10'))).toBe(1);
    expect(graphRequestCost('GET', '/servicePrincipals/abc/appRoleAssignments', q(''))).toBe(2);
    expect(graphRequestCost('GET', '/oauth2PermissionGrants/delta', q(''))).toBe(1);
    expect(graphRequestCost('POST', '/directoryObjects/getByIds', q('$select=id'))).toBe(2);
  });

  it('charges a token bucket per 10 scaled seconds and answers 429 with the throttle headers', async () => {
    const clock = manualClock();
    const gate = new LimitsGate(
      { timeScale: 10, microsoft365: { latencyMs: 0, maxConcurrent: 8, resourceUnitsPer10s: 10 } },
      { clock: clock.now, sleep: noSleep },
    );
    const apps = () => gate.admit('microsoft365', request('GET', '/v1.0/applications', undefined, auth), '');
    const served: Array<Record<string, string> | undefined> = [];
    for (let i = 0; i < 5; i++) served.push((await apps()).headers);
    expect(served[0]).toEqual({ 'x-ms-resource-unit': '2' });
    // 10 of 10 RU spent: above 0.8 of the limit.
    expect(served[4]).toEqual({ 'x-ms-resource-unit': '2', 'x-ms-throttle-limit-percentage': '1.0' });
    const refused = (await apps()).refused;
    expect(refused?.status).toBe(429);
    expect(refused?.headers).toMatchObject({
      // 2 RU at 10 RU per 1 s (10 s / timeScale 10) = 200 ms, in whole seconds.
      'Retry-After': '1',
      'x-ms-throttle-scope': 'Tenant_Application/ReadWrite/app-1/tenant-1',
      'x-ms-throttle-information': 'ResourceUnitLimitExceeded',
    });
    expect(refused?.body).toMatchObject({ error: { code: 'TooManyRequests' } });
    clock.advance(200);
    expect((await apps()).refused).toBeUndefined();
    expect(gate.stats().microsoft365).toEqual({ requests: 7, cost: 12, refused: 1 });
  });

  it('costs the inner requests of a $batch one by one and throttles only those beyond the bucket', async () => {
    const gate = new LimitsGate(
      { timeScale: 1, microsoft365: { latencyMs: 0, maxConcurrent: 8, resourceUnitsPer10s: 5 } },
      { clock: manualClock().now, sleep: noSleep },
    );
    const requests = [1, 2, 3].map((i) => ({
      id: String(i),
      method: 'GET',
      url: `/servicePrincipals/sp${i}/appRoleAssignments`,
    }));
    const a = await gate.admit('microsoft365', request('POST', '/v1.0/$batch', { requests }, auth), '');
    expect(a.refused).toBeUndefined();
    const out = a.transform!({
      status: 200,
      body: { responses: requests.map((r) => ({ id: r.id, status: 200, headers: {}, body: { value: [] } })) },
    });
    const inner = (
      out.body as { responses: Array<{ id: string; status: number; headers: Record<string, string> }> }
    ).responses;
    expect(inner.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(inner[0]!.headers['x-ms-resource-unit']).toBe('2');
    expect(inner[2]!.headers['Retry-After']).toBeDefined();
    expect(gate.stats().microsoft365).toMatchObject({ requests: 1, cost: 4, refused: 1 });
  });
});

describe('Google Workspace limits', () => {
  it('refuses Directory queries beyond the per-minute quota with 403 userRateLimitExceeded', async () => {
    const clock = manualClock();
    const gate = new LimitsGate(
      { timeScale: 60, googleWorkspace: { latencyMs: 0, maxConcurrent: 8, directoryQueriesPerMinute: 2 } },
      { clock: clock.now, sleep: noSleep },
    );
    const tokens = () =>
      gate.admit('google-workspace', request('GET', '/admin/directory/v1/users/u/tokens'), '');
    expect((await tokens()).refused).toBeUndefined();
    expect((await tokens()).refused).toBeUndefined();
    // Reports and token requests are not Directory queries.
    expect(
      (
        await gate.admit(
          'google-workspace',
          request('GET', '/admin/reports/v1/activity/users/all/applications/token'),
          '',
        )
      ).refused,
    ).toBeUndefined();
    const refused = (await tokens()).refused;
    expect(refused?.status).toBe(403);
    expect(refused?.body).toMatchObject({
      error: { code: 403, errors: [{ domain: 'usageLimits', reason: 'userRateLimitExceeded' }] },
    });
    clock.advance(1000); // a minute at timeScale 60
    expect((await tokens()).refused).toBeUndefined();
    expect(gate.stats()['google-workspace']).toEqual({ requests: 5, cost: 3, refused: 1 });
  });
});
