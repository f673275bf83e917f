import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import type { GithubSectionInput } from '../../src/emulator/github/world.js';
import { loadWorld } from '../../src/emulator/world.js';
import type { Credential, Grant, Identity, ModelRecord } from '../../src/model/index.js';
import { type EmulatedGithub, emulatedGithub } from '../../test/support/emulated-github.js';

const WORLD = new URL('../../fixtures/worlds/test/github-demo.yaml', import.meta.url).pathname;
const CHANGED = new URL('../../fixtures/worlds/test/github-demo-changed.yaml', import.meta.url).pathname;
const DAY = 86_400_000;

const identities = (records: ModelRecord[]) => records.filter((r): r is Identity => r.type === 'identity');
const grantsOf = (records: ModelRecord[], nativeId: string) =>
  records.filter((r): r is Grant => r.type === 'grant' && r.identity.nativeId === nativeId);
const credentialsOf = (records: ModelRecord[], nativeId: string) =>
  records.filter((r): r is Credential => r.type === 'credential' && r.identity.nativeId === nativeId);
const identity = (records: ModelRecord[], kind: string, nativeId: string) => {
  const found = identities(records).find((i) => i.kind === kind && i.nativeId === nativeId);
  if (!found) throw new Error(`no identity ${kind}:${nativeId}`);
  return found;
};
const tiers = (grants: Grant[]) =>
  Object.fromEntries(
    grants.map((g) => [g.permission.id, `${g.permission.access}/${g.target.breadth}/${g.risk.tier}`]),
  );
const daysAgo = (iso: string | null | undefined, now: number) =>
  iso ? Math.round((now - Date.parse(iso)) / DAY) : null;

describe('GitHub connector on the demo world (real Octokit + App auth against the emulator)', () => {
  let gh: EmulatedGithub;
  let records: ModelRecord[];
  let coverage: CoverageReport;
  let now: number;

  beforeAll(async () => {
    gh = await emulatedGithub(WORLD);
    now = gh.emu.now.getTime();
    gh.emu.resetStats();
    ({ records, coverage } = await gh.scan());
  });
  afterAll(() => gh.stop());

  it('covers every collector completely', () => {
    expect(coverage.status).toBe('complete');
    expect(coverage.collectors.map((c) => [c.collector, c.status])).toEqual([
      ['members', 'complete'],
      ['repositories', 'complete'],
      ['app-installations', 'complete'],
      ['pat-grants', 'complete'],
      ['pat-requests', 'complete'],
      ['sso-credentials', 'complete'],
      ['org-webhooks', 'complete'],
      ['deploy-keys', 'complete'],
      ['outside-collaborators', 'complete'],
      ['repo-webhooks', 'complete'],
    ]);
  });

  it('inventories exactly the demo identities', () => {
    expect(
      identities(records)
        .map((i) => `${i.kind}:${i.nativeId}`)
        .sort(),
    ).toEqual(
      [
        'github-app-installation:70001',
        'github-app-installation:71001',
        'github-app-installation:71002',
        'github-app-installation:71003',
        'github-app-installation:71004',
        'github-app-installation:71005',
        'fine-grained-pat:81001',
        'fine-grained-pat:81002',
        'fine-grained-pat:81003',
        'fine-grained-pat-request:82001',
        'sso-credential:61001',
        'sso-credential:61002',
        'deploy-key:acme-corp/infra#101',
        'deploy-key:acme-corp/api#102',
        'deploy-key:acme-corp/docs#103',
        'webhook:acme-corp#201',
        'webhook:acme-corp/web#202',
        'outside-collaborator:vendor-jane',
      ].sort(),
    );
    for (const r of records) expect(r.tenant).toEqual({ id: 'acme-corp', name: 'acme-corp' });
  });

  it('maps app installations: origin from the app owner, declared owners judged against membership, tiers escalated on all repositories', () => {
    const scanner = identity(records, 'github-app-installation', '70001');
    expect(scanner).toMatchObject({
      origin: 'internal',
      attributes: { scanner: true },
      owners: [{ id: 'alice', active: true }],
    });
    expect(identity(records, 'github-app-installation', '71001')).toMatchObject({
      displayName: 'Dependabot',
      origin: 'platform',
      owners: [],
    });

    const renovate = identity(records, 'github-app-installation', '71003');
    expect(renovate).toMatchObject({
      displayName: 'Renovate',
      origin: 'third-party',
      publisher: { name: 'mend' },
      enabled: true,
      lastUsed: null,
      owners: [{ id: 'bob', active: true }],
      attributes: {
        appSlug: 'renovate',
        repositorySelection: 'all',
        ownersSource: 'config: github.appOwners',
      },
    });
    expect(renovate.manageUrl).toBe(`${gh.emu.origin}/organizations/acme-corp/settings/installations/71003`);
    expect(tiers(grantsOf(records, '71003'))).toEqual({
      metadata: 'read/all/low',
      contents: 'write/all/critical',
      pull_requests: 'write/all/high',
      workflows: 'write/all/critical',
      issues: 'write/all/medium',
      checks: 'write/all/high',
      statuses: 'write/all/high',
    });
    const contents = grantsOf(records, '71003').find((g) => g.permission.id === 'contents')!;
    expect(contents.risk.reason).toMatch(/all repositories/);
    expect(contents.risk.source).toMatch(/^catalog: github app-permission contents \(write\)/);

    const deployBot = identity(records, 'github-app-installation', '71004');
    expect(deployBot).toMatchObject({ origin: 'internal', owners: [{ id: 'frank', active: false }] });
    expect(tiers(grantsOf(records, '71004'))).toMatchObject({
      secrets: 'write/selected/high',
      environments: 'write/selected/high',
      actions: 'write/selected/high',
      deployments: 'write/selected/medium',
    });
    expect(identity(records, 'github-app-installation', '71005')).toMatchObject({
      origin: 'third-party',
      owners: [],
    });
    // Organisation permissions reach the org, whatever the repository selection.
    const orgGrant = grantsOf(records, '70001').find((g) => g.permission.id === 'members')!;
    expect(orgGrant.target).toMatchObject({ breadth: 'tenant', type: 'organization', id: 'acme-corp' });
  });

  it('maps fine-grained PATs: owner as principal, selected repositories, expiry and last use', () => {
    const legacy = identity(records, 'fine-grained-pat', '81002');
    expect(legacy).toMatchObject({
      displayName: 'legacy-sync',
      origin: 'internal',
      owners: [{ id: 'dave', active: true }],
    });
    expect(legacy.lastUsed?.source).toBe('github:token_last_used_at');
    expect(daysAgo(legacy.lastUsed?.at, now)).toBe(200);
    expect(tiers(grantsOf(records, '81002'))).toEqual({
      metadata: 'read/all/low',
      contents: 'write/all/critical',
    });
    expect(grantsOf(records, '81002')[0]!.principal).toMatchObject({ id: 'dave', active: true });
    expect(credentialsOf(records, '81002')).toEqual([
      expect.objectContaining({ credentialType: 'pat', nativeId: '91002', expiresAt: null, enabled: true }),
    ]);

    const notes = grantsOf(records, '81001');
    expect(notes.map((g) => g.target)).toEqual(
      Array(3).fill(
        expect.objectContaining({
          breadth: 'selected',
          resources: ['acme-corp/api', 'acme-corp/web'],
          count: 2,
        }),
      ),
    );
    expect(daysAgo(credentialsOf(records, '81001')[0]!.expiresAt, now)).toBe(-90);

    const audit = identity(records, 'fine-grained-pat', '81003');
    expect(audit.lastUsed).toEqual({ at: null, source: 'github:token_last_used_at' });
    expect(daysAgo(audit.createdAt, now)).toBe(120);
    expect(tiers(grantsOf(records, '81003'))).toEqual({
      members: 'read/tenant/low',
      organization_administration: 'read/tenant/low',
    });

    const request = identity(records, 'fine-grained-pat-request', '82001');
    expect(request).toMatchObject({
      enabled: false,
      owners: [{ id: 'dave', active: true }],
      attributes: {
        status: 'pending',
        requestedPermissions: { repository: { metadata: 'read', administration: 'write' } },
      },
    });
    expect(grantsOf(records, '82001')).toEqual([]);
  });

  it('maps SAML SSO credential authorizations with scope tiers and credentials', () => {
    const pat = identity(records, 'sso-credential', '61001');
    expect(pat).toMatchObject({
      origin: 'internal',
      owners: [{ id: 'erin', active: true }],
      attributes: { credentialType: 'personal access token' },
    });
    expect(tiers(grantsOf(records, '61001'))).toEqual({
      repo: 'admin/user/critical',
      'admin:org': 'admin/user/critical',
      workflow: 'write/user/critical',
    });
    expect(credentialsOf(records, '61001')).toEqual([
      expect.objectContaining({ credentialType: 'pat', nativeId: '66001', expiresAt: null }),
    ]);
    const ssh = identity(records, 'sso-credential', '61002');
    expect(daysAgo(ssh.lastUsed?.at, now)).toBe(150);
    expect(grantsOf(records, '61002')).toEqual([]);
    expect(credentialsOf(records, '61002')).toEqual([
      expect.objectContaining({ credentialType: 'ssh-key', expiresAt: null }),
    ]);
  });

  it('maps deploy keys: write keys rank critical, added_by judged against membership, never-used keys say so', () => {
    const infra = identity(records, 'deploy-key', 'acme-corp/infra#101');
    expect(infra).toMatchObject({
      displayName: 'terraform-ci',
      owners: [{ id: 'frank', active: false }],
      attributes: { readOnly: false },
    });
    expect(infra.manageUrl).toBe(`${gh.emu.origin}/acme-corp/infra/settings/keys`);
    expect(tiers(grantsOf(records, 'acme-corp/infra#101'))).toEqual({
      'deploy-key': 'write/resource/critical',
    });
    expect(grantsOf(records, 'acme-corp/infra#101')[0]!.target.id).toBe('acme-corp/infra');
    expect(daysAgo(identity(records, 'deploy-key', 'acme-corp/api#102').lastUsed?.at, now)).toBe(400);
    const docs = identity(records, 'deploy-key', 'acme-corp/docs#103');
    expect(docs).toMatchObject({ owners: [], lastUsed: { at: null, source: 'github:deploy_key.last_used' } });
    expect(tiers(grantsOf(records, 'acme-corp/docs#103'))).toEqual({ 'deploy-key': 'read/resource/medium' });
    expect(credentialsOf(records, 'acme-corp/docs#103')).toEqual([
      expect.objectContaining({ credentialType: 'deploy-key', nativeId: '103', expiresAt: null }),
    ]);
  });

  it('maps webhooks to their target host only, never the URL (which carries secrets)', () => {
    const org = identity(records, 'webhook', 'acme-corp#201');
    expect(org.attributes).toMatchObject({
      targetHost: 'hooks.slack.com',
      hasSecret: true,
      insecureSsl: false,
      events: ['push', 'pull_request', 'member'],
    });
    const repo = identity(records, 'webhook', 'acme-corp/web#202');
    expect(repo.attributes).toMatchObject({
      targetHost: 'build.acme-internal.example:8080',
      scheme: 'http',
      insecureSsl: true,
    });
    expect(tiers(grantsOf(records, 'acme-corp/web#202'))).toEqual({ 'event:push': 'read/resource/medium' });
    expect(tiers(grantsOf(records, 'acme-corp#201'))['event:push']).toBe('read/tenant/low');
    const everything = JSON.stringify(records);
    for (const secret of ['xXxSecretPathxXx', 'do-not-store', '********', '-----BEGIN', 'ghs_']) {
      expect(everything).not.toContain(secret);
    }
  });

  it('lists outside collaborators with write or admin access only', () => {
    expect(identity(records, 'outside-collaborator', 'vendor-jane')).toMatchObject({
      origin: 'third-party',
      owners: [],
    });
    expect(tiers(grantsOf(records, 'vendor-jane'))).toEqual({ 'repository-role': 'write/resource/high' });
    expect(identities(records).some((i) => i.nativeId === 'ext-reader')).toBe(false);
  });

  it('counts requests per collector, matching what the emulator served', () => {
    const stats = gh.emu.stats();
    const route = (pattern: string) => stats.routes.find((r) => r.pattern === pattern)?.count ?? 0;
    const byCollector = Object.fromEntries(coverage.collectors.map((c) => [c.collector, c.requests]));
    // The installation token is minted once, before any collector runs (counted for the scan).
    expect(byCollector).toEqual({
      members: 2,
      'app-installations': 1 + 6,
      'pat-grants': 2,
      'pat-requests': 1,
      'sso-credentials': 1,
      'org-webhooks': 1,
      repositories: 1,
      'deploy-keys': 1 + 3,
      'outside-collaborators': 2,
      'repo-webhooks': 5,
    });
    expect(coverage.requests).toBe(stats.total);
    expect(stats.total).toBe(27);
    expect(route('/api/v3/app/installations/{installation_id}/access_tokens')).toBe(1);
    expect(route('/api/graphql')).toBe(2);
    // Deploy keys: GraphQL found the 3 repositories with keys; REST was asked about those only.
    expect(route('/api/v3/repos/{owner}/{repo}/keys')).toBe(3);
    expect(stats.routes.every((r) => Object.keys(r.statuses).every((s) => s.startsWith('2')))).toBe(true);
  });

  it('sees grants added, widened and removed in the changed world', async () => {
    gh.emu.setWorld(CHANGED);
    try {
      const { records: after, coverage: cov } = await gh.scan();
      expect(cov.status).toBe('complete');
      const ids = new Set(identities(after).map((i) => `${i.kind}:${i.nativeId}`));
      expect(ids.has('github-app-installation:71006')).toBe(true);
      expect(ids.has('deploy-key:acme-corp/docs#103')).toBe(false);
      expect(ids.has('webhook:acme-corp#201')).toBe(false);
      expect(tiers(grantsOf(after, '71005'))).toMatchObject({
        checks: 'write/all/high',
        contents: 'read/all/medium',
      });
      expect(tiers(grantsOf(after, '81001'))).toMatchObject({ contents: 'write/selected/high' });
    } finally {
      gh.emu.setWorld(WORLD);
    }
  });
  it('keeps no token suffix anywhere: not in raw, not in attributes', async () => {
    // The demo's classic PAT has a suffix; add an OAuth app token with one too.
    const world = structuredClone(loadWorld(WORLD));
    const github = world.platforms.github as GithubSectionInput;
    github.credential_authorizations = [
      ...(github.credential_authorizations ?? []),
      {
        credential_id: 61099,
        login: 'bob',
        credential_type: 'OAuth app token',
        token_last_eight: 'c0ffee42',
        credential_authorized_at: 'now-10d',
        scopes: ['read:org'],
      },
    ];
    const suffixes = github.credential_authorizations
      .map((c) => c.token_last_eight)
      .filter((s): s is string => Boolean(s));
    expect(suffixes.sort()).toEqual(['3f9a7c21', 'c0ffee42']);
    gh.emu.setWorld(world);
    try {
      const { records: scanned } = await gh.scan();
      const tokens = identities(scanned).filter((i) => i.kind === 'sso-credential');
      expect(tokens.map((i) => i.nativeId).sort()).toEqual(['61001', '61002', '61099']);
      for (const r of scanned) {
        const kept = JSON.stringify([r.raw, r.attributes]);
        for (const suffix of suffixes)
          expect(kept, `${r.type} ${JSON.stringify(r).slice(0, 80)}`).not.toContain(suffix);
        expect(kept).not.toMatch(/last_?eight/i);
      }
      expect(JSON.stringify(scanned)).not.toMatch(/3f9a7c21|c0ffee42/);
    } finally {
      gh.emu.setWorld(WORLD);
    }
  });
});
