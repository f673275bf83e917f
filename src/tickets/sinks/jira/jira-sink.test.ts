import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  type EmulatedIssue,
  fakeJiraApiToken,
  type RunningJiraEmulator,
  startJiraEmulator,
} from '@grantscope/emulator';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CredentialSourceError } from '../../../errors.js';
import type { TicketContent, TicketDocument } from '../../sink.js';
import { TicketSinkError } from '../../sink.js';
import { toAdf } from './adf.js';
import {
  createJiraSink,
  createJiraSinkFromSettings,
  type JiraSink,
  JiraSinkSettings,
  jiraSinkType,
  keyLabel,
} from './index.js';

const adfSchema = (() => {
  const { $schema: _draft, ...schema } = JSON.parse(
    readFileSync(
      new URL('../../../../test/conformance/jira-openapi/adf-full.schema.json', import.meta.url),
      'utf8',
    ),
  ) as Record<string, unknown>;
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
})();

const EMAIL = 'grantscope-bot@example.com';
const TOKEN = fakeJiraApiToken();

let jira: RunningJiraEmulator;
let waits: number[];

beforeAll(async () => {
  jira = await startJiraEmulator({
    users: [
      { email: EMAIL, apiToken: TOKEN, projects: ['SEC'] },
      { email: 'other@example.com', apiToken: fakeJiraApiToken(), projects: ['OPS'] },
    ],
    projects: [{ key: 'SEC' }, { key: 'OPS' }],
    maxSearchResults: 1,
  });
});
afterAll(async () => {
  await jira?.close();
});
beforeEach(() => {
  waits = [];
  jira.restore();
});

function sink(overrides: Partial<Parameters<typeof createJiraSink>[0]> = {}): JiraSink {
  return createJiraSink(
    {
      name: 'security-jira',
      baseUrl: jira.origin,
      email: EMAIL,
      apiToken: TOKEN,
      project: 'SEC',
      issueType: 'Task',
      labels: ['grantscope'],
      priorities: { critical: 'Highest', high: 'High', medium: 'Medium', low: 'Low' },
      transitions: { close: 'Done', reopen: 'To Do' },
      ...overrides,
    },
    {
      ca: jira.caCert,
      sleep: async (ms) => {
        waits.push(ms);
      },
    },
  );
}

let keys = 0;
function content(overrides: Partial<TicketContent> = {}): TicketContent {
  keys += 1;
  return {
    title: 'GitHub App "acme-ci" can write to 12 repositories',
    body: {
      blocks: [
        { kind: 'heading', text: 'What we found' },
        {
          kind: 'paragraph',
          text: 'The app holds contents: write on every repository.\nIt was installed in 2024.',
        },
        { kind: 'bullets', items: ['contents: write', 'metadata: read'] },
        {
          kind: 'facts',
          rows: [
            { label: 'Identity', value: 'acme-ci (GitHub App 123)' },
            { label: 'Owner', value: 'platform-team' },
          ],
        },
        {
          kind: 'link',
          text: 'Manage the installation',
          url: 'https://github.com/organizations/acme/settings/installations/1',
        },
        { kind: 'code', text: 'fingerprint: 9f2c…' },
      ],
    },
    severity: 'high',
    labels: ['rule:gh-app-broad-write'],
    key: `fp-${keys}-${Math.random().toString(16).slice(2)}`,
    fingerprints: ['9f2c'],
    ...overrides,
  };
}

const note = (text: string): TicketDocument => ({ blocks: [{ kind: 'paragraph', text }] });
const issueOf = (key: string): EmulatedIssue => {
  const issue = jira.issue(key);
  if (!issue) throw new Error(`no issue ${key}`);
  return issue;
};

describe('Jira sink against the Jira emulator (jira.js over HTTPS)', () => {
  it('opens an issue: valid ADF description, labels with the key label, priority from severity', async () => {
    const c = content({ severity: 'critical' });
    const ref = await sink().open(c);
    expect(ref.id).toMatch(/^SEC-\d+$/);
    expect(ref.url).toBe(`${jira.origin}/browse/${ref.id}`);
    const issue = issueOf(ref.id);
    expect(issue.summary).toBe(c.title);
    expect(issue.issueType).toBe('Task');
    expect(issue.priority).toBe('Highest');
    expect(issue.labels).toEqual([
      'grantscope',
      'rule:gh-app-broad-write',
      'grantscope-sink-security-jira',
      keyLabel(c.key),
    ]);
    expect(adfSchema(issue.description), JSON.stringify(adfSchema.errors)).toBe(true);
    const text = JSON.stringify(issue.description);
    expect(text).toContain('"type":"table"');
    expect(text).toContain('"type":"bulletList"');
    expect(text).toContain('"type":"codeBlock"');
    expect(text).toContain(
      '{"type":"link","attrs":{"href":"https://github.com/organizations/acme/settings/installations/1"}}',
    );
    expect(text).toContain('{"type":"hardBreak"}');
    expect(issue.status.name).toBe('To Do');
  });

  it('a severity without a mapped priority leaves the project default', async () => {
    const ref = await sink({ priorities: { critical: 'Highest' } }).open(content({ severity: 'low' }));
    expect(issueOf(ref.id).priority).toBe('Medium');
  });

  it('opening the same key again while its issue is open returns that issue (no duplicate)', async () => {
    const c = content();
    const s = sink();
    const first = await s.open(c);
    const second = await s.open({ ...c, title: 'changed title' });
    expect(second.id).toBe(first.id);
    expect(jira.issues().filter((i) => i.labels.includes(keyLabel(c.key)))).toHaveLength(1);
  });

  it('comments, closes by the "Done" transition with a comment, reopens by "To Do", reads the state', async () => {
    const s = sink();
    const ref = await s.open(content());
    expect(await s.state(ref)).toBe('open');

    await s.comment(ref, note('Severity changed: medium → high'));
    expect(issueOf(ref.id).comments).toHaveLength(1);

    await s.close(ref, note('Resolved: the installation was removed (complete scan of 2026-12-06).'));
    expect(issueOf(ref.id).status.name).toBe('Done');
    expect(JSON.stringify(issueOf(ref.id).comments.at(-1)?.body)).toContain('the installation was removed');
    expect(await s.state(ref)).toBe('closed');

    await s.reopen(ref, note('The finding is back.'));
    expect(issueOf(ref.id).status.name).toBe('To Do');
    expect(await s.state(ref)).toBe('open');
    expect(issueOf(ref.id).comments).toHaveLength(3);
    for (const c of issueOf(ref.id).comments) expect(adfSchema(c.body)).toBe(true);
  });

  it('closing an issue already closed (a retry after a failed comment) comments without transitioning again', async () => {
    const s = sink();
    const ref = await s.open(content());
    await s.close(ref, note('first'));
    const before = jira.requests.get('POST /rest/api/3/issue/{issueIdOrKey}/transitions') ?? 0;
    await s.close(ref, note('again'));
    expect(jira.requests.get('POST /rest/api/3/issue/{issueIdOrKey}/transitions') ?? 0).toBe(before);
    expect(issueOf(ref.id).status.name).toBe('Done');
  });

  it('a transition name the workflow does not offer fails with the names it does offer', async () => {
    const s = sink({ transitions: { close: 'Resolve Issue', reopen: 'To Do' } });
    const ref = await s.open(content());
    const err = await s.close(ref, note('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TicketSinkError);
    expect((err as TicketSinkError).operation).toBe('close');
    expect((err as TicketSinkError).message).toMatch(
      /no transition named 'Resolve Issue'.*'In Progress', 'Done'/,
    );
  });

  it('notices an issue closed or deleted by hand', async () => {
    const s = sink();
    const closedByHand = await s.open(content());
    jira.transitionByHand(closedByHand.id, 'Done');
    expect(await s.state(closedByHand)).toBe('closed');
    const deleted = await s.open(content());
    jira.deleteByHand(deleted.id);
    expect(await s.state(deleted)).toBe('missing');
    const err = await s.comment(deleted, note('x')).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TicketSinkError', operation: 'comment', status: 404 });
  });

  it('finds a ticket again by its key label, paging the enhanced search by nextPageToken', async () => {
    const s = sink();
    const c = content();
    const a = await s.open(c);
    await s.close(a, note('fixed'));
    const b = await s.open(c);
    expect(b.id).not.toBe(a.id);
    expect(await s.find(c.key)).toEqual({ ref: b, state: 'open' });
    await s.close(b, note('fixed again'));
    const searches = jira.requests.get('GET /rest/api/3/search/jql') ?? 0;
    // Page size 1 (emulator cap): two closed issues take two pages; the newest comes first.
    expect(await s.find(c.key)).toEqual({ ref: b, state: 'closed' });
    expect((jira.requests.get('GET /rest/api/3/search/jql') ?? 0) - searches).toBe(2);
    expect(await s.find('never-opened')).toBeNull();
  });

  it('costs what docs/tickets-jira.md says: open 2, comment 1, close 3, reopen 3, state 1 requests', async () => {
    const s = sink();
    const cost = async (work: () => Promise<unknown>) => {
      const before = jira.totalRequests();
      const sent = s.api.requests;
      await work();
      expect(s.api.requests - sent).toBe(jira.totalRequests() - before);
      return jira.totalRequests() - before;
    };
    const c = content();
    let ref = { id: '', url: null as string | null };
    expect(await cost(async () => (ref = await s.open(c)))).toBe(2);
    expect(await cost(() => s.comment(ref, note('x')))).toBe(1);
    expect(await cost(() => s.close(ref, note('x')))).toBe(3);
    expect(await cost(() => s.reopen(ref, note('x')))).toBe(3);
    expect(await cost(() => s.state(ref))).toBe(1);
  });

  it('a site that does not answer at all fails at once with the network error, no retries', async () => {
    const s = sink({ baseUrl: 'https://127.0.0.1:1' });
    const err = await s.state({ id: 'SEC-1', url: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TicketSinkError);
    expect(err).toMatchObject({ operation: 'state', status: null });
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect(s.api.requests).toBe(1);
  });

  it('reads the states of many tickets with one search page instead of a request each; a deleted one by its 404', async () => {
    const wide = await startJiraEmulator({
      users: [{ email: EMAIL, apiToken: TOKEN, projects: ['SEC'] }],
      projects: [{ key: 'SEC' }],
    });
    try {
      const s = createJiraSink(
        {
          name: 'bulk',
          baseUrl: wide.origin,
          email: EMAIL,
          apiToken: TOKEN,
          project: 'SEC',
          issueType: 'Task',
          labels: [],
          transitions: { close: 'Done', reopen: 'To Do' },
        },
        { ca: wide.caCert },
      );
      const refs = [];
      for (let i = 0; i < 6; i++) refs.push(await s.open(content()));
      await s.close(refs[1]!, note('fixed'));
      wide.transitionByHand(refs[2]!.id, 'Done');
      wide.deleteByHand(refs[3]!.id);
      const before = wide.totalRequests();
      const states = await s.readStates(refs);
      expect([...states.values()]).toEqual(['open', 'closed', 'closed', 'missing', 'open', 'open']);
      expect(wide.totalRequests() - before).toBe(2); // one search page, one 404 for the deleted issue
      for (const ref of refs) expect(states.get(ref.id)).toBe(await s.state(ref));
    } finally {
      await wide.close();
    }
  });

  it('waits out a 429 for its Retry-After, then succeeds', async () => {
    const s = sink();
    jira.failNext({ status: 429, times: 2, retryAfterSeconds: 3 });
    const ref = await s.open(content());
    expect(waits).toEqual([3000, 3000]);
    expect(issueOf(ref.id).summary).toContain('acme-ci');
  });

  it('an outage (503) surfaces as TicketSinkError after bounded retries; the next call after recovery works', async () => {
    const s = sink();
    const ref = await s.open(content());
    jira.outage();
    const before = jira.totalRequests();
    const err = await s.comment(ref, note('while down')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TicketSinkError);
    expect(err).toMatchObject({ operation: 'comment', status: 503 });
    expect(jira.totalRequests() - before).toBe(5);
    expect(waits).toEqual([1000, 1000, 1000, 1000]);
    jira.restore();
    await s.comment(ref, note('after recovery'));
    expect(issueOf(ref.id).comments).toHaveLength(1);
  });

  it('a Retry-After longer than the sink waits fails at once instead of hanging the sync', async () => {
    const s = createJiraSink(
      {
        name: 'j',
        baseUrl: jira.origin,
        email: EMAIL,
        apiToken: TOKEN,
        project: 'SEC',
        issueType: 'Task',
        labels: [],
        transitions: { close: 'Done', reopen: 'To Do' },
      },
      { ca: jira.caCert, maxRetryWaitMs: 10_000, sleep: async (ms) => void waits.push(ms) },
    );
    jira.failNext({ status: 429, times: 1, retryAfterSeconds: 3600 });
    const err = await s.open(content()).catch((e: unknown) => e);
    expect(err).toMatchObject({ operation: 'open', status: 429 });
    expect(waits).toEqual([]);
  });

  it('bad credentials fail with a message that says what to check and never the token', async () => {
    const wrong = fakeJiraApiToken();
    const s = sink({ apiToken: wrong });
    const err = (await s.open(content()).catch((e: unknown) => e)) as TicketSinkError;
    expect(err).toBeInstanceOf(TicketSinkError);
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/not authenticated.*check the email and the API token/);
    const everything = `${err.message} ${inspect(err, { depth: 10 })} ${JSON.stringify(err)}`;
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(Buffer.from(`${EMAIL}:${wrong}`).toString('base64'));
  });

  it('a project the user cannot access is 403; an unknown issue type is 400 with the field named', async () => {
    const forbidden = (await sink({ project: 'OPS' })
      .open(content())
      .catch((e: unknown) => e)) as TicketSinkError;
    expect(forbidden).toMatchObject({ status: 400, operation: 'open' });
    expect(forbidden.message).toContain(
      "search OPS by key label: The value 'OPS' does not exist for the field 'project'",
    );
    // The search refuses first (the project is invisible to this user); creating directly is 403.
    const direct = await sink({ project: 'OPS' })
      .api.call('open', 'create', (c) =>
        c.issues.createIssue({
          fields: { project: { key: 'OPS' }, issuetype: { name: 'Task' }, summary: 'x' },
        } as Parameters<typeof c.issues.createIssue>[0]),
      )
      .catch((e: unknown) => e);
    expect(direct).toMatchObject({ status: 403, operation: 'open' });
    expect((direct as Error).message).toMatch(/permission/);
    const badType = (await sink({ issueType: 'Incident' })
      .open(content())
      .catch((e: unknown) => e)) as TicketSinkError;
    expect(badType).toMatchObject({ status: 400, operation: 'open' });
    expect(badType.message).toContain('issuetype: Specify an issue type');
  });

  it('hostile third-party text stays text: no markup, mentions or links; summary cut to 255 on one line', async () => {
    const hostile =
      '<img src=x onerror=alert(1)> [~accountid:5b10ac8d82e05b22cc7d4ef5] @channel [click](https://evil.example) {"type":"mention","attrs":{"id":"x"}}';
    const adfLooking = JSON.stringify({
      type: 'doc',
      version: 1,
      content: [{ type: 'mention', attrs: { id: 'all' } }],
    });
    const c = content({
      title: `${hostile}\n${'x'.repeat(400)}`,
      labels: ['has space', ''],
      body: {
        blocks: [
          { kind: 'paragraph', text: hostile },
          { kind: 'facts', rows: [{ label: 'App name', value: adfLooking }] },
          { kind: 'bullets', items: [hostile, '\u0000\u202e'] },
          { kind: 'link', text: 'evil', url: 'javascript:alert(1)' },
          { kind: 'heading', text: '' },
        ],
      },
    });
    const ref = await sink().open(c);
    const issue = issueOf(ref.id);
    expect(issue.summary.length).toBeLessThanOrEqual(255);
    expect(issue.summary).not.toContain('\n');
    expect(issue.summary.startsWith('<img src=x onerror=alert(1)>')).toBe(true);
    expect(issue.labels).toContain('has-space');
    expect(adfSchema(issue.description), JSON.stringify(adfSchema.errors)).toBe(true);
    const nodes: Array<Record<string, unknown>> = [];
    const walk = (n: unknown) => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') {
        nodes.push(n as Record<string, unknown>);
        walk((n as Record<string, unknown>).content);
      }
    };
    walk((issue.description as { content: unknown }).content);
    expect(nodes.some((n) => n.type === 'mention' || n.type === 'inlineCard')).toBe(false);
    expect(nodes.some((n) => Array.isArray(n.marks) && n.marks.length > 0)).toBe(false);
    const texts = nodes.filter((n) => n.type === 'text').map((n) => n.text as string);
    const shown = hostile.replace('https://evil.example', 'https[:]//evil.example');
    expect(texts).toContain(shown);
    expect(texts).toContain(adfLooking);
    expect(texts).toContain('evil (javascript:alert(1))');
    expect(JSON.stringify(issue.description)).not.toContain('https://evil.example');
    expect(issue.summary).not.toContain('https://');
  });
});

describe('Jira sink under any sequence of lifecycle calls, hand edits and outages (fast-check)', () => {
  type Step =
    | { op: 'open' | 'comment' | 'close' | 'reopen' | 'state' | 'handClose' | 'handDelete'; key: number }
    | { op: 'outage' | 'restore' };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      op: fc.constantFrom('open', 'comment', 'close', 'reopen', 'state', 'handClose', 'handDelete' as const),
      key: fc.integer({ min: 0, max: 2 }),
    }),
    fc.record({ op: fc.constantFrom('outage', 'restore' as const) }),
  );

  it('never holds two open issues for one key, and find() agrees with Jira', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 14 }), async (steps) => {
        run += 1;
        jira.restore();
        const s = sink();
        const keyOf = (k: number) => `prop-${run}-${k}`;
        // What the lifecycle holds: the latest ref per key (it reopens that one, never an older one).
        const refs = new Map<number, { id: string; url: string | null }>();
        for (const st of steps) {
          if (!('key' in st)) {
            if (st.op === 'outage') jira.outage();
            else jira.restore();
          } else {
            const ref = refs.get(st.key);
            try {
              if (st.op === 'open') refs.set(st.key, await s.open(content({ key: keyOf(st.key) })));
              else if (ref && st.op === 'comment') await s.comment(ref, note('c'));
              else if (ref && st.op === 'close') await s.close(ref, note('c'));
              else if (ref && st.op === 'reopen') await s.reopen(ref, note('r'));
              else if (ref && st.op === 'state') await s.state(ref);
              else if (ref && st.op === 'handClose' && !jira.issue(ref.id)?.deleted)
                jira.transitionByHand(ref.id, 'Done');
              else if (ref && st.op === 'handDelete') jira.deleteByHand(ref.id);
            } catch (err) {
              // An outage, or an issue deleted by hand: a typed failure, never anything else.
              expect(err).toBeInstanceOf(TicketSinkError);
            }
          }
          for (let k = 0; k <= 2; k++) {
            const open = jira
              .issues()
              .filter(
                (i) => !i.deleted && i.status.category !== 'done' && i.labels.includes(keyLabel(keyOf(k))),
              );
            expect(open.length).toBeLessThanOrEqual(1);
          }
        }
        jira.restore();
        for (let k = 0; k <= 2; k++) {
          const live = jira
            .issues()
            .filter((i) => !i.deleted && i.labels.includes(keyLabel(keyOf(k))))
            .sort((a, b) => Number(b.id) - Number(a.id));
          const found = await s.find(keyOf(k));
          const open = live.find((i) => i.status.category !== 'done');
          if (open) expect(found).toMatchObject({ ref: { id: open.key }, state: 'open' });
          else if (live[0]) expect(found).toMatchObject({ ref: { id: live[0].key }, state: 'closed' });
          else expect(found).toBeNull();
        }
      }),
      { numRuns: 12 },
    );
  });
});

describe('ADF rendering', () => {
  it('every block kind renders to a document the ADF JSON Schema accepts, empty text included', () => {
    const doc = toAdf({
      blocks: [
        { kind: 'paragraph', text: '' },
        { kind: 'paragraph', text: 'a\n\nb\r\nc' },
        { kind: 'heading', text: 'h' },
        { kind: 'bullets', items: ['', 'x'] },
        { kind: 'bullets', items: [] },
        { kind: 'facts', rows: [{ label: '', value: '' }] },
        { kind: 'facts', rows: [] },
        { kind: 'link', text: '', url: 'https://example.com/a b' },
        { kind: 'code', text: '' },
      ],
    });
    expect(adfSchema(doc), JSON.stringify(adfSchema.errors)).toBe(true);
  });

  it('a body over the budget is cut at a block boundary with a notice', () => {
    const doc = toAdf({
      blocks: Array.from({ length: 20 }, () => ({ kind: 'paragraph' as const, text: 'y'.repeat(3000) })),
    });
    const text = JSON.stringify(doc);
    expect(doc.content).toHaveLength(11);
    expect(text).toContain('truncated');
    expect(adfSchema(doc)).toBe(true);
  });
});

describe('Jira sink settings', () => {
  const base = {
    name: 'security-jira',
    type: 'jira',
    baseUrl: 'https://example.atlassian.net/',
    email: 'bot@example.com',
    project: 'SEC',
    group: 'identity',
  };

  it('defaults: Task, the grantscope label, Done / To Do; shared keys pass through; trailing slash dropped', () => {
    const s = JiraSinkSettings.parse({ ...base, apiTokenEnv: 'JIRA_API_TOKEN' });
    expect(s).toMatchObject({
      baseUrl: 'https://example.atlassian.net',
      issueType: 'Task',
      labels: ['grantscope'],
      transitions: { close: 'Done', reopen: 'To Do' },
      group: 'identity',
    });
    expect(jiraSinkType.type).toBe('jira');
  });

  it('refuses an inline token, both or neither token reference, http, a bad project key, a label with spaces', () => {
    const problems = (v: unknown) =>
      JSON.stringify(JiraSinkSettings.safeParse(v).error?.issues.map((i) => i.message));
    expect(problems({ ...base, apiToken: 'ATATT-secret' })).toContain('secrets are never written inline');
    expect(problems({ ...base, apiToken: 'ATATT-secret' })).not.toContain('ATATT-secret');
    expect(problems({ ...base, apiTokenEnv: 'A', apiTokenFile: 'f' })).toContain('not both');
    expect(problems(base)).toContain('apiTokenFile or apiTokenEnv is required');
    expect(problems({ ...base, apiTokenEnv: 'A', baseUrl: 'http://example.atlassian.net' })).toContain(
      'https://',
    );
    expect(problems({ ...base, apiTokenEnv: 'A', project: 'sec' })).toContain('project key');
    expect(problems({ ...base, apiTokenEnv: 'A', labels: ['a b'] })).toContain('no spaces');
  });

  it('reads the token from the named variable or file; a missing one is a CredentialSourceError without values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-jira-'));
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    writeFileSync(join(dir, 'ca.pem'), jira.caCert);
    const fromFile = jiraSinkType.create(
      JiraSinkSettings.parse({ ...base, baseUrl: jira.origin, email: EMAIL, apiTokenFile: 'token' }),
      { configDir: dir, caFile: 'ca.pem' },
    );
    expect(await fromFile.state(await sink().open(content()))).toBe('open');
    const fromEnv = createJiraSinkFromSettings(
      JiraSinkSettings.parse({ ...base, baseUrl: jira.origin, email: EMAIL, apiTokenEnv: 'GS_TEST_JIRA' }),
      { configDir: dir, caFile: 'ca.pem', env: { GS_TEST_JIRA: TOKEN } },
    );
    expect(fromEnv.kind).toBe('jira');
    const missing = (() => {
      try {
        jiraSinkType.create(JiraSinkSettings.parse({ ...base, apiTokenEnv: 'GS_TEST_JIRA_UNSET' }), {
          configDir: dir,
          caFile: null,
          env: {},
        });
      } catch (err) {
        return err;
      }
    })();
    expect(missing).toBeInstanceOf(CredentialSourceError);
    expect((missing as Error).message).toContain('GS_TEST_JIRA_UNSET is not set');
  });
});
