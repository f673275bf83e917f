/**
 * The `workers` task: tenants scanned per minute by 1, 2 and 4 `grantscope worker` processes sharing one
 * PostgreSQL database (a throwaway cluster, as the tests start), over the same generated GitHub
 * organisations. Each organisation is served by its own emulator with the realistic limits
 * (REALISTIC_LIMITS: 100 ms latency, GitHub's primary and secondary quotas), so each tenant's requests are
 * paced to its own quota, as they are on GitHub where every organisation's installation has its own. A
 * row counts the requests the emulators refused: the quotas must be kept at every worker count.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createEmulatorKeys,
  loadWorld,
  REALISTIC_LIMITS,
  type RunningEmulator,
  startEmulator,
} from '@grantscope/emulator';
import { startPostgres } from '../test/support/postgres.js';
import { cliBin, repoRoot, runCli } from './processes.js';
import { type ResultRow, row } from './results.js';

const WORKER_COUNTS = [1, 2, 4] as const;
const TASK = 'workers';

/** `GS_BENCH_WORKER_TENANTS`, default 24: enough for 4 workers to share, small enough for a 2-core machine. */
function tenantCount(): number {
  const n = Number(process.env.GS_BENCH_WORKER_TENANTS ?? 24);
  if (!Number.isInteger(n) || n < 4)
    throw new Error(`GS_BENCH_WORKER_TENANTS must be a whole number >= 4, not ${n}`);
  return n;
}

async function startTenants(dir: string, count: number): Promise<RunningEmulator[]> {
  const base = loadWorld(join(repoRoot(), 'fixtures', 'worlds', 'test', 'github-generated.yaml'));
  const keys = createEmulatorKeys();
  const emulators: RunningEmulator[] = [];
  const sections: unknown[] = [];
  mkdirSync(join(dir, 'keys'), { recursive: true });
  for (let i = 0; i < count; i++) {
    const world = structuredClone(base);
    const github = world.platforms.github as Record<string, Record<string, unknown>>;
    const login = `bench-${String(i).padStart(3, '0')}`;
    github.org = { ...github.org, login, id: 6_400_000 + i };
    // Octokit caches installation tokens by installation id: one per organisation.
    github.app = { ...github.app, id: 920_000 + i, installation_id: 90_000 + i };
    github.generate = {
      seed: 2000 + i,
      repos: 10,
      users: 12,
      outside_collaborators: 2,
      installations: 6,
      pat_grants: 4,
      org_hooks: 1,
    };
    const emu = await startEmulator({ world, keys, limits: REALISTIC_LIMITS });
    emulators.push(emu);
    const setup = emu.clientSetup();
    const section = setup.config.github as { app: Record<string, unknown> };
    const keyFile = `keys/${login}.pem`;
    writeFileSync(join(dir, keyFile), Object.values(setup.files)[0]!, { mode: 0o600 });
    sections.push({ ...section, app: { ...section.app, privateKeyFile: keyFile } });
  }
  writeFileSync(join(dir, 'ca.pem'), emulators[0]!.caCert);
  writeFileSync(
    join(dir, 'grantscope.yaml'),
    `tls: { caFile: ca.pem }\ngithub: ${JSON.stringify(sections)}\n`,
  );
  return emulators;
}

/** Spawn `workers` drained workers; resolve with the wall time until the last one exits, or reject. */
async function drain(dir: string, env: NodeJS.ProcessEnv, workers: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from(
      { length: workers },
      () =>
        new Promise<void>((done, fail) => {
          const child = spawn(
            process.execPath,
            [cliBin(), 'worker', '-c', 'grantscope.yaml', '--drain', '--poll', '0.5', '-q'],
            {
              cwd: dir,
              env: { ...process.env, NO_COLOR: '1', ...env },
              stdio: ['ignore', 'ignore', 'pipe'],
            },
          );
          let stderr = '';
          child.stderr!.on('data', (b: Buffer) => (stderr += b));
          child.on('close', (code) =>
            code === 0 ? done() : fail(new Error(`worker exited ${code}: ${stderr.slice(0, 300)}`)),
          );
        }),
    ),
  );
  return (performance.now() - started) / 1000;
}

export async function workerScalingRows(dir: string): Promise<ResultRow[]> {
  const tenants = tenantCount();
  const cluster = await startPostgres();
  const emulators = await startTenants(dir, tenants).catch(async (err: unknown) => {
    await cluster.stop();
    throw err;
  });
  const rows: ResultRow[] = [];
  const perMinute = new Map<number, number>();
  try {
    for (const workers of WORKER_COUNTS) {
      const url = await cluster.createDatabase(`bench_workers_${workers}`);
      const env = { GRANTSCOPE_DATABASE_URL: url };
      for (const emu of emulators) emu.resetStats();
      const enqueued = await runCli(
        ['enqueue', '-c', 'grantscope.yaml', '--round', `bench-${workers}`, '-q'],
        {
          cwd: dir,
          env,
        },
      );
      if (enqueued.exitCode !== 0) throw new Error(`enqueue exited ${enqueued.exitCode}: ${enqueued.stderr}`);
      const seconds = await drain(dir, env, workers);
      const jobs = await runCli(['jobs', '-c', 'grantscope.yaml', '--format', 'json'], { cwd: dir, env });
      const counts = (JSON.parse(jobs.stdout) as { counts: Record<string, number> }).counts;
      if (counts.done !== tenants + 1)
        throw new Error(
          `${workers} workers: ${counts.done} jobs done of ${tenants} scans and 1 round (${jobs.stdout.slice(0, 200)})`,
        );
      const refused = emulators.reduce((n, e) => n + (e.stats().limits?.github?.refused ?? 0), 0);
      const requests = emulators.reduce((n, e) => n + (e.stats().limits?.github?.requests ?? 0), 0);
      const rate = (tenants / seconds) * 60;
      perMinute.set(workers, rate);
      rows.push(
        row(
          TASK,
          `${workers} worker${workers > 1 ? 's' : ''}: tenants per minute`,
          Math.round(rate * 10) / 10,
          {
            unit: '/min',
            note: `${tenants} GitHub orgs, ${requests} requests at 100 ms latency in ${seconds.toFixed(1)} s`,
          },
        ),
        row(TASK, `${workers} worker${workers > 1 ? 's' : ''}: requests refused by a quota`, refused, {
          target: { op: '<=', value: 0 },
        }),
      );
    }
    rows.push(
      row(
        TASK,
        'speed-up, 4 workers over 1',
        Math.round(((perMinute.get(4) ?? 0) / (perMinute.get(1) ?? 1)) * 100) / 100,
        {
          unit: 'x',
          note: 'one machine: the workers share its cores',
        },
      ),
    );
  } finally {
    await Promise.all(emulators.map((e) => e.stop()));
    await cluster.stop();
  }
  return rows;
}
