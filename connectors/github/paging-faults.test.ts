import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GithubSectionInput } from '../../src/emulator/github/world.js';
import { loadWorld, type World } from '../../src/emulator/world.js';
import type { Identity } from '../../src/model/index.js';
import { type EmulatedGithub, emulatedGithub } from '../../test/support/emulated-github.js';
import { pageKey } from './client.js';

/**
 * Paging that does not behave: a `Link` that leads back to a page already read fails the collector with
 * a clear reason instead of looping; a list whose response declares no `Link` header
 * (orgs/list-saml-sso-authorizations in GitHub's OpenAPI description) is read page by page number past a
 * full page, so nothing beyond the first 100 is silently missed.
 */
const WORLD = new URL('../../fixtures/worlds/test/github-demo.yaml', import.meta.url).pathname;

/** The demo world with `n` SAML credential authorizations, with or without Link headers on their list. */
function withAuthorizations(n: number, withoutLink: boolean): World {
  const w = structuredClone(loadWorld(WORLD));
  const g = w.platforms.github as GithubSectionInput;
  g.org = { ...g.org!, saml: true };
  g.quirks = { credential_authorizations_without_link: withoutLink };
  g.credential_authorizations = Array.from({ length: n }, (_, i) => ({
    credential_id: 900_000 + i,
    login: 'bob',
    credential_type: 'SSH key' as const,
    credential_authorized_at: 'now-10d',
    fingerprint: `SHA256:${String(i).padStart(43, 'x')}`,
  }));
  return w;
}

describe('GitHub paging faults', () => {
  let gh: EmulatedGithub;
  beforeAll(async () => {
    gh = await emulatedGithub(WORLD);
  });
  afterEach(() => {
    gh.emu.faults.clear();
    gh.emu.setWorld(WORLD);
    gh.emu.resetStats();
  });
  afterAll(() => gh.stop());

  const ssoIds = (records: Awaited<ReturnType<EmulatedGithub['scan']>>['records']) =>
    records.filter((r): r is Identity => r.type === 'identity' && r.kind === 'sso-credential');
  const route = (pattern: string) => gh.emu.stats().routes.find((r) => r.pattern === pattern)?.count ?? 0;

  it('fails the collector when a Link leads back to a page already read, after two requests', async () => {
    const first = `${gh.emu.origin}/api/v3/orgs/acme-corp/hooks?per_page=100&page=1`;
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/orgs/{org}/hooks',
      action: { kind: 'status', status: 200, headers: { link: `<${first}>; rel="next"` }, body: [] },
    });
    const { coverage } = await gh.scan();
    const hooks = coverage.collectors.find((c) => c.collector === 'org-webhooks')!;
    expect(hooks).toMatchObject({ status: 'failed', api: 'GET /orgs/{org}/hooks', requests: 2 });
    expect(hooks.reason).toBe(
      'GitHub REST GET /orgs/{org}/hooks returned 200: paging did not advance: the next page (/api/v3/orgs/acme-corp/hooks?page=1&per_page=100) is one already read, after 1 page(s); stopped instead of looping',
    );
    expect(route('/api/v3/orgs/{org}/hooks')).toBe(2);
    expect(coverage.collectors.find((c) => c.collector === 'repo-webhooks')!.status).toBe('complete');
  });

  it('fails the collector when a Link loops over two pages', async () => {
    const page = (n: number) => `${gh.emu.origin}/api/v3/orgs/acme-corp/hooks?per_page=100&page=${n}`;
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/orgs/{org}/hooks',
      times: 1,
      action: { kind: 'status', status: 200, headers: { link: `<${page(2)}>; rel="next"` }, body: [] },
    });
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/orgs/{org}/hooks',
      action: { kind: 'status', status: 200, headers: { link: `<${page(1)}>; rel="next"` }, body: [] },
    });
    const { coverage } = await gh.scan();
    const hooks = coverage.collectors.find((c) => c.collector === 'org-webhooks')!;
    expect(hooks).toMatchObject({ status: 'failed', requests: 3 });
    expect(hooks.reason).toMatch(
      /paging did not advance: the next page .*page=1.* is one already read, after 2 page/,
    );
  });

  it('reads every SAML credential authorization past a full page that came without a Link header', async () => {
    gh.emu.setWorld(withAuthorizations(230, true));
    const { coverage, records } = await gh.scan();
    expect(coverage.collectors.find((c) => c.collector === 'sso-credentials')!.status).toBe('complete');
    expect(ssoIds(records)).toHaveLength(230);
    expect(new Set(ssoIds(records).map((i) => i.nativeId)).size).toBe(230);
    // Pages 1 and 2 are full, page 3 is short: three requests.
    expect(route('/api/v3/orgs/{org}/credential-authorizations')).toBe(3);
  });

  it('reads them through Link headers when GitHub sends them, without an extra request', async () => {
    gh.emu.setWorld(withAuthorizations(230, false));
    const { records } = await gh.scan();
    expect(ssoIds(records)).toHaveLength(230);
    expect(route('/api/v3/orgs/{org}/credential-authorizations')).toBe(3);
  });

  it('stops, failed, when a server without Link headers ignores the page number', async () => {
    gh.emu.setWorld(withAuthorizations(0, true));
    // Every request answered with the same full page, without Link: page 2 repeats page 1.
    const full = Array.from({ length: 100 }, (_, i) => ({
      login: 'bob',
      credential_id: 800_000 + i,
      credential_type: 'SSH key',
      credential_authorized_at: '2026-01-01T00:00:00Z',
      credential_accessed_at: null,
      authorized_credential_id: null,
    }));
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/orgs/{org}/credential-authorizations',
      action: { kind: 'status', status: 200, body: full },
    });
    const { coverage } = await gh.scan();
    const sso = coverage.collectors.find((c) => c.collector === 'sso-credentials')!;
    expect(sso).toMatchObject({ status: 'failed', requests: 2 });
    expect(sso.reason).toMatch(/paging did not advance: page 2 repeats page 1/);
  });

  it('asks once more after a full last page without Link, and stops at the empty page', async () => {
    gh.emu.setWorld(withAuthorizations(100, true));
    const { records } = await gh.scan();
    expect(ssoIds(records)).toHaveLength(100);
    expect(route('/api/v3/orgs/{org}/credential-authorizations')).toBe(2);
  });

  it('keys pages so that the first page and an explicit page=1 are one page', () => {
    expect(pageKey('https://h/api/v3/orgs/a/hooks?per_page=100')).toBe(
      pageKey('https://h/api/v3/orgs/a/hooks?page=1&per_page=100'),
    );
    expect(pageKey('https://h/x?per_page=100&page=2')).not.toBe(pageKey('https://h/x?per_page=100'));
  });
});
