import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClientConfig } from '../src/demo/client-config.js';
import { JOURNAL_ENV, type RecordedRequest } from '../src/emulator/journal.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { loadWorld, type World } from '../src/emulator/world.js';
import { demoWorld } from '../src/package-root.js';
import { ROOT, runCli, tempDir } from './support/cli.js';
import { generatedEntraSection } from './support/entra-generated.js';
import { postgresAvailable, testPostgres } from './support/postgres.js';
import { clusterForTests } from './support/postgres-hooks.js';

/**
 * `grantscope scan --resume`: a scan cut off part-way (collectors failed as when a quota is spent, or
 * the process killed with SIGKILL) is continued from its response journal. What the first attempt
 * had received is not asked again (measured from the emulator's own request journal: under 5% of the
 * first attempt's answered requests are sent again), and the resumed scan stores the same snapshot as
 * an uninterrupted scan.
 */

/** Every request the emulators of this process and its CLI children received (the suite journals them). */
function emulatorRequests(): RecordedRequest[] {
  const file = process.env[JOURNAL_ENV];
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as RecordedRequest);
}

/**
 * Credential exchanges (token endpoints, the identity provider's metadata): a resumed scan needs
 * fresh tokens, and the journal never holds them. Everything else is a data request.
 */
const isCredentialExchange = (r: RecordedRequest) =>
  r.service === 'login' || /\/(token|access_tokens)$|\/\.well-known\//.test(r.path);

const keyOf = (r: RecordedRequest) =>
  JSON.stringify([r.method, r.path, r.query, r.service === 'login' || r.body === null ? null : r.body]);

/**
 * How many of `second`'s data requests repeat one `first` got a 2xx answer to (counted with
 * multiplicity), of how many data requests `first` got answered.
 */
function repeats(firstAll: RecordedRequest[], secondAll: RecordedRequest[]) {
  const first = firstAll.filter((r) => !isCredentialExchange(r));
  const second = secondAll.filter((r) => !isCredentialExchange(r));
  const answered = new Map<string, number>();
  for (const r of first) {
    if (r.status >= 200 && r.status < 300) answered.set(keyOf(r), (answered.get(keyOf(r)) ?? 0) + 1);
  }
  let repeated = 0;
  for (const r of second) {
    const left = answered.get(keyOf(r)) ?? 0;
    if (left > 0) {
      repeated += 1;
      answered.set(keyOf(r), left - 1);
    }
  }
  return { answered: first.filter((r) => r.status >= 200 && r.status < 300).length, repeated };
}

/**
 * The snapshot of a scan: each identity, grant and credential with its record. Google's `lastUsed.at`
 * of a grant older than the Reports window is the window's start, which moves with the scan's clock:
 * it differs between any two scans, so it is left out.
 */
function snapshot(file: string, scanId: number): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hash = createHash('sha256');
    let rows = 0;
    for (const view of ['identities_at_scan', 'grants_at_scan', 'credentials_at_scan']) {
      for (const row of db
        .prepare(
          `SELECT key, json_remove(record, '$.lastUsed.at') AS record FROM ${view} WHERE scan_id = ? ORDER BY key, record`,
        )
        .iterate(scanId)) {
        hash.update(JSON.stringify(row));
        rows += 1;
      }
    }
    return `${rows}:${hash.digest('hex')}`;
  } finally {
    db.close();
  }
}

function scans(file: string): { id: number; status: string; label: string | null }[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT id, status, label FROM scans ORDER BY id').all() as {
      id: number;
      status: string;
      label: string | null;
    }[];
  } finally {
    db.close();
  }
}

const scanArgs = (config: string, ...extra: string[]) => [
  'scan',
  '-c',
  config,
  '--format',
  'json',
  '--no-progress',
  ...extra,
];

describe('scan --resume after collectors failed (a spent quota)', () => {
  let emu: RunningEmulator;
  let baseline: string;

  beforeAll(async () => {
    emu = await startEmulator({ world: demoWorld('demo') });
    const dir = tempDir('gs-resume-base-');
    const { configFile, database } = writeClientConfig(emu, dir);
    const r = await runCli(scanArgs(configFile), { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    baseline = snapshot(database, 1);
  }, 120_000);
  afterAll(() => emu?.stop());

  it('re-requests under 5% of what the first attempt received and stores the same snapshot', async () => {
    const dir = tempDir('gs-resume-');
    const { configFile, database } = writeClientConfig(emu, dir);
    // One collector per platform runs out of quota for good: 429 on every request.
    for (const path of [
      '/api/v3/orgs/{org}/hooks',
      '/v1.0/oauth2PermissionGrants',
      '/admin/directory/v1/users/{userKey}/tokens',
    ]) {
      emu.faults.add({
        id: 'quota',
        path,
        action: { kind: 'status', status: 403, body: { message: 'quota' } },
      });
    }
    const before = emulatorRequests().length;
    const first = await runCli(scanArgs(configFile), { cwd: dir });
    expect(first.code, first.stderr).toBe(3);
    const firstRequests = emulatorRequests().slice(before);
    const journalDir = `${database}.journal`;
    expect(readdirSync(journalDir)).toContain('1.ndjson');
    expect(statSync(join(journalDir, '1.ndjson')).mode & 0o777).toBe(0o600);

    emu.faults.clear('quota');
    const mid = emulatorRequests().length;
    const resumed = await runCli(scanArgs(configFile, '--resume'), { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    const out = JSON.parse(resumed.stdout);
    expect(out.scan.status).toBe('complete');
    const { answered, repeated } = repeats(firstRequests, emulatorRequests().slice(mid));
    console.log(`resume after failed collectors: ${repeated} of ${answered} answered requests sent again`);
    expect(answered).toBeGreaterThan(20);
    expect(repeated / answered).toBeLessThan(0.05);
    expect(resumed.stderr).toMatch(/resumed scan #1/);
    expect(scans(database)).toEqual([
      { id: 1, status: 'incomplete', label: null },
      { id: 2, status: 'complete', label: 'resume of #1' },
    ]);
    expect(snapshot(database, 2)).toBe(baseline);
    // A completed scan leaves no journal behind, only its validators.
    expect(readdirSync(journalDir).filter((f) => f.endsWith('.ndjson'))).toEqual([]);
  }, 120_000);

  it('says so when there is nothing to resume', async () => {
    const dir = tempDir('gs-resume-none-');
    const { configFile } = writeClientConfig(emu, dir);
    const r = await runCli(scanArgs(configFile, '--resume'), { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nothing to resume/);
  }, 60_000);
});

const GITHUB_GENERATED = loadWorld(join(ROOT, 'fixtures', 'worlds', 'test', 'github-generated.yaml'));
const GENERATED: World = {
  ...GITHUB_GENERATED,
  name: 'resume test tenant',
  now: new Date('2026-11-01T00:00:00Z'),
  platforms: {
    ...GITHUB_GENERATED.platforms,
    microsoft365: generatedEntraSection({
      seed: 11,
      servicePrincipals: 1_000,
      users: 400,
      tenant: {
        id: '7a1e2b3c-4d5e-4f60-8a71-92b3c4d5e6f7',
        displayName: 'Resume Corp (generated)',
        defaultDomain: 'resume.example',
      },
      scannerAppId: '1b2c3d4e-5f60-4a71-8b92-a3b4c5d6e7f8',
    }),
  },
};

describe('scan --resume after SIGKILL', () => {
  let emu: RunningEmulator;
  let baseline: string;
  let fullRequests = 0;

  beforeAll(async () => {
    emu = await startEmulator({ world: GENERATED });
    const dir = tempDir('gs-resume-kill-base-');
    const { configFile, database } = writeClientConfig(emu, dir);
    emu.resetStats();
    const r = await runCli(scanArgs(configFile), { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    fullRequests = emu.stats().total;
    baseline = snapshot(database, 1);
  }, 120_000);
  afterAll(() => emu?.stop());

  it('a scan killed half-way resumes without asking again for what it had', async () => {
    const dir = tempDir('gs-resume-kill-');
    const { configFile, database } = writeClientConfig(emu, dir);
    emu.resetStats();
    const before = emulatorRequests().length;
    const kill = new AbortController();
    // Killed once the emulator has answered half of what a whole scan asks.
    const watch = setInterval(() => {
      if (emu.stats().total >= fullRequests / 2) kill.abort();
    }, 5);
    const first = await runCli(scanArgs(configFile), { cwd: dir, signal: kill.signal });
    clearInterval(watch);
    expect(first.signal).toBe('SIGKILL');
    const firstRequests = emulatorRequests().slice(before);
    // The killed scan is recognisable: failed (its writer is gone), never complete.
    expect(scans(database).map((s) => s.status)).not.toContain('complete');

    const mid = emulatorRequests().length;
    const resumed = await runCli(scanArgs(configFile, '--resume'), { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).scan.status).toBe('complete');
    const second = emulatorRequests().slice(mid);
    const { answered, repeated } = repeats(firstRequests, second);
    console.log(
      `resume after SIGKILL: first attempt ${firstRequests.length} requests (${answered} answered), ` +
        `resume sent ${second.length}, of which ${repeated} repeats (${((100 * repeated) / answered).toFixed(1)}%); whole scan ${fullRequests}`,
    );
    expect(answered).toBeGreaterThan(fullRequests / 3);
    expect(repeated / answered).toBeLessThan(0.05);
    const last = scans(database).at(-1)!;
    expect(last).toMatchObject({ status: 'complete', label: 'resume of #1' });
    expect(snapshot(database, last.id)).toBe(baseline);
  }, 180_000);
});

if (!postgresAvailable) void testPostgres();

/** As `snapshot`, from a PostgreSQL database (its own baseline: jsonb text differs from SQLite's). */
async function pgSnapshot(url: string, scanId: number): Promise<string> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const hash = createHash('sha256');
    let rows = 0;
    for (const view of ['identities_at_scan', 'grants_at_scan', 'credentials_at_scan']) {
      const r = await client.query(
        `SELECT key, (record::jsonb #- '{lastUsed,at}')::text AS record FROM ${view} WHERE scan_id = $1
          ORDER BY key COLLATE "C", record COLLATE "C"`,
        [scanId],
      );
      for (const row of r.rows) hash.update(JSON.stringify(row));
      rows += r.rowCount ?? 0;
    }
    return `${rows}:${hash.digest('hex')}`;
  } finally {
    await client.end();
  }
}

async function pgScans(url: string): Promise<Array<{ id: number; status: string; label: string | null }>> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const r = await client.query('SELECT id::int AS id, status, label FROM scans ORDER BY id');
    return r.rows;
  } finally {
    await client.end();
  }
}

describe.runIf(postgresAvailable)('scan --resume on PostgreSQL', () => {
  const cluster = clusterForTests();
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: demoWorld('demo') });
  }, 120_000);
  afterAll(() => emu?.stop());

  it('keeps the journal in a folder named after the database, and resumes from it', async () => {
    const baseDir = tempDir('gs-resume-pg-base-');
    const baseUrl = await cluster().createDatabase(`gs_resume_base_${process.pid}`);
    const base = writeClientConfig(emu, baseDir);
    const full = await runCli(scanArgs(base.configFile), {
      cwd: baseDir,
      env: { GRANTSCOPE_DATABASE_URL: baseUrl },
    });
    expect(full.code, full.stderr).toBe(0);
    const baseline = await pgSnapshot(baseUrl, 1);

    const dir = tempDir('gs-resume-pg-');
    const url = await cluster().createDatabase(`gs_resume_${process.pid}`);
    const env = { GRANTSCOPE_DATABASE_URL: url };
    const { configFile } = writeClientConfig(emu, dir);
    for (const path of ['/api/v3/orgs/{org}/hooks', '/v1.0/oauth2PermissionGrants']) {
      emu.faults.add({
        id: 'quota-pg',
        path,
        action: { kind: 'status', status: 403, body: { message: 'quota' } },
      });
    }
    const before = emulatorRequests().length;
    const first = await runCli(scanArgs(configFile), { cwd: dir, env });
    expect(first.code, first.stderr).toBe(3);
    const firstRequests = emulatorRequests().slice(before);
    // Beside the config, named after the database (no credentials in the name); no SQLite file made.
    const journals = readdirSync(dir).filter((f) => f.endsWith('.journal'));
    expect(journals).toEqual([
      expect.stringMatching(/^postgres-[^-]+-\d+-gs_resume_\d+-[0-9a-f]{8}\.journal$/),
    ]);
    expect(readdirSync(join(dir, journals[0]!))).toContain('1.ndjson');
    expect(existsSync(join(dir, 'grantscope.db'))).toBe(false);

    emu.faults.clear('quota-pg');
    const mid = emulatorRequests().length;
    const resumed = await runCli(scanArgs(configFile, '--resume'), { cwd: dir, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).scan.status).toBe('complete');
    expect(resumed.stderr).toMatch(/resumed scan #1/);
    const { answered, repeated } = repeats(firstRequests, emulatorRequests().slice(mid));
    expect(answered).toBeGreaterThan(20);
    expect(repeated / answered).toBeLessThan(0.05);
    expect(await pgScans(url)).toEqual([
      { id: 1, status: 'incomplete', label: null },
      { id: 2, status: 'complete', label: 'resume of #1' },
    ]);
    expect(await pgSnapshot(url, 2)).toBe(baseline);
    expect(readdirSync(join(dir, journals[0]!)).filter((f) => f.endsWith('.ndjson'))).toEqual([]);

    // Another machine (another journal folder) has nothing of this database's scans to resume.
    const elsewhere = await runCli(scanArgs(configFile, '--resume'), {
      cwd: dir,
      env: { ...env, GRANTSCOPE_JOURNAL_DIR: tempDir('gs-resume-pg-other-') },
    });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toMatch(/nothing to resume/);
    expect(elsewhere.stderr).toContain('gs-resume-pg-other-');
  }, 240_000);

  it('--resume names the journal folder it cannot write, and the variable to set', async () => {
    const dir = tempDir('gs-resume-pg-ro-');
    const url = await cluster().createDatabase(`gs_resume_ro_${process.pid}`);
    const { configFile } = writeClientConfig(emu, dir);
    // A folder that cannot be made whoever runs the test (root writes anywhere): it lies under a file.
    const notAFolder = join(dir, 'grantscope.yaml', 'journals');
    const r = await runCli(scanArgs(configFile, '--resume'), {
      cwd: dir,
      env: { GRANTSCOPE_DATABASE_URL: url, GRANTSCOPE_JOURNAL_DIR: notAFolder },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--resume: the response journal directory ${notAFolder}/postgres-`);
    expect(r.stderr).toContain('set GRANTSCOPE_JOURNAL_DIR to a writable directory');
  }, 60_000);
});
