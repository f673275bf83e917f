import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulatorKeys, type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import {
  type RunningSlackWebhook,
  startSlackWebhookEmulator,
} from '../src/emulator/slack/incoming-webhook.js';
import { loadWorld } from '../src/emulator/world.js';
import { BIN, ROOT, runCli, tempDir } from './support/cli.js';
import { type PostgresCluster, postgresAvailable, testPostgres } from './support/postgres.js';

/**
 * The queue at scale, against a real PostgreSQL server: 60 generated GitHub organisations, each served
 * by its own emulator, scanned by three `grantscope worker` processes of the built CLI. One worker is
 * killed (SIGKILL) in the middle of a job; its job must be handed back, retried and finished, with
 * every tenant scanned exactly once, one round job, and the same findings as one `grantscope scan` of
 * the same organisations into SQLite. The round job syncs the ticket sinks once to the whole round (one
 * Slack digest) and writes one HTML report covering every tenant.
 */
const TENANTS = 60;
const WORKERS = 3;
const ROUND = 'round-1';
const login = (i: number) => `tenant-${String(i).padStart(2, '0')}`;
/** The tenant whose job is running when its worker is killed. */
const VICTIM = login(7);
/** The victim's first request waits this long: the kill lands while its job runs. */
const STALL_MS = 5_000;

interface Worker {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(dir: string, env: Record<string, string>): Worker {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'worker',
      '-c',
      'grantscope.yaml',
      '--drain',
      '--poll',
      '0.3',
      '--reclaim-every',
      '1',
      '--format',
      'json',
    ],
    { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const w: Worker = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal }))),
  };
  child.stdout!.on('data', (d) => {
    w.stdout += d;
  });
  child.stderr!.on('data', (d) => {
    w.stderr += d;
  });
  return w;
}

/** What a finding is, without when or in which scan it was recorded. */
interface FindingRow {
  fingerprint: string;
  rule: string;
  severity: string;
  platform: string;
  tenant: string;
  identity_kind: string;
  identity_id: string;
  title: string;
  evidence: string;
  open: boolean;
}

const normalise = (rows: Array<Record<string, unknown>>): FindingRow[] =>
  rows
    .map((r) => ({
      fingerprint: String(r.fingerprint),
      rule: String(r.rule),
      severity: String(r.severity),
      platform: String(r.platform),
      tenant: String(r.tenant),
      identity_kind: String(r.identity_kind),
      identity_id: String(r.identity_id),
      title: String(r.title),
      evidence: JSON.stringify(typeof r.evidence === 'string' ? JSON.parse(r.evidence) : r.evidence),
      open: r.resolved_scan === null,
    }))
    .sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));

const FINDING_COLUMNS =
  'fingerprint, rule, severity, platform, tenant, identity_kind, identity_id, title, evidence, resolved_scan';

if (!postgresAvailable) void testPostgres();

describe.runIf(postgresAvailable)('distributed scans: 3 workers, 60 tenants, one killed mid-job', () => {
  let cluster: PostgresCluster;
  const emulators: RunningEmulator[] = [];
  let dir: string;
  /** The ticket sink: a webhook receiver that keeps every event posted to it. */
  let hook: Server;
  const events: Array<{ event: string; key: string }> = [];
  /** A digest sink: one message per sync. */
  let slack: RunningSlackWebhook;

  beforeAll(async () => {
    cluster = (await testPostgres())!;
    dir = tempDir('gs-queue-');
    mkdirSync(join(dir, 'keys'));
    // Small organisations, each from its own seed: a few repositories, users, apps and tokens.
    const base = loadWorld(join(ROOT, 'fixtures', 'worlds', 'test', 'github-generated.yaml'));
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const sections: unknown[] = [];
    // One set of keys for all 60: generating an RSA key per emulator would cost most of the test's time.
    const keys = createEmulatorKeys();
    for (let i = 0; i < TENANTS; i++) {
      const world = structuredClone(base);
      const github = world.platforms.github as {
        org: { login: string; id: number };
        app: { id: number; installation_id: number };
        generate: Record<string, number>;
      };
      github.org = { ...github.org, login: login(i), id: 6_300_000 + i };
      // Each organisation has its own scanner app install: Octokit caches tokens per installation id.
      github.app = { ...github.app, id: 910_000 + i, installation_id: 80_000 + i };
      github.generate = {
        seed: 1000 + i,
        repos: 2,
        users: 3,
        outside_collaborators: 1,
        installations: 2 + (i % 3),
        pat_grants: 1,
        org_hooks: 1,
        deploy_key_ratio: 0.5,
        hook_ratio: 0.5,
        collaborator_ratio: 0.25,
      };
      const emu = await startEmulator({ world, now, keys });
      emulators.push(emu);
      const setup = emu.clientSetup();
      const section = setup.config.github as { app: { privateKeyFile: string } };
      const keyFile = `keys/${login(i)}.pem`;
      writeFileSync(join(dir, keyFile), Object.values(setup.files)[0]!, { mode: 0o600 });
      sections.push({ ...section, app: { ...section.app, privateKeyFile: keyFile } });
    }
    writeFileSync(join(dir, 'ca.pem'), emulators[0]!.caCert);
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        events.push(JSON.parse(body) as { event: string; key: string });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/events`;
    slack = await startSlackWebhookEmulator({ burst: 100 });
    // JSON is YAML: the 60 sections are written as data.
    writeFileSync(
      join(dir, 'grantscope.yaml'),
      [
        'database: reference.db',
        'tls: { caFile: ca.pem }',
        `tickets: { sinks: [ { name: hook, type: webhook, url: "${hookUrl}", secretEnv: GS_HOOK_SECRET }, { name: channel, type: slack, webhookUrlEnv: GS_SLACK_URL } ] }`,
        'roundReportDir: reports',
        `github: ${JSON.stringify(sections)}`,
        '',
      ].join('\n'),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all(emulators.map((e) => e.stop()));
    await new Promise((r) => hook?.close(r));
    await slack?.close();
    await cluster?.stop();
  });

  it('scans every tenant exactly once, hands back the killed worker’s job, ends the round once, and finds what one SQLite scan finds', async () => {
    // The reference: one process, one SQLite file, the same 60 organisations.
    const reference = await runCli(['scan', '-c', 'grantscope.yaml', '--format', 'json', '--no-progress'], {
      cwd: dir,
      env: { GRANTSCOPE_DATABASE_URL: '' },
    });
    expect(reference.stderr).toBe('');
    expect(reference.code).not.toBe(3);
    const sqlite = new Database(join(dir, 'reference.db'), { readonly: true });
    const expected = normalise(sqlite.prepare(`SELECT ${FINDING_COLUMNS} FROM findings`).all() as never);
    sqlite.close();
    expect(new Set(expected.map((f) => f.tenant)).size).toBe(TENANTS);

    const url = await cluster.createDatabase(`gs_queue_workers_${process.pid}`);
    const env = {
      GRANTSCOPE_DATABASE_URL: url,
      GS_HOOK_SECRET: 'hook-secret-for-tests',
      GS_SLACK_URL: slack.createHook(),
    };
    const enqueued = await runCli(
      [
        'enqueue',
        '-c',
        'grantscope.yaml',
        '--round',
        ROUND,
        '--lease',
        '3',
        '--retry-delay',
        '1',
        '--format',
        'json',
      ],
      { cwd: dir, env },
    );
    expect(enqueued.stderr).toBe('');
    expect(enqueued.code).toBe(0);
    expect((JSON.parse(enqueued.stdout) as { jobs: unknown[] }).jobs).toHaveLength(TENANTS);

    // The victim's first request stalls, so that its job is surely running when its worker is killed.
    const victimEmulator = emulators[7]!;
    victimEmulator.faults.add({ path: '/api/v3', times: 1, action: { kind: 'latency', ms: STALL_MS } });

    const db = new pg.Client(url);
    await db.connect();
    try {
      const workers = Array.from({ length: WORKERS }, () => spawnWorker(dir, env));
      // Find the worker holding the victim's job (grantscope's claim table) and kill it.
      let victimPid: number | null = null;
      for (let i = 0; i < 400 && victimPid === null; i++) {
        const { rows } = await db.query<{ pid: number }>(
          `SELECT c.pid FROM grantscope_queue.grantscope_job_claim c
             JOIN grantscope_queue.job j ON j.id = c.job_id
            WHERE j.name = 'grantscope-scan' AND j.data->>'tenant' = $1 AND j.state = 'active'`,
          [VICTIM],
        );
        victimPid = rows[0]?.pid ?? null;
        if (victimPid === null) await new Promise((r) => setTimeout(r, 100));
      }
      expect(victimPid).not.toBeNull();
      const killed = workers.find((w) => w.child.pid === victimPid)!;
      expect(killed).toBeDefined();
      // `grantscope jobs` names the worker holding it.
      const running = await runCli(
        ['jobs', '-c', 'grantscope.yaml', '--state', 'running', '--format', 'json'],
        {
          cwd: dir,
          env,
        },
      );
      const held = (JSON.parse(running.stdout) as { jobs: Array<{ tenant: string; worker: string }> }).jobs;
      expect(held.find((j) => j.tenant === `github:${VICTIM}`)?.worker).toMatch(new RegExp(`:${victimPid}$`));
      killed.child.kill('SIGKILL');

      const ends = await Promise.all(workers.map((w) => w.exited));
      expect(ends.filter((e) => e.signal === 'SIGKILL')).toHaveLength(1);
      const survivors = workers.filter((w) => w !== killed);
      for (const w of survivors) {
        expect(w.stderr).toBe('');
        expect(await w.exited).toEqual({ code: 0, signal: null });
      }

      // Every scan job completed; only the victim's took a second attempt.
      const jobs = await db.query<{ tenant: string; state: string; retry_count: number }>(
        `SELECT data->>'tenant' AS tenant, state::text, retry_count FROM grantscope_queue.job WHERE name = 'grantscope-scan'`,
      );
      expect(jobs.rows).toHaveLength(TENANTS);
      expect(jobs.rows.filter((j) => j.state !== 'completed')).toEqual([]);
      expect(jobs.rows.filter((j) => j.retry_count > 0).map((j) => j.tenant)).toEqual([VICTIM]);

      // Each tenant has exactly one stored scan of the round; the killed attempt stored nothing.
      const scans = await db.query<{ tenant: string; n: number }>(
        `SELECT ss.tenant, count(*)::int AS n FROM scans s JOIN scan_sources ss ON ss.scan_id = s.id
          WHERE s.label = $1 AND s.status IN ('complete', 'incomplete') GROUP BY ss.tenant`,
        [`round ${ROUND}`],
      );
      expect(scans.rows).toHaveLength(TENANTS);
      expect(scans.rows.filter((r) => r.n !== 1)).toEqual([]);
      // The killed worker's scan row does not stay `running`: a later scan saw its process gone.
      const abandoned = await db.query<{ status: string; failure: string }>(
        `SELECT status, failure FROM scans WHERE writer_pid = $1 AND status NOT IN ('complete', 'incomplete')`,
        [killed.child.pid],
      );
      expect(abandoned.rows).toEqual([
        {
          status: 'failed',
          failure: `interrupted: process ${killed.child.pid} ended before the scan completed`,
        },
      ]);

      // What the workers printed agrees: one completed report per tenant, the victim's from a survivor.
      const reports = survivors.flatMap((w) =>
        w.stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map(
            (l) =>
              JSON.parse(l) as { queue: string; tenant: string | null; outcome: string; attempt: number },
          ),
      );
      const scanReports = reports.filter((r) => r.queue === 'grantscope-scan' && r.outcome === 'completed');
      const killedReports = killed.stdout.trim().split('\n').filter(Boolean).length;
      expect(scanReports.length + killedReports).toBe(TENANTS);
      expect(scanReports.filter((r) => r.tenant === `github:${VICTIM}`)).toEqual([
        expect.objectContaining({ attempt: 2 }),
      ]);

      // The round ended once: one round job, run by one worker, over the 60 scans.
      const rounds = await db.query<{ state: string; output: { scans: number; report: { file: string } } }>(
        `SELECT state::text, output FROM grantscope_queue.job WHERE name = 'grantscope-round' AND data->>'round' = $1`,
        [ROUND],
      );
      expect(rounds.rows).toEqual([
        { state: 'completed', output: expect.objectContaining({ scans: TENANTS }) },
      ]);
      expect(reports.filter((r) => r.queue === 'grantscope-round')).toHaveLength(1);

      // The round's ticket sync ran once per sink, in one worker, to the whole round (filed under its
      // newest scan), and each ticket opened once, one per open finding of medium severity or above.
      const roundScanIds = await db.query<{ id: string }>('SELECT id FROM scans WHERE label = $1', [
        `round ${ROUND}`,
      ]);
      const newestOfRound = Math.max(...roundScanIds.rows.map((r) => Number(r.id)));
      const syncs = await db.query<{ sink: string; scan_id: string; status: string }>(
        'SELECT sink, scan_id, status FROM ticket_syncs ORDER BY sink',
      );
      expect(syncs.rows.map((r) => ({ ...r, scan_id: Number(r.scan_id) }))).toEqual([
        { sink: 'channel', scan_id: newestOfRound, status: 'complete' },
        { sink: 'hook', scan_id: newestOfRound, status: 'complete' },
      ]);
      const opened = events.filter((e) => e.event === 'opened').map((e) => e.key);
      expect(new Set(opened).size).toBe(opened.length);
      const ticketed = await db.query<{ fingerprint: string; tenant: string }>(
        "SELECT fingerprint, tenant FROM open_findings WHERE severity IN ('medium', 'high', 'critical')",
      );
      expect(opened.sort()).toEqual(ticketed.rows.map((r) => r.fingerprint).sort());
      expect(opened.length).toBeGreaterThan(TENANTS);
      // One Slack digest for the round, not one per tenant, counting every tenant's new findings.
      expect(slack.messages).toHaveLength(1);
      const blocks = slack.messages[0]!.body.blocks as Array<{ text?: { text: string } }>;
      expect(blocks[0]!.text!.text).toBe(`grantscope: scan #${newestOfRound}`);
      expect(blocks[1]!.text!.text).toBe(
        `*${ticketed.rows.length} new; ${ticketed.rows.length} findings open*`,
      );

      // One HTML report of the round, named by it, covering all 60 tenants, each from its own scan.
      const reportFile = rounds.rows[0]!.output.report.file;
      expect(reportFile).toBe(join(dir, 'reports', 'grantscope-round-round-1.html'));
      expect(existsSync(reportFile)).toBe(true);
      const html = readFileSync(reportFile, 'utf8');
      const data = JSON.parse(
        html.match(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/)![1]!,
      ) as {
        scans: { sources: Array<{ source: string; scanId: number }>; stale: unknown[] };
        identities: Array<{ tenant: string }>;
        findings: Array<{ tenant: string }>;
      };
      expect(data.scans.sources).toHaveLength(TENANTS);
      expect(new Set(data.scans.sources.map((x) => x.scanId)).size).toBe(TENANTS);
      expect(data.scans.stale).toEqual([]);
      expect(new Set(data.identities.map((i) => i.tenant)).size).toBe(TENANTS);
      expect(new Set(data.findings.map((f) => f.tenant))).toEqual(new Set(expected.map((f) => f.tenant)));

      // The same findings as the single-process SQLite scan.
      const actual = normalise((await db.query(`SELECT ${FINDING_COLUMNS} FROM findings`)).rows);
      expect(actual.length).toBe(expected.length);
      expect(actual).toEqual(expected);
    } finally {
      await db.end();
    }
  }, 240_000);
});
