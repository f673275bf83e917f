import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import { buildState, iterate } from '../../src/emulator/github/state.js';
import { parseGithubSection } from '../../src/emulator/github/world.js';
import { loadWorld, resolveRelativeDates } from '../../src/emulator/world.js';
import type { Identity, ModelRecord } from '../../src/model/index.js';
import { type EmulatedGithub, emulatedGithub } from '../../test/support/emulated-github.js';

const WORLD = new URL('../../fixtures/worlds/test/github-generated.yaml', import.meta.url).pathname;

describe('GitHub connector on a generated org (several pages of everything)', () => {
  let gh: EmulatedGithub;
  let records: ModelRecord[];
  let coverage: CoverageReport;
  // The world's truth, computed by the generator independently of the scan.
  const truth = (() => {
    const now = new Date();
    const world = loadWorld(WORLD);
    const state = buildState(
      parseGithubSection(resolveRelativeDates(world.platforms.github, now), WORLD),
      now,
    );
    const repos = [...iterate(state.repos)];
    const keys = repos.flatMap((r) => r.deploy_keys.map((k) => `big-corp/${r.name}#${k.id}`));
    const hooks = repos.flatMap((r) => r.hooks.map((h) => `big-corp/${r.name}#${h.id}`));
    const writers = new Set(
      repos.flatMap((r) => r.collaborators.filter((c) => c.permission === 'write').map((c) => c.login)),
    );
    return {
      repos: repos.length,
      keys,
      hooks,
      reposWithKeys: repos.filter((r) => r.deploy_keys.length > 0).length,
      writers,
    };
  })();

  beforeAll(async () => {
    gh = await emulatedGithub(WORLD);
    ({ records, coverage } = await gh.scan());
  });
  afterAll(() => gh.stop());

  const ids = (kind: string) =>
    records.filter((r): r is Identity => r.type === 'identity' && r.kind === kind).map((i) => i.nativeId);
  const route = (pattern: string) => gh.emu.stats().routes.find((r) => r.pattern === pattern)?.count ?? 0;

  it('follows Link headers through every page, 100 items per page', () => {
    expect(coverage.status).toBe('complete');
    expect(ids('github-app-installation')).toHaveLength(131);
    expect(new Set(ids('github-app-installation')).size).toBe(131);
    expect(route('/api/v3/orgs/{org}/installations')).toBe(2);
    expect(ids('fine-grained-pat')).toHaveLength(120);
    expect(route('/api/v3/orgs/{org}/personal-access-tokens')).toBe(2);
    expect(coverage.collectors.find((c) => c.collector === 'repositories')?.items).toBe(250);
    expect(route('/api/v3/orgs/{org}/repos')).toBe(3);
    // Owners (4) on one page, the other 226 members on three.
    expect(route('/api/v3/orgs/{org}/members')).toBe(4);
    expect(coverage.collectors.find((c) => c.collector === 'members')?.items).toBe(230);
  });

  it('finds every deploy key with one GraphQL query per 100 repositories plus REST only where keys exist', () => {
    expect(truth.keys.length).toBeGreaterThan(5);
    expect(ids('deploy-key').sort()).toEqual([...truth.keys].sort());
    expect(route('/api/v3/repos/{owner}/{repo}/keys')).toBe(truth.reposWithKeys);
    const deployKeys = coverage.collectors.find((c) => c.collector === 'deploy-keys')!;
    expect(deployKeys.requests).toBe(3 + truth.reposWithKeys);
  });

  it('finds repository webhooks and outside collaborators with write access across pages', () => {
    expect(
      ids('webhook')
        .filter((id) => id.includes('/'))
        .sort(),
    ).toEqual([...truth.hooks].sort());
    expect(ids('webhook').filter((id) => !id.includes('/'))).toHaveLength(3);
    expect(route('/api/v3/repos/{owner}/{repo}/hooks')).toBe(250);
    expect(new Set(ids('outside-collaborator'))).toEqual(truth.writers);
  });
});
