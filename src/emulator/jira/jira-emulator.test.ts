import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkJiraRequest } from '../../../test/conformance/jira.js';
import { exemptFromRequestConformance } from '../../../test/support/conformance.js';
import type { RecordedRequest } from '../journal.js';
import { fakeJiraApiToken, type RunningJiraEmulator, startJiraEmulator } from './server.js';

exemptFromRequestConformance(
  'the Jira emulator tests send requests Jira refuses, to check it refuses them too',
);

const EMAIL = 'bot@example.com';
const TOKEN = fakeJiraApiToken();
const auth = `Basic ${Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')}`;
const doc = (text: string) => ({
  version: 1,
  type: 'doc',
  content: [{ type: 'paragraph', content: [{ type: 'text', text }] }],
});

let jira: RunningJiraEmulator;
let dispatcher: Agent;
let now = new Date('2026-12-06T06:00:00Z');

beforeAll(async () => {
  jira = await startJiraEmulator({
    users: [{ email: EMAIL, apiToken: TOKEN, projects: ['SEC'] }],
    projects: [{ key: 'SEC' }, { key: 'OPS' }],
    maxSearchResults: 2,
    rateLimit: { requests: 1000, perSeconds: 10 },
    now: () => now,
  });
  dispatcher = new Agent({ connect: { ca: jira.caCert } });
});
afterAll(async () => {
  await jira?.close();
  await dispatcher?.close();
});

async function call(method: string, path: string, body?: unknown, authorization: string | null = auth) {
  const res = await request(`${jira.origin}${path}`, {
    method: method as 'GET',
    dispatcher,
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
  };
}

const create = (fields: Record<string, unknown>) =>
  call('POST', '/rest/api/3/issue', {
    fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'A finding', ...fields },
  });

describe('Jira emulator strictness', () => {
  it('basic auth with email + API token only: missing or wrong credentials are 401', async () => {
    expect((await call('GET', '/rest/api/3/issue/SEC-1', undefined, null)).status).toBe(401);
    const wrong = `Basic ${Buffer.from(`${EMAIL}:${fakeJiraApiToken()}`).toString('base64')}`;
    const res = await call('GET', '/rest/api/3/issue/SEC-1', undefined, wrong);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errorMessages: [expect.stringContaining('not authenticated')], errors: {} });
    expect((await call('GET', '/rest/api/3/issue/SEC-1', undefined, `Bearer ${TOKEN}`)).status).toBe(401);
  });

  it('create: 201 {id,key,self}; unknown project / issue type / priority 400 with errors by field; no access 403', async () => {
    const ok = await create({ description: doc('x'), labels: ['a'], priority: { name: 'High' } });
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({
      id: expect.any(String),
      key: expect.stringMatching(/^SEC-\d+$/),
      self: expect.stringContaining('/rest/api/3/issue/'),
    });
    const bad = await call('POST', '/rest/api/3/issue', {
      fields: { project: { key: 'NOPE' }, issuetype: { name: 'Task' }, summary: 's' },
    });
    expect(bad).toMatchObject({
      status: 400,
      body: { errorMessages: [], errors: { project: expect.any(String) } },
    });
    expect(await create({ issuetype: { name: 'Epicish' } })).toMatchObject({
      status: 400,
      body: { errors: { issuetype: expect.any(String) } },
    });
    expect(await create({ priority: { name: 'Urgent!' } })).toMatchObject({
      status: 400,
      body: { errors: { priority: expect.any(String) } },
    });
    expect(
      (
        await call('POST', '/rest/api/3/issue', {
          fields: { project: { key: 'OPS' }, issuetype: { name: 'Task' }, summary: 's' },
        })
      ).status,
    ).toBe(403);
  });

  it('rich text must be ADF; summary and labels have Jira limits', async () => {
    const plain = await create({ description: 'plain text' });
    expect(plain).toMatchObject({
      status: 400,
      body: { errors: { description: expect.stringContaining('Atlassian Document') } },
    });
    expect((await create({ description: { version: 2, type: 'doc', content: [] } })).status).toBe(400);
    expect(
      (
        await create({
          description: { version: 1, type: 'doc', content: [{ type: 'text', text: 'inline at top' }] },
        })
      ).status,
    ).toBe(400);
    expect((await create({ description: doc('') })).status).toBe(400);
    expect((await create({ summary: 'x'.repeat(256) })).status).toBe(400);
    expect((await create({ summary: 'two\nlines' })).status).toBe(400);
    expect(await create({ labels: ['has space'] })).toMatchObject({
      status: 400,
      body: { errors: { labels: expect.stringContaining('spaces') } },
    });
    expect((await create({ description: doc('y'.repeat(32_768)) })).status).toBe(400);
    expect((await create({ assignee: { accountId: 'x' } })).status).toBe(400);
  });

  it("comments need an ADF body; a deleted issue is 404 with Jira's message", async () => {
    const { body } = await create({});
    const key = body!.key as string;
    expect((await call('POST', `/rest/api/3/issue/${key}/comment`, { body: 'plain' })).status).toBe(400);
    expect((await call('POST', `/rest/api/3/issue/${key}/comment`, { body: doc('ok') })).status).toBe(201);
    jira.deleteByHand(key);
    const gone = await call('GET', `/rest/api/3/issue/${key}`);
    expect(gone).toEqual({
      status: 404,
      headers: expect.anything(),
      body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} },
    });
  });

  it('transitions: global ones to the other statuses; an id not offered is 400', async () => {
    const { body } = await create({});
    const key = body!.key as string;
    const t = await call('GET', `/rest/api/3/issue/${key}/transitions`);
    expect((t.body!.transitions as Array<{ name: string }>).map((x) => x.name)).toEqual([
      'In Progress',
      'Done',
    ]);
    expect(
      (await call('POST', `/rest/api/3/issue/${key}/transitions`, { transition: { id: '11' } })).status,
    ).toBe(400);
    expect(
      (await call('POST', `/rest/api/3/issue/${key}/transitions`, { transition: { id: '31' } })).status,
    ).toBe(204);
    const issue = await call('GET', `/rest/api/3/issue/${key}?fields=status`);
    expect(issue.body).toMatchObject({
      key,
      fields: { status: { name: 'Done', statusCategory: { key: 'done' } } },
    });
    expect(Object.keys(issue.body!.fields as object)).toEqual(['status']);
  });

  it('enhanced search: bounded JQL only, ids by default, nextPageToken paging bound to its query; old search is 410', async () => {
    for (let i = 0; i < 3; i++) await create({ labels: ['paging-test'] });
    expect((await call('GET', '/rest/api/3/search/jql?jql=')).status).toBe(400);
    expect(
      (await call('GET', `/rest/api/3/search/jql?jql=${encodeURIComponent('order by key desc')}`)).status,
    ).toBe(400);
    expect(
      (await call('GET', `/rest/api/3/search/jql?jql=${encodeURIComponent('assignee = currentUser()')}`))
        .status,
    ).toBe(400);
    const jql = encodeURIComponent('project = SEC AND labels = paging-test');
    const first = await call('GET', `/rest/api/3/search/jql?jql=${jql}`);
    expect(first.body).toMatchObject({ isLast: false, nextPageToken: expect.any(String) });
    expect(first.body!.issues).toEqual([{ id: expect.any(String) }, { id: expect.any(String) }]);
    const second = await call(
      'GET',
      `/rest/api/3/search/jql?jql=${jql}&nextPageToken=${first.body!.nextPageToken}&fields=labels`,
    );
    expect(second.body).toMatchObject({
      isLast: true,
      issues: [{ key: expect.any(String), fields: { labels: ['paging-test'] } }],
    });
    expect(second.body).not.toHaveProperty('nextPageToken');
    const other = encodeURIComponent('project = SEC');
    expect(
      (await call('GET', `/rest/api/3/search/jql?jql=${other}&nextPageToken=${first.body!.nextPageToken}`))
        .status,
    ).toBe(400);
    const old = await call('GET', `/rest/api/3/search?jql=${jql}`);
    expect(old).toMatchObject({
      status: 410,
      body: { errorMessages: [expect.stringContaining('CHANGE-2046')] },
    });
    expect(
      (await call('GET', `/rest/api/3/search/jql?jql=${encodeURIComponent('project = OPS')}`)).status,
    ).toBe(400);
  });

  it('rate limit: 429 with Retry-After, X-RateLimit-Reset and RateLimit-Reason; an outage is 503 with Retry-After', async () => {
    jira.failNext({ status: 429, times: 1, retryAfterSeconds: 7 });
    const limited = await call('GET', '/rest/api/3/issue/SEC-1');
    expect(limited.status).toBe(429);
    expect(limited.headers).toMatchObject({
      'retry-after': '7',
      'ratelimit-reason': 'jira-burst-based',
      'x-ratelimit-reset': '2026-12-06T06:00Z',
    });
    jira.outage();
    const down = await call('GET', '/rest/api/3/issue/SEC-1');
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('1');
    jira.restore();
    expect((await call('GET', '/rest/api/3/issue/SEC-1')).status).not.toBe(503);
  });

  it('the burst window refuses requests beyond its budget until the window passes', async () => {
    const small = await startJiraEmulator({
      users: [{ email: EMAIL, apiToken: TOKEN, projects: ['SEC'] }],
      projects: [{ key: 'SEC' }],
      rateLimit: { requests: 2, perSeconds: 10 },
      now: () => now,
    });
    try {
      const get = () =>
        request(`${small.origin}/rest/api/3/issue/SEC-1`, {
          dispatcher,
          headers: { authorization: auth },
        }).then(async (r) => {
          await r.body.dump();
          return r.statusCode;
        });
      expect([await get(), await get(), await get()]).toEqual([404, 404, 429]);
      now = new Date(now.getTime() + 10_000);
      expect(await get()).toBe(404);
    } finally {
      await small.close();
    }
  });
});

describe('Jira emulator control endpoints (for `grantscope emulator --jira`)', () => {
  it('lists issues, closes and deletes by hand, toggles an outage and queues faults; never journaled as API calls', async () => {
    const { body } = await create({ labels: ['control'] });
    const key = body!.key as string;
    const before = jira.totalRequests();
    const control = (method: string, path: string, payload?: unknown) => call(method, path, payload, null);
    expect((await control('POST', `/_emulator/issues/${key}/status`, { status: 'Done' })).status).toBe(204);
    const listed = (await control('GET', '/_emulator/issues')).body as unknown as Array<{
      key: string;
      status: string;
    }>;
    expect(listed.find((i) => i.key === key)).toMatchObject({ status: 'Done' });
    expect((await control('DELETE', `/_emulator/issues/${key}`)).status).toBe(204);
    expect((await control('DELETE', '/_emulator/issues/NOPE-1')).status).toBe(404);
    expect((await control('POST', '/_emulator/faults', { status: 418, times: 1 })).status).toBe(400);
    expect(jira.totalRequests()).toBe(before);
    expect((await call('GET', `/rest/api/3/issue/${key}`)).status).toBe(404);
    expect((await control('POST', '/_emulator/outage')).status).toBe(204);
    expect((await call('GET', `/rest/api/3/issue/${key}`)).status).toBe(503);
    expect((await control('DELETE', '/_emulator/outage')).status).toBe(204);
    expect(
      (await control('POST', '/_emulator/faults', { status: 429, times: 1, retryAfterSeconds: 2 })).status,
    ).toBe(204);
    const limited = await call('GET', `/rest/api/3/issue/${key}`);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('2');
  });
});

describe('Jira request conformance check (test/conformance/jira.ts)', () => {
  const record = (overrides: Partial<RecordedRequest>): RecordedRequest => ({
    platform: 'jira',
    service: 'jira',
    method: 'POST',
    path: '/rest/api/3/issue',
    pattern: '/rest/api/3/issue',
    query: [],
    headers: { authorization: 'Basic <opaque>', 'content-type': 'application/json' },
    body: {
      fields: { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 's', description: doc('x') },
    },
    status: 201,
    ...overrides,
  });

  it('accepts what Jira documents', () => {
    expect(checkJiraRequest(record({}))).toEqual([]);
    expect(
      checkJiraRequest(
        record({
          method: 'GET',
          path: '/rest/api/3/search/jql',
          query: [
            ['jql', 'project = SEC'],
            ['maxResults', '50'],
            ['fields', 'status'],
          ],
          body: null,
        }),
      ),
    ).toEqual([]);
  });

  it('flags plain-text rich text, an undocumented path or parameter, a deprecated operation, a body the schema refuses, other auth', () => {
    expect(checkJiraRequest(record({ body: { fields: { description: 'plain' } } })).join()).toContain(
      'not a valid ADF document',
    );
    expect(
      checkJiraRequest(record({ path: '/rest/api/3/issue/SEC-1/comment', body: { body: doc('') } })).join(),
    ).toContain('not a valid ADF document');
    expect(
      checkJiraRequest(record({ method: 'DELETE', path: '/rest/api/3/issue/SEC-1', body: null })).join(),
    ).toContain('documents no DELETE');
    expect(
      checkJiraRequest(
        record({
          method: 'GET',
          path: '/rest/api/3/search/jql',
          query: [
            ['jql', 'x'],
            ['startAt', '0'],
          ],
          body: null,
        }),
      ).join(),
    ).toContain('unknown query parameter startAt');
    expect(
      checkJiraRequest(
        record({
          method: 'GET',
          path: '/rest/api/3/search/jql',
          query: [
            ['jql', 'x'],
            ['maxResults', 'ten'],
          ],
          body: null,
        }),
      ).join(),
    ).toContain('not an integer');
    expect(
      checkJiraRequest(
        record({ method: 'GET', path: '/rest/api/3/search', query: [['jql', 'x']], body: null }),
      ).join(),
    ).toContain('deprecated');
    expect(
      checkJiraRequest(
        record({ method: 'POST', path: '/rest/api/3/search/jql', body: { jql: 'x', startAt: 0 } }),
      ).join(),
    ).toContain('additional properties');
    expect(
      checkJiraRequest(
        record({ headers: { authorization: 'Bearer <jwt>', 'content-type': 'application/json' } }),
      ).join(),
    ).toContain('basic auth');
  });
});
