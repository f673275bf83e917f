import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import type { GithubSectionInput } from '../../src/emulator/github/world.js';
import { loadWorld, type World } from '../../src/emulator/world.js';
import type { ModelRecord } from '../../src/model/index.js';
import { type EmulatedGithub, emulatedGithub } from '../../test/support/emulated-github.js';

/**
 * A repository's child list (deploy keys, hooks, collaborators) that answers 404 or NOT_FOUND while
 * the repository still exists fails its collector, so the engine carries its records over instead of
 * reporting them removed: on GitHub a 404 there can also mean a missing permission, and a 404 can be
 * transient. Only a repository that is gone (its lookup does not resolve either) takes its children
 * with it.
 */
const WORLD = new URL('../../fixtures/worlds/test/github-demo.yaml', import.meta.url).pathname;

const collector = (coverage: CoverageReport, name: string) =>
  coverage.collectors.find((c) => c.collector === name)!;
const ids = (records: ModelRecord[], kind: string) =>
  records
    .filter((r) => r.type === 'identity' && r.kind === kind)
    .map((r) => (r as { nativeId: string }).nativeId)
    .sort();

/** The demo world without repository `name` (deleted). */
function without(name: string): World {
  const w = structuredClone(loadWorld(WORLD));
  const g = w.platforms.github as GithubSectionInput;
  g.repos = g.repos?.filter((r) => r.name !== name);
  return w;
}

/** GitHub's GraphQL answer for a repository that does not resolve, as alias `r0`. */
const notResolved = (fullName: string) => ({
  data: { r0: null },
  errors: [
    {
      type: 'NOT_FOUND',
      path: ['r0'],
      locations: [{ line: 1, column: 60 }],
      message: `Could not resolve to a Repository with the name '${fullName}'.`,
    },
  ],
});

describe('GitHub child lists: a 404 while the repository exists is a failure, a deleted repository is not', () => {
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

  it('fails deploy-keys when /keys answers 404 for a repository that still exists', async () => {
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/repos/acme-corp/infra/keys',
      times: 1,
      action: { kind: 'status', status: 404, body: { message: 'Not Found', status: '404' } },
    });
    const { coverage, records } = await gh.scan();
    expect(collector(coverage, 'deploy-keys')).toMatchObject({
      status: 'failed',
      httpStatus: 404,
      api: 'GET /repos/{owner}/{repo}/keys',
    });
    expect(collector(coverage, 'deploy-keys').reason).toMatch(
      /not found for 1 repository that still exist \(acme-corp\/infra\).*administration: read/,
    );
    // Nothing of the collector is emitted: the engine carries all its records over.
    expect(ids(records, 'deploy-key')).toEqual([]);
    expect(coverage.status).toBe('incomplete');
    for (const c of coverage.collectors.filter((x) => x.collector !== 'deploy-keys')) {
      expect(c.status, c.collector).toBe('complete');
    }
  });

  it('drops the keys of a repository deleted while the scan read them, and completes', async () => {
    const before = await gh.scan();
    expect(ids(before.records, 'deploy-key')).toEqual([
      'acme-corp/api#102',
      'acme-corp/docs#103',
      'acme-corp/infra#101',
    ]);
    // The repository is deleted while its /keys request is in flight: GitHub answers 404, and the
    // repository no longer resolves.
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/repos/acme-corp/infra/keys',
      times: 1,
      action: { kind: 'latency', ms: 300 },
    });
    const scanning = gh.scan();
    await vi.waitFor(() => expect(gh.emu.faults.list()[0]!.applied).toBe(1), {
      timeout: 10_000,
      interval: 5,
    });
    gh.emu.setWorld(without('infra'));
    const { coverage, records } = await scanning;
    expect(coverage.status).toBe('complete');
    expect(ids(records, 'deploy-key')).toEqual(['acme-corp/api#102', 'acme-corp/docs#103']);
    expect(collector(coverage, 'deploy-keys').notes).toContain(
      '1 repositories were deleted while scanning (no longer found): acme-corp/infra',
    );
    // Collectors that reached the repository after it was gone say so too, and complete.
    expect(collector(coverage, 'repo-webhooks').notes.join('\n')).toMatch(
      /deleted while scanning.*acme-corp\/infra/,
    );
  });

  it('drops the keys of a repository whose lookup no longer resolves after /keys answered 404', async () => {
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/repos/acme-corp/infra/keys',
      times: 1,
      action: { kind: 'status', status: 404, body: { message: 'Not Found', status: '404' } },
    });
    // GraphQL: the deploy-key counts pass; the parent lookup that follows the 404 does not resolve.
    gh.emu.faults.add({
      service: 'github',
      path: '/api/graphql',
      skip: 1,
      times: 1,
      action: { kind: 'status', status: 200, body: notResolved('acme-corp/infra') },
    });
    const { coverage, records } = await gh.scan();
    expect(collector(coverage, 'deploy-keys').status).toBe('complete');
    expect(ids(records, 'deploy-key')).toEqual(['acme-corp/api#102', 'acme-corp/docs#103']);
  });

  it('fails deploy-keys when the GraphQL key count says NOT_FOUND for a repository that still exists', async () => {
    gh.emu.faults.add({
      service: 'github',
      path: '/api/graphql',
      times: 1,
      action: {
        kind: 'status',
        status: 200,
        body: {
          data: {
            r0: null,
            ...Object.fromEntries(
              ['api', 'infra', 'docs', 'mobile'].map((n, i) => [
                `r${i + 1}`,
                { nameWithOwner: `acme-corp/${n}`, deployKeys: { totalCount: n === 'mobile' ? 0 : 1 } },
              ]),
            ),
          },
          errors: notResolved('acme-corp/web').errors,
        },
      },
    });
    const { coverage, records } = await gh.scan();
    expect(collector(coverage, 'deploy-keys')).toMatchObject({ status: 'failed', httpStatus: 404 });
    expect(collector(coverage, 'deploy-keys').reason).toMatch(/still exist \(acme-corp\/web\)/);
    expect(ids(records, 'deploy-key')).toEqual([]);
  });

  it('fails repo-webhooks when /hooks answers 404 for a repository that still exists', async () => {
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/repos/acme-corp/web/hooks',
      times: 1,
      action: { kind: 'status', status: 404, body: { message: 'Not Found', status: '404' } },
    });
    const { coverage, records } = await gh.scan();
    expect(collector(coverage, 'repo-webhooks')).toMatchObject({
      status: 'failed',
      httpStatus: 404,
      api: 'GET /repos/{owner}/{repo}/hooks',
    });
    expect(collector(coverage, 'repo-webhooks').reason).toMatch(/acme-corp\/web.*repository_hooks: read/);
    expect(ids(records, 'webhook')).toEqual(['acme-corp#201']);
  });

  it('fails outside-collaborators when a repository’s collaborators say NOT_FOUND while it exists', async () => {
    const names = ['web', 'api', 'infra', 'docs', 'mobile'];
    const none = { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] };
    gh.emu.faults.add({
      service: 'github',
      path: '/api/graphql',
      // After the deploy-key counts: the collaborators query.
      skip: 1,
      times: 1,
      action: {
        kind: 'status',
        status: 200,
        body: {
          data: Object.fromEntries(
            names.map((n, i) => [
              `r${i}`,
              n === 'web' ? null : { nameWithOwner: `acme-corp/${n}`, collaborators: none },
            ]),
          ),
          errors: notResolved('acme-corp/web').errors,
        },
      },
    });
    const { coverage, records } = await gh.scan();
    expect(collector(coverage, 'outside-collaborators')).toMatchObject({ status: 'failed', httpStatus: 404 });
    expect(collector(coverage, 'outside-collaborators').reason).toMatch(/still exist \(acme-corp\/web\)/);
    expect(ids(records, 'outside-collaborator')).toEqual([]);
  });

  it('drops the collaborators of a repository deleted before the collaborators query', async () => {
    const before = await gh.scan();
    expect(ids(before.records, 'outside-collaborator')).toEqual(['vendor-jane']);
    // Deleted once deploy keys were read (the last /keys request): web is gone for the rest of the scan.
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/repos/acme-corp/infra/keys',
      times: 1,
      action: { kind: 'latency', ms: 300 },
    });
    const scanning = gh.scan();
    await vi.waitFor(() => expect(gh.emu.faults.list()[0]!.applied).toBe(1), {
      timeout: 10_000,
      interval: 5,
    });
    gh.emu.setWorld(without('web'));
    const { coverage, records } = await scanning;
    expect(coverage.status).toBe('complete');
    // vendor-jane's write access was on web only; with web gone, she has none.
    expect(ids(records, 'outside-collaborator')).toEqual([]);
    expect(collector(coverage, 'outside-collaborators').notes.join('\n')).toMatch(
      /deleted while scanning.*acme-corp\/web/,
    );
  });
});
