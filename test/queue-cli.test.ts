import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CONNECTOR, runCli, tempDir } from './support/cli.js';
import { type PostgresCluster, postgresAvailable, testPostgres } from './support/postgres.js';

/**
 * `grantscope enqueue` and `grantscope worker` end to end on a throwaway PostgreSQL server, with the
 * test connector (three tenants of a made-up platform): what is queued, what a worker runs, and what
 * the SQLite path says.
 */
const TENANTS = ['t1', 't2', 't3'];

function writeSetup(dir: string, extra: string[] = []): void {
  const records = {
    identities: [
      { kind: 'oauth-app', nativeId: 'app-1', displayName: 'Exporter', origin: 'third-party', raw: {} },
    ],
    grants: [
      {
        identity: { kind: 'oauth-app', nativeId: 'app-1' },
        permission: { id: 'admin', name: 'admin', access: 'admin' },
        target: { breadth: 'tenant', type: 'workspace' },
        risk: { tier: 'critical', reason: 'full admin' },
      },
    ],
    credentials: [],
  };
  writeFileSync(join(dir, 'records.json'), JSON.stringify(records));
  const lines = [
    'database: grantscope.db',
    `plugins: [${JSON.stringify(FAKE_CONNECTOR)}]`,
    'acme-saas:',
    ...TENANTS.flatMap((t) => [`  - tenant: ${t}`, '    recordsFile: records.json']),
    ...extra,
  ];
  writeFileSync(join(dir, 'grantscope.yaml'), `${lines.join('\n')}\n`);
}

if (!postgresAvailable) void testPostgres();

describe('queue commands on SQLite', () => {
  it('enqueue refuses a SQLite database, naming the key to set', async () => {
    const dir = tempDir();
    writeSetup(dir);
    const r = await runCli(['enqueue', '-c', 'grantscope.yaml'], {
      cwd: dir,
      env: { GRANTSCOPE_DATABASE_URL: '' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs a PostgreSQL database');
    expect(r.stderr).toContain('database: postgres://');
    expect(r.stderr).toContain('GRANTSCOPE_DATABASE_URL');
    const w = await runCli(['worker', '-c', 'grantscope.yaml', '--drain'], {
      cwd: dir,
      env: { GRANTSCOPE_DATABASE_URL: '' },
    });
    expect(w.code).toBe(2);
    expect(w.stderr).toContain('grantscope worker needs a PostgreSQL database');
  }, 60_000);
});

describe.runIf(postgresAvailable)('queue commands on PostgreSQL', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = (await testPostgres())!;
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('queues one job per tenant, never twice while one waits; a worker drains them into one scan each', async () => {
    const url = await cluster.createDatabase(`gs_queue_cli_${process.pid}`);
    const dir = tempDir();
    writeSetup(dir);
    const env = { GRANTSCOPE_DATABASE_URL: url };
    const first = await runCli(['enqueue', '-c', 'grantscope.yaml', '--round', 'r1', '--format', 'json'], {
      cwd: dir,
      env,
    });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const queued = JSON.parse(first.stdout) as {
      round: string;
      jobs: Array<{ tenant: string; jobId: string | null }>;
    };
    expect(queued.round).toBe('r1');
    expect(queued.jobs.map((j) => j.tenant).sort()).toEqual(TENANTS);
    expect(queued.jobs.every((j) => typeof j.jobId === 'string')).toBe(true);

    // Again while they wait: the singleton key refuses a second job for the same tenant.
    const again = await runCli(
      ['enqueue', '-c', 'grantscope.yaml', '--round', 'r1b', '--tenant', 'acme-saas:t2', '--format', 'json'],
      {
        cwd: dir,
        env,
      },
    );
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as { jobs: Array<{ jobId: string | null }> }).jobs).toEqual([
      expect.objectContaining({ tenant: 't2', jobId: null }),
    ]);
    expect(again.stderr).toContain('already had a job waiting');

    const bad = await runCli(['enqueue', '-c', 'grantscope.yaml', '--tenant', 'nope'], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--tenant: not configured');

    const worker = await runCli(
      ['worker', '-c', 'grantscope.yaml', '--drain', '--poll', '0.2', '--format', 'json'],
      {
        cwd: dir,
        env,
      },
    );
    expect(worker.stderr).toBe('');
    expect(worker.code).toBe(0);
    const reports = worker.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const scans = reports.filter((r) => r.queue === 'grantscope-scan');
    expect(scans.map((r) => r.tenant).sort()).toEqual(TENANTS.map((t) => `acme-saas:${t}`));
    expect(scans.every((r) => r.outcome === 'completed' && r.round === 'r1')).toBe(true);
    // The round ended: its one round job ran after the three scans.
    const rounds = reports.filter((r) => r.queue === 'grantscope-round');
    expect(rounds).toEqual([expect.objectContaining({ round: 'r1', outcome: 'completed' })]);

    const client = new pg.Client(url);
    await client.connect();
    try {
      const { rows } = await client.query<{ source: string; n: number }>(
        `SELECT ss.source, count(*)::int AS n FROM scan_sources ss JOIN scans s ON s.id = ss.scan_id
          WHERE s.status = 'complete' GROUP BY ss.source ORDER BY ss.source`,
      );
      expect(rows).toEqual(TENANTS.map((t) => ({ source: `acme-saas:${t}`, n: 1 })));
    } finally {
      await client.end();
    }

    // The scans are the store's like any other: findings answers for each tenant.
    const findings = await runCli(['findings', '-c', 'grantscope.yaml', '--format', 'json'], {
      cwd: dir,
      env,
    });
    expect(findings.code).toBe(0);
  }, 120_000);
});
