import { describe, expect, it } from 'vitest';
import type { EmuRequest } from '../router.js';
import { type AuditEvent, AuditLog, auditLogPage } from './audit-log.js';
import { buildState, type GithubState } from './state.js';
import { type GithubSectionInput, parseGithubSection } from './world.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const DAY = 86_400_000;

function state(edit: (s: GithubSectionInput) => void = () => {}): GithubState {
  const section: GithubSectionInput = {
    org: { login: 'acme', id: 1, enterprise_cloud: true },
    app: { id: 2, installation_id: 3, permissions: { organization_administration: 'read' } },
    hooks: [{ id: 50, url: 'https://org-hook.example/x', created_at: '2026-11-20T00:00:00Z' }],
    repos: [
      {
        name: 'api',
        id: 10,
        created_at: '2026-01-01T00:00:00Z',
        hooks: [
          {
            id: 100,
            url: 'https://ci.example/hook',
            events: ['push'],
            created_at: '2026-11-01T00:00:00Z',
            updated_at: '2026-11-15T00:00:00Z',
          },
        ],
      },
      { name: 'web', id: 11, created_at: '2026-08-01T00:00:00Z' },
    ],
  };
  edit(section);
  return buildState(parseGithubSection(section, 'test'), NOW);
}

function request(query: Record<string, string>): EmuRequest {
  return {
    method: 'GET',
    path: '/api/v3/orgs/acme/audit-log',
    params: { org: 'acme' },
    query: new URLSearchParams(query),
    headers: {},
    body: Buffer.alloc(0),
    origin: 'https://127.0.0.1:1',
  };
}

const page = (s: GithubState, query: Record<string, string>, log = s.auditLog) => {
  const r = auditLogPage(request(query), s, log);
  return { status: r.status, events: r.body as AuditEvent[], link: r.headers?.link ?? null };
};
const actions = (events: AuditEvent[]) => events.map((e) => `${e.action} ${e.repo ?? '-'}`);

describe('GitHub emulator audit log (orgs/get-audit-log)', () => {
  it('derives events from the world, newest first, within the default three months', () => {
    const s = state();
    const { status, events } = page(s, {});
    expect(status).toBe(200);
    // `web` was created four months ago: found only with a `created` qualifier; `api` in January, past
    // the log's six months: never.
    expect(actions(events)).toEqual([
      'hook.create -',
      'hook.config_changed acme/api',
      'hook.create acme/api',
    ]);
    expect(events[1]!['@timestamp']).toBe(Date.parse('2026-11-15T00:00:00Z'));
    expect(events[1]!.hook_id).toBe(100);
    expect(new Set(events.map((e) => e._document_id)).size).toBe(3);
    const older = page(s, { phrase: 'action:repo created:>=2025-12-15' });
    expect(actions(older.events)).toEqual(['repo.create acme/web']);
  });

  it('filters by action category, repository and time, and orders oldest first on request', () => {
    const s = state();
    expect(actions(page(s, { phrase: 'action:hook', order: 'asc' }).events)).toEqual([
      'hook.create acme/api',
      'hook.config_changed acme/api',
      'hook.create -',
    ]);
    expect(actions(page(s, { phrase: 'action:hook.create repo:acme/api' }).events)).toEqual([
      'hook.create acme/api',
    ]);
    expect(actions(page(s, { phrase: 'action:hook created:>2026-11-15T00:00:00Z' }).events)).toEqual([
      'hook.create -',
    ]);
    expect(actions(page(s, { phrase: '-action:hook created:>=2026-07-01' }).events)).toEqual([
      'repo.create acme/web',
    ]);
  });

  it('pages with cursors in the Link header', () => {
    const s = state();
    const first = page(s, { per_page: '2', phrase: 'created:>=2025-12-01' });
    expect(first.events).toHaveLength(2);
    const next = /<([^>]+)>; rel="next"/.exec(first.link ?? '')![1]!;
    const url = new URL(next);
    expect(url.searchParams.get('per_page')).toBe('2');
    expect(url.searchParams.get('phrase')).toBe('created:>=2025-12-01');
    const second = page(s, Object.fromEntries(url.searchParams));
    expect(second.link).toMatch(/rel="prev"/);
    expect(second.link).not.toMatch(/rel="next"/);
    const all = [...first.events, ...second.events];
    expect(all).toHaveLength(4);
    expect(actions(all)).toEqual(actions(page(s, { phrase: 'created:>=2025-12-01' }).events));
  });

  it('refuses what it cannot search with 422', () => {
    const s = state();
    expect(page(s, { phrase: 'hook' }).status).toBe(422);
    expect(page(s, { phrase: 'created:>=yesterday' }).status).toBe(422);
    expect(page(s, { order: 'newest' }).status).toBe(422);
    expect(page(s, { include: 'everything' }).status).toBe(422);
    expect(page(s, { after: 'not-a-cursor' }).status).toBe(422);
    expect(page(s, { include: 'git' }).events).toEqual([]);
  });

  it('logs what a world switch changed, after every earlier event', () => {
    const before = state();
    const after = state((s) => {
      const api = s.repos![0]!;
      api.hooks = [{ ...api.hooks![0]!, events: ['push', 'release'], active: false }];
      s.repos![1]!.hooks = [{ id: 101, url: 'https://new.example/h', created_at: '2026-11-30T00:00:00Z' }];
      s.repos!.push({ name: 'new', id: 12, created_at: '2026-11-30T00:00:00Z' });
      s.hooks = [];
    });
    const log = AuditLog.afterSwitch(before.auditLog, before, () => after);
    const events = page(
      after,
      { phrase: `created:>=${new Date(NOW.getTime() - DAY).toISOString()}` },
      log,
    ).events;
    expect(actions(events).sort()).toEqual(
      [
        'hook.active_changed acme/api',
        'hook.create acme/web',
        'hook.destroy -',
        'hook.events_changed acme/api',
        'repo.create acme/new',
      ].sort(),
    );
    expect(new Set(events.map((e) => e['@timestamp']))).toEqual(new Set([NOW.getTime()]));
    // The earlier world's events are still there, and nothing the world's dates imply is logged twice.
    expect(page(after, { phrase: 'action:hook.create' }, log).events.length).toBe(3);
    // A second switch with no change logs nothing, later than the first.
    const again = AuditLog.afterSwitch(log, after, () => after);
    expect(again.all()).toHaveLength(log.all().length);
  });

  it('answers only for GitHub Enterprise Cloud organisations (the route returns 404 otherwise)', () => {
    expect(state((s) => Object.assign(s.org, { enterprise_cloud: false })).enterpriseCloud).toBe(false);
    expect(
      state((s) => Object.assign(s.org, { enterprise_cloud: undefined, saml: true })).enterpriseCloud,
    ).toBe(true);
    expect(state((s) => Object.assign(s.org, { enterprise_cloud: undefined })).enterpriseCloud).toBe(false);
  });
});
