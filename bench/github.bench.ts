import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadWorld, type World } from '@grantscope/emulator';
import { createGithubClient } from '../connectors/github/client.js';
import { GithubConfig } from '../connectors/github/config.js';
import github from '../connectors/github/index.js';
import { DeployKey, MinimalRepository } from '../connectors/github/schema.js';
import { createTestContext } from '../test/support/connector-context.js';
import { emulatedGithub } from '../test/support/emulated-github.js';

/**
 * GitHub connector numbers: requests and wall time for the demo org, and for a generated org of
 * 5,000 repositories (deploy keys on some) compared with the naive one REST call per repository.
 * Everything runs against the local emulator through the real Octokit + App auth flow, so times
 * show the connector's own cost (and Octokit's pacing), not GitHub's latency.
 *
 * Run: `npm run build && node dist/bench/github.bench.js` (or through the bench harness).
 */
export interface BenchRow {
  name: string;
  metric: string;
  value: number;
  unit?: string;
  target?: string;
}

const REPOS = Number(process.env.GRANTSCOPE_BENCH_GITHUB_REPOS ?? 5000);

/** fixtures/ next to the sources or the compiled output (dist/bench → ../../fixtures). */
function fixture(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'fixtures', rel);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`fixture not found: ${rel}`);
}

function generatedWorld(repos: number): World {
  const world = structuredClone(loadWorld(fixture('worlds/test/github-generated.yaml')));
  const section = world.platforms.github as Record<string, unknown>;
  section.generate = {
    seed: 42,
    repos,
    deploy_key_ratio: 0.03,
    hook_ratio: 0.02,
    collaborator_ratio: 0,
    users: 300,
    outside_collaborators: 0,
    installations: 40,
    pat_grants: 60,
    org_hooks: 3,
  };
  section.rate_limit = { core: { limit: 50_000 }, graphql: { limit: 5000 } };
  return world;
}

export default async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];

  // 1. The demo org.
  {
    const gh = await emulatedGithub(fixture('worlds/test/github-demo.yaml'));
    try {
      gh.emu.resetStats();
      const t = performance.now();
      const { coverage, records } = await gh.scan();
      const ms = performance.now() - t;
      rows.push(
        { name: 'github demo org', metric: 'requests', value: coverage.requests },
        { name: 'github demo org', metric: 'wall time', value: Math.round(ms), unit: 'ms' },
        { name: 'github demo org', metric: 'records', value: records.length },
      );
    } finally {
      await gh.stop();
    }
  }

  // 2. A generated org: the full scan, then the naive deploy-key baseline on the same emulator.
  const gh = await emulatedGithub(generatedWorld(REPOS));
  try {
    gh.emu.resetStats();
    const t = performance.now();
    const { coverage, records } = await gh.scan();
    const ms = performance.now() - t;
    const org = `github generated org (${REPOS} repos)`;
    const by = (name: string) => coverage.collectors.find((c) => c.collector === name)!;
    const keyIdentities = records.filter((r) => r.type === 'identity' && r.kind === 'deploy-key').length;
    const dk = by('deploy-keys');
    const dkMs = Date.parse(dk.finishedAt!) - Date.parse(dk.startedAt!);
    rows.push(
      { name: org, metric: 'scan requests (all collectors)', value: coverage.requests },
      { name: org, metric: 'scan wall time', value: Math.round(ms), unit: 'ms' },
      { name: org, metric: 'repository list requests', value: by('repositories').requests },
      {
        name: org,
        metric: 'deploy-key requests (GraphQL batches + REST where keys exist)',
        value: dk.requests,
      },
      { name: org, metric: 'deploy-key time', value: dkMs, unit: 'ms' },
      { name: org, metric: 'deploy keys found', value: keyIdentities },
      {
        name: org,
        metric: 'repo-webhook requests (one per repository; no bulk API)',
        value: by('repo-webhooks').requests,
      },
      {
        name: org,
        metric: 'repo-webhook time',
        value: Date.parse(by('repo-webhooks').finishedAt!) - Date.parse(by('repo-webhooks').startedAt!),
        unit: 'ms',
      },
      {
        name: org,
        metric: 'heap used after scan (emulator and scanner in one process)',
        value: Math.round(process.memoryUsage().heapUsed / 1e6),
        unit: 'MB',
      },
    );

    // Naive: one REST call per repository for deploy keys.
    const ctx = await createTestContext({
      connector: github,
      tenant: 'big-corp',
      caCert: gh.emu.caCert,
      configDir: gh.dir,
      http: { retry: { baseDelayMs: 1 } },
    });
    const client = await createGithubClient(GithubConfig.parse(gh.config), ctx);
    const repos: MinimalRepository[] = [];
    for await (const r of client.list('GET /orgs/{org}/repos', { org: 'big-corp' }, MinimalRepository))
      repos.push(r);
    gh.emu.resetStats();
    const t2 = performance.now();
    let naiveKeys = 0;
    await Promise.all(
      repos.map((r) =>
        ctx.limit(async () => {
          for await (const _k of client.list(
            'GET /repos/{owner}/{repo}/keys',
            { owner: r.owner.login, repo: r.name },
            DeployKey,
          ))
            naiveKeys += 1;
        }),
      ),
    );
    const naiveMs = performance.now() - t2;
    const naiveRequests = gh.emu
      .stats()
      .routes.filter((x) => x.pattern === '/api/v3/repos/{owner}/{repo}/keys')
      .reduce((n, x) => n + x.count, 0);
    rows.push(
      { name: org, metric: 'naive deploy-key requests (one REST call per repository)', value: naiveRequests },
      { name: org, metric: 'naive deploy-key time', value: Math.round(naiveMs), unit: 'ms' },
      { name: org, metric: 'naive deploy keys found', value: naiveKeys },
      {
        name: org,
        metric: 'deploy-key request reduction vs naive',
        value: Math.round((naiveRequests / Math.max(1, dk.requests)) * 10) / 10,
        unit: 'x',
      },
      {
        // GitHub's documented secondary limit: 900 points/min for REST (1 point per GET), 2,000 for GraphQL.
        name: org,
        metric: 'minimum minutes at GitHub secondary limits, naive deploy keys (REST 900/min)',
        value: Math.round((naiveRequests / 900) * 10) / 10,
        unit: 'min',
      },
    );
  } finally {
    await gh.stop();
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bench().then(
    (rows) => console.table(rows),
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
