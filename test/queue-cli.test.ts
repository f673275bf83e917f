import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../src/log/logger.js';
import { openQueue } from '../src/queue/open-queue.js';
import { FAKE_CONNECTOR, runCli, tempDir } from './support/cli.js';
import { postgresAvailable, testPostgres } from './support/postgres.js';
import { clusterForTests } from './support/postgres-hooks.js';

/**
 * `grantscope enqueue` and `grantscope worker` end to end on a throwaway PostgreSQL server, with the
 * test connector (three tenants of a made-up platform): what is queued, what a worker runs, and what
 * the SQLite path says.
 */
const TENANTS = ['t1', 't2', 't3'];

function writeSetup(
  dir: string,
  tenants: readonly string[] = TENANTS,
  file = 'grantscope.yaml',
  holdUntilFile?: string,
): void {
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
    ...tenants.flatMap((t) => [
      `  - tenant: ${t}`,
      '    recordsFile: records.json',
      ...(holdUntilFile ? [`    holdUntilFile: ${holdUntilFile}`] : []),
    ]),
  ];
  writeFileSync(join(dir, file), `${lines.join('\n')}\n`);
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
  const cluster = clusterForTests();

  it('queues one job per tenant, never twice while one waits; a worker drains them into one scan each', async () => {
    const url = await cluster().createDatabase(`gs_queue_cli_${process.pid}`);
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
    expect(again.stderr).toContain('still have a job queued or running');

    const bad = await runCli(['enqueue', '-c', 'grantscope.yaml', '--tenant', 'nope'], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--tenant: not configured');

    const waiting = await runCli(['jobs', '-c', 'grantscope.yaml', '--format', 'json'], { cwd: dir, env });
    expect(waiting.code).toBe(0);
    const before = JSON.parse(waiting.stdout) as {
      counts: Record<string, number>;
      jobs: Array<Record<string, unknown>>;
    };
    expect(before.counts).toEqual({ queued: 3, running: 0, done: 0, failed: 0, cancelled: 0 });
    expect(before.jobs.map((j) => [j.state, j.tenant, j.attempt]).sort()).toEqual(
      TENANTS.map((t) => ['queued', `acme-saas:${t}`, 0]),
    );

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
    // The last line sums up what this worker ran.
    expect(reports.at(-1)).toEqual({ summary: { done: 4, incomplete: 0, retried: 0, failed: 0 } });

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

    const after = await runCli(['jobs', '-c', 'grantscope.yaml', '--round', 'r1', '--format', 'json'], {
      cwd: dir,
      env,
    });
    const done = JSON.parse(after.stdout) as {
      counts: Record<string, number>;
      jobs: Array<Record<string, unknown>>;
    };
    expect(done.counts).toEqual({ queued: 0, running: 0, done: 4, failed: 0, cancelled: 0 });
    const scanIds = done.jobs
      .filter((j) => j.kind === 'scan')
      .map((j) => (j.output as { scanId: number }).scanId);
    expect(scanIds.sort()).toEqual([1, 2, 3]);
    const table = await runCli(['jobs', '-c', 'grantscope.yaml', '--width', '200'], { cwd: dir, env });
    expect(table.stdout).toContain('round end');
    expect(table.stdout).toMatch(/scan #\d complete/);
    expect(table.stdout).toContain('0 queued, 0 running, 4 done, 0 failed, 0 cancelled');

    // The scans are the store's like any other: findings answers for each tenant.
    const findings = await runCli(['findings', '-c', 'grantscope.yaml', '--format', 'json'], {
      cwd: dir,
      env,
    });
    expect(findings.code).toBe(0);
  }, 120_000);

  it('fails after its retries, and jobs shows why', async () => {
    const url = await cluster().createDatabase(`gs_queue_fail_${process.pid}`);
    const dir = tempDir();
    const env = { GRANTSCOPE_DATABASE_URL: url };
    writeSetup(dir, ['t1', 't9']);
    // The worker's config lacks t9: every worker needs the config the round was queued from.
    writeSetup(dir, ['t1'], 'worker.yaml');
    const enq = await runCli(['enqueue', '-c', 'grantscope.yaml', '--retries', '1', '--retry-delay', '0'], {
      cwd: dir,
      env,
    });
    expect(enq.code).toBe(0);
    expect(enq.stdout).toContain('round ');
    const worker = await runCli(['worker', '-c', 'worker.yaml', '--drain', '--poll', '0.2'], {
      cwd: dir,
      env,
    });
    // A job failed for good: --drain says so in its exit code and its last line.
    expect(worker.code).toBe(5);
    expect(worker.stdout).toMatch(/^done {2}acme-saas:t1 {2}scan #1 complete/m);
    expect(worker.stdout).toMatch(
      /^RETRY {2}acme-saas:t9 {2}failed: .*is not configured in .*worker\.yaml.*attempt 1\)$/m,
    );
    expect(worker.stdout).toMatch(
      /^FAIL {2}acme-saas:t9 {2}failed: .*is not configured in .*worker\.yaml.*attempt 2\)$/m,
    );
    expect(worker.stdout.trimEnd().split('\n').at(-1)).toBe('worker: 2 done, 1 retried, 1 failed');
    const failed = await runCli(['jobs', '-c', 'grantscope.yaml', '--state', 'failed', '--format', 'json'], {
      cwd: dir,
      env,
    });
    const listed = JSON.parse(failed.stdout) as { jobs: Array<Record<string, unknown>> };
    expect(listed.jobs).toEqual([
      expect.objectContaining({ tenant: 'acme-saas:t9', state: 'failed', attempt: 2, attempts: 2 }),
    ]);
    expect(listed.jobs[0]!.error).toContain('acme-saas:t9 is not configured');
    // The round still ended: one failed tenant does not hold back the ticket sync of the others.
    const rounds = await runCli(['jobs', '-c', 'grantscope.yaml', '--format', 'json'], { cwd: dir, env });
    expect(
      (JSON.parse(rounds.stdout) as { jobs: Array<Record<string, unknown>> }).jobs.filter(
        (j) => j.kind === 'round',
      ),
    ).toEqual([expect.objectContaining({ state: 'done', output: expect.objectContaining({ scans: 1 }) })]);
  }, 120_000);

  it('schedule stores a cron round, a worker fires it as enqueue would, and --remove removes it', async () => {
    const url = await cluster().createDatabase(`gs_queue_schedule_${process.pid}`);
    const dir = tempDir();
    writeSetup(dir);
    const env = { GRANTSCOPE_DATABASE_URL: url };
    const none = await runCli(['schedule', '-c', 'grantscope.yaml'], { cwd: dir, env });
    expect(none.stdout).toContain('no schedule');
    const bad = await runCli(['schedule', '-c', 'grantscope.yaml', '--cron', '61 2 * * *'], {
      cwd: dir,
      env,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--cron '61 2 * * *'");
    const set = await runCli(
      [
        'schedule',
        '-c',
        'grantscope.yaml',
        '--cron',
        '0 2 * * *',
        '--tz',
        'Europe/Berlin',
        '--tenant',
        't1',
        't3',
        '--retries',
        '1',
      ],
      { cwd: dir, env },
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('scheduled: "0 2 * * *" (Europe/Berlin), tenants t1, t3; 1 retries');
    const shown = await runCli(['schedule', '-c', 'grantscope.yaml', '--format', 'json'], { cwd: dir, env });
    const stored = (
      JSON.parse(shown.stdout) as {
        schedule: { cron: string; timezone: string; data: Record<string, unknown> };
      }
    ).schedule;
    expect(stored).toMatchObject({
      cron: '0 2 * * *',
      timezone: 'Europe/Berlin',
      data: { tenants: ['t1', 't3'] },
    });

    // Fire it now, as pg-boss's clock does at 02:00: a job on the schedule queue with the stored data.
    const boss = await openQueue(url, { logger: memoryLogger('error') });
    try {
      expect(await boss.send('grantscope-schedule', stored.data)).toBeTruthy();
    } finally {
      await boss.stop({ graceful: false });
    }
    const worker = await runCli(['worker', '-c', 'grantscope.yaml', '--drain', '--poll', '0.2'], {
      cwd: dir,
      env,
    });
    expect(worker.stderr).toBe('');
    expect(worker.code).toBe(0);
    expect(worker.stdout).toMatch(/^done {2}schedule: queued round \S+/m);
    const scanned = worker.stdout.match(/^done {2}acme-saas:(t\d) {2}scan #\d+ complete/gm) ?? [];
    expect(scanned.map((l) => /acme-saas:(t\d)/.exec(l)![1]).sort()).toEqual(['t1', 't3']);
    expect(worker.stdout).toMatch(/^done {2}round \S+ {2}done/m);

    const removed = await runCli(['schedule', '-c', 'grantscope.yaml', '--remove'], { cwd: dir, env });
    expect(removed.stdout).toBe('schedule removed\n');
    const after = await runCli(['schedule', '-c', 'grantscope.yaml', '--format', 'json'], { cwd: dir, env });
    expect(JSON.parse(after.stdout)).toEqual({ schedule: null });
  }, 120_000);

  it('SIGTERM: the running job finishes within --stop-timeout; past it, the job is handed back for a retry', async () => {
    const url = await cluster().createDatabase(`gs_queue_stop_${process.pid}`);
    const dir = tempDir();
    // One tenant whose scan holds each record until the file `release` exists: it runs for as long as the
    // CLI runs below need to see it running, on any machine, and no longer.
    writeSetup(dir, ['t1'], 'grantscope.yaml', 'release');
    const release = join(dir, 'release');
    const env = { GRANTSCOPE_DATABASE_URL: url };
    const jobsJson = async () =>
      (
        JSON.parse(
          (await runCli(['jobs', '-c', 'grantscope.yaml', '--format', 'json'], { cwd: dir, env })).stdout,
        ) as {
          jobs: Array<Record<string, unknown>>;
        }
      ).jobs.filter((j) => j.kind === 'scan');
    const startedThenTerm = {
      killWhen: (err: string) => /job started.*queue=grantscope-scan/.test(err),
      killSignal: 'SIGTERM' as const,
    };

    expect(
      (await runCli(['enqueue', '-c', 'grantscope.yaml', '--retry-delay', '0'], { cwd: dir, env })).code,
    ).toBe(0);
    const finishing = runCli(
      ['worker', '-c', 'grantscope.yaml', '-v', '--poll', '0.2', '--stop-timeout', '60'],
      {
        cwd: dir,
        env,
        ...startedThenTerm,
      },
    );
    // While it runs, a new round leaves the tenant out rather than queue it behind its running job.
    for (let i = 0; i < 50 && !(await jobsJson()).some((j) => j.state === 'running'); i++)
      await new Promise((r) => setTimeout(r, 100));
    const during = await runCli(['enqueue', '-c', 'grantscope.yaml', '--format', 'json'], { cwd: dir, env });
    expect((JSON.parse(during.stdout) as { jobs: unknown[] }).jobs).toEqual([
      expect.objectContaining({ tenant: 't1', jobId: null }),
    ]);
    expect(during.stderr).toContain('still have a job queued or running');
    // The worker had its SIGTERM when the job started: the job goes on and finishes once released.
    writeFileSync(release, '');
    const finished = await finishing;
    expect(finished.code).toBe(143);
    expect(finished.stderr).toContain('SIGTERM: taking no new jobs');
    expect(finished.stdout).toMatch(/^done {2}acme-saas:t1 {2}scan #1 complete/m);
    expect(await jobsJson()).toEqual([expect.objectContaining({ state: 'done', attempt: 1 })]);

    // Held again: this job cannot finish within a --stop-timeout of 0.2 s.
    rmSync(release);
    expect(
      (await runCli(['enqueue', '-c', 'grantscope.yaml', '--retry-delay', '0'], { cwd: dir, env })).code,
    ).toBe(0);
    const released = await runCli(
      ['worker', '-c', 'grantscope.yaml', '-v', '--poll', '0.2', '--stop-timeout', '0.2'],
      {
        cwd: dir,
        env,
        ...startedThenTerm,
      },
    );
    expect(released.code).toBe(143);
    expect(released.stdout).toMatch(/^RETRY {2}acme-saas:t1 {2}failed: .*interrupted by SIGTERM/m);
    const after = await jobsJson();
    const handedBack = after.find((j) => j.state !== 'done');
    expect(handedBack).toMatchObject({ state: 'queued', attempt: 1 });
    expect(String(handedBack!.error)).toContain('interrupted by SIGTERM');
    // The next worker takes it up again and finishes it.
    writeFileSync(release, '');
    const next = await runCli(['worker', '-c', 'grantscope.yaml', '--drain', '--poll', '0.2'], {
      cwd: dir,
      env,
    });
    expect(next.code).toBe(0);
    expect(next.stdout).toMatch(/^done {2}acme-saas:t1 {2}scan #\d+ complete .*attempt 2\)/m);
  }, 120_000);

  it('an incomplete scan completes its job (shown as incomplete); only a transient one is retried first', async () => {
    const url = await cluster().createDatabase(`gs_queue_incomplete_${process.pid}`);
    const dir = tempDir();
    writeSetup(dir, ['t1']);
    // `refused` lacks a permission (403): a retry cannot help. `throttled` met a 503: a retry may.
    writeFileSync(
      join(dir, 'grantscope.yaml'),
      [
        'database: grantscope.db',
        `plugins: [${JSON.stringify(FAKE_CONNECTOR)}]`,
        'acme-saas:',
        '  - tenant: refused',
        '    recordsFile: records.json',
        '    fail: [apps]',
        '  - tenant: throttled',
        '    recordsFile: records.json',
        '    fail: [apps]',
        '    failStatus: 503',
        '',
      ].join('\n'),
    );
    const env = { GRANTSCOPE_DATABASE_URL: url };
    expect(
      (
        await runCli(['enqueue', '-c', 'grantscope.yaml', '--retries', '1', '--retry-delay', '0'], {
          cwd: dir,
          env,
        })
      ).code,
    ).toBe(0);
    const worker = await runCli(['worker', '-c', 'grantscope.yaml', '--drain', '--poll', '0.2'], {
      cwd: dir,
      env,
    });
    expect(worker.stderr).toContain('collector failed tenant=throttled');
    // Both stored incomplete scans (exit 3, as `grantscope scan` would); none failed for good.
    expect(worker.code).toBe(3);
    expect(worker.stdout).toMatch(
      /^done {2}acme-saas:refused {2}scan #\d+ incomplete: acme-saas:refused\/apps \(403\) failed .*attempt 1\)$/m,
    );
    expect(worker.stdout).not.toMatch(/RETRY {2}acme-saas:refused/);
    expect(worker.stdout).toMatch(
      /^RETRY {2}acme-saas:throttled {2}failed: scan #\d+ incomplete, transient failures only \(acme-saas:throttled\/apps \(503\)\).*attempt 1\)$/m,
    );
    // Its last attempt keeps the incomplete scan and completes the job.
    expect(worker.stdout).toMatch(/^done {2}acme-saas:throttled {2}scan #\d+ incomplete: .*attempt 2\)$/m);
    expect(worker.stdout.trimEnd().split('\n').at(-1)).toBe(
      'worker: 3 done (2 incomplete), 1 retried, 0 failed',
    );

    const listed = JSON.parse(
      (await runCli(['jobs', '-c', 'grantscope.yaml', '--format', 'json'], { cwd: dir, env })).stdout,
    ) as { counts: Record<string, number>; incomplete: number; jobs: Array<Record<string, unknown>> };
    expect(listed.incomplete).toBe(2);
    expect(
      listed.jobs
        .filter((j) => j.kind === 'scan')
        .map((j) => [j.tenant, j.state, j.scanStatus, j.attempt])
        .sort(),
    ).toEqual([
      ['acme-saas:refused', 'done', 'incomplete', 1],
      ['acme-saas:throttled', 'done', 'incomplete', 2],
    ]);
    const table = await runCli(['jobs', '-c', 'grantscope.yaml', '--width', '200'], { cwd: dir, env });
    expect(table.stdout).toMatch(/^incomplete .*acme-saas:refused/m);
    expect(table.stdout).toContain('3 done (2 incomplete)');
    // Three scans stored: the throttled tenant's first (incomplete, kept) and its retry.
    const client = new pg.Client(url);
    await client.connect();
    try {
      const { rows } = await client.query<{ status: string }>('SELECT status FROM scans ORDER BY id');
      expect(rows.map((r) => r.status)).toEqual(['incomplete', 'incomplete', 'incomplete']);
    } finally {
      await client.end();
    }
  }, 120_000);
});
