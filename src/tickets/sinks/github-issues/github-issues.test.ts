import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator } from '@grantscope/emulator';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorld, type World } from '../../../emulator/world.js';
import { type TicketContent, TicketSinkError } from '../../sink.js';
import { createGithubIssuesSink, type GithubIssuesSink } from './index.js';
import { escapeMarkdown, markdown } from './markdown.js';

const WORLD = new URL('../../../../fixtures/worlds/test/github-demo.yaml', import.meta.url).pathname;
const HOSTILE = '<img src=x onerror=alert(1)> @octocat #1 [x](javascript:alert(1))';

/** The demo org, with a classic token (repo scope) and the App granted Issues: write. */
function ticketingWorld(): World {
  const w = structuredClone(loadWorld(WORLD));
  const g = w.platforms.github as { classic_token?: unknown; app: { permissions: Record<string, string> } };
  g.classic_token = { scopes: ['repo'] };
  g.app.permissions.issues = 'write';
  return w;
}

const content = (over: Partial<TicketContent> = {}): TicketContent => ({
  title: `Over-privileged: ${HOSTILE}`,
  body: {
    blocks: [
      { kind: 'heading', text: 'What' },
      { kind: 'paragraph', text: `GitHub App ${HOSTILE} holds administration: write` },
      { kind: 'facts', rows: [{ label: 'Owner', value: 'Alice | Chen' }] },
      {
        kind: 'link',
        text: 'Revoke here',
        url: 'https://github.com/organizations/acme/settings/installations/1',
      },
      { kind: 'link', text: 'not a web link', url: 'javascript:alert(1)' },
    ],
  },
  severity: 'high',
  labels: ['over-privileged'],
  key: 'f00dfeedf00dfeedf00dfeedf00dfeed',
  fingerprints: ['f00dfeedf00dfeedf00dfeedf00dfeed'],
  ...over,
});
const note = (text: string) => ({ blocks: [{ kind: 'paragraph' as const, text }] });

describe('GitHub Issues sink against the emulator (Octokit over HTTPS)', () => {
  let emu: RunningEmulator;
  let dir: string;
  let tokenFile: string;
  let appKeyFile: string;
  let fetchWithCa: typeof fetch;
  const sink = (over: Record<string, unknown> = {}, retries = 0): Promise<GithubIssuesSink> =>
    createGithubIssuesSink(
      {
        type: 'github-issues',
        name: 'gh',
        repository: 'acme-corp/web',
        baseUrl: `${emu.origin}/api/v3`,
        tokenFile,
        ...over,
      },
      { configDir: dir, fetch: fetchWithCa, retries },
    );

  beforeAll(async () => {
    emu = await startEmulator({ world: ticketingWorld() });
    const dispatcher = new Agent({ connect: { ca: emu.caCert } });
    fetchWithCa = ((url: string, init: object) => undiciFetch(url, { ...init, dispatcher })) as never;
    dir = await mkdtemp(join(tmpdir(), 'gs-ghi-'));
    const setup = emu.clientSetup();
    for (const [name, text] of Object.entries(setup.files)) await writeFile(join(dir, name), text);
    tokenFile = Object.keys(setup.files).find((f) => !f.endsWith('.pem'))!;
    appKeyFile = Object.keys(setup.files).find((f) => f.endsWith('.pem'))!;
  });
  afterAll(async () => emu.stop());

  it('opens, comments, closes, reopens and reads state; the key is found again', async () => {
    const s = await sink();
    const ref = await s.open(content());
    expect(ref.url).toMatch(/\/acme-corp\/web\/issues\/\d+$/);
    expect(await s.state(ref)).toBe('open');
    await s.comment(ref, note('Severity changed from medium to high'));
    await s.close(ref, note('Resolved: gone from the complete scan 12'));
    expect(await s.state(ref)).toBe('closed');
    await s.reopen(ref, note('Back in scan 13'));
    expect(await s.state(ref)).toBe('open');
    expect(await s.find(content().key)).toEqual(ref);
    expect(await s.find('some-other-key')).toBeNull();
    const routes = emu.stats().routes.filter((r) => r.pattern.includes('/issues'));
    expect(
      Object.fromEntries(
        routes.map((r) => [
          `${r.method} ${r.pattern.replace('/api/v3/repos/{owner}/{repo}', '')}`,
          r.statuses,
        ]),
      ),
    ).toMatchObject({
      'POST /issues': { 201: 1 },
      'POST /issues/{issue_number}/comments': { 201: 3 },
      'PATCH /issues/{issue_number}': { 200: 2 },
    });
  });

  it('labels the issue, escapes data, and hides the key in a marker', async () => {
    const s = await sink({ labels: ['grantscope', 'security'] });
    const ref = await s.open(content({ key: 'identity:github:acme|github-app-installation:9' }));
    const res = await fetchWithCa(`${emu.origin}/api/v3/repos/acme-corp/web/issues/${ref.id}`, {
      headers: {
        authorization: `token ${(await import('node:fs')).readFileSync(join(dir, tokenFile), 'utf8').trim()}`,
      },
    });
    const issue = (await res.json()) as { title: string; body: string; labels: { name: string }[] };
    expect(issue.labels.map((l) => l.name)).toEqual([
      'grantscope',
      'security',
      'severity:high',
      'over-privileged',
    ]);
    expect(issue.title).toContain(HOSTILE);
    expect(issue.body).not.toContain('<img');
    expect(issue.body).toContain('&lt;img src=x onerror=alert\\(1\\)&gt;');
    expect(issue.body).toContain('&#64;octocat');
    expect(issue.body).toContain('&#35;1');
    expect(issue.body).not.toMatch(/\]\(javascript:/);
    expect(issue.body).toContain(
      '[Revoke here](<https://github.com/organizations/acme/settings/installations/1>)',
    );
    expect(issue.body).toMatch(/<!-- grantscope-key: [0-9a-f]{64} -->$/);
  });

  it('works as a GitHub App installation with Issues: write', async () => {
    const setup = emu.clientSetup().config.github as { app: { id: number; installationId: number } };
    const s = await sink({ tokenFile: undefined, app: { ...setup.app, privateKeyFile: appKeyFile } });
    const ref = await s.open(content({ key: 'app-key' }));
    expect(await s.state(ref)).toBe('open');
  });

  it('a closed-by-hand issue reads closed; a deleted one (410) reads missing', async () => {
    const s = await sink();
    const a = await s.open(content({ key: 'k-a' }));
    const b = await s.open(content({ key: 'k-b' }));
    const token = (await import('node:fs')).readFileSync(join(dir, tokenFile), 'utf8').trim();
    // What a person does: close it (here through the API, as the web UI does).
    await fetchWithCa(`${emu.origin}/api/v3/repos/acme-corp/web/issues/${a.id}`, {
      method: 'PATCH',
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'closed', state_reason: 'not_planned' }),
    });
    emu.faults.add({
      id: 'deleted',
      service: 'github',
      method: 'GET',
      path: `^/api/v3/repos/acme-corp/web/issues/${b.id}$`,
      action: { kind: 'status', status: 410, body: { message: 'This issue was deleted', status: '410' } },
    });
    try {
      expect(await s.state(a)).toBe('closed');
      expect(await s.state(b)).toBe('missing');
    } finally {
      emu.faults.clear('deleted');
    }
  });

  it('fails with the sink, operation, status and GitHub’s message; never the token', async () => {
    await writeFile(join(dir, 'bad-token.txt'), 'ghp_not_a_real_token');
    const bad = await sink({ tokenFile: 'bad-token.txt' });
    const err = await bad.open(content()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TicketSinkError);
    expect(err).toMatchObject({ sink: 'gh', operation: 'open', status: 401 });
    expect((err as Error).message).toContain('Bad credentials');
    expect((err as Error).message).not.toContain('ghp_not_a_real_token');
    const missing = await sink({ repository: 'acme-corp/no-such-repo' });
    await expect(missing.open(content())).rejects.toMatchObject({ status: 404 });
    const s = await sink();
    emu.faults.add({
      id: 'down',
      service: 'github',
      method: 'POST',
      path: '^/api/v3/repos/acme-corp/web/issues$',
      action: { kind: 'status', status: 503, body: { message: 'Service Unavailable' } },
    });
    try {
      await expect(s.open(content())).rejects.toMatchObject({ operation: 'open', status: 503 });
    } finally {
      emu.faults.clear('down');
    }
    await expect(sink({ tokenFile: undefined, tokenEnv: 'GS_NO_SUCH_TOKEN' })).rejects.toThrow(
      /GS_NO_SUCH_TOKEN \(tokenEnv\) is not set/,
    );
    await expect(sink({ tokenEnv: 'X' })).rejects.toThrow(/one credential/);
  });
});

describe('Markdown from ticket documents', () => {
  it('escapes HTML and Markdown, defuses mentions and issue links, fences code safely', () => {
    expect(escapeMarkdown('<b>*x*</b> @a #2 [l](u)')).toBe(
      '&lt;b&gt;\\*x\\*&lt;/b&gt; &#64;a &#35;2 \\[l\\]\\(u\\)',
    );
    const md = markdown({ blocks: [{ kind: 'code', text: 'a ``` b' }] });
    expect(md).toBe('````text\na ``` b\n````');
  });
});
