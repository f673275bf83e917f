import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeTenant, runCli, tempDir, writeFakeSetup } from './support/cli.js';
import { type PostgresCluster, postgresAvailable, testPostgres } from './support/postgres.js';

/**
 * The CLI end to end on a PostgreSQL store (GRANTSCOPE_DATABASE_URL): scan twice, then findings,
 * inventory and diff answer exactly as they do on SQLite for the same tenant.
 */
const SECRET = 'SUPERSECRET-9f8e7d6c5b4a';
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString().replace(/\.\d+Z$/, 'Z');
const later = (days: number) => new Date(Date.now() + days * DAY).toISOString().replace(/\.\d+Z$/, 'Z');

function tenantV1(): FakeTenant {
  return {
    identities: [
      {
        kind: 'oauth-app',
        nativeId: 'app-crm',
        displayName: 'CRM Sync',
        origin: 'third-party',
        createdAt: ago(400),
        lastUsed: { at: ago(2), source: 'acme:audit' },
        owners: [{ id: 'alice', name: 'Alice', active: true }],
        raw: { id: 'app-crm', name: 'CRM Sync' },
      },
      {
        kind: 'oauth-app',
        nativeId: 'app-export',
        displayName: 'Bulk Exporter',
        origin: 'third-party',
        createdAt: ago(500),
        lastUsed: { at: ago(200), source: 'acme:audit' },
        owners: [{ id: 'bob', name: 'Bob', active: false }],
        // Secret material in a raw API object must never reach the database or the output.
        raw: { id: 'app-export', client_secret: SECRET, settings: { token: SECRET } },
      },
    ],
    grants: [
      {
        identity: { kind: 'oauth-app', nativeId: 'app-crm' },
        permission: { id: 'contacts', name: 'contacts', access: 'read' },
        target: { breadth: 'all', type: 'workspace' },
        risk: { tier: 'low' },
      },
      {
        identity: { kind: 'oauth-app', nativeId: 'app-export' },
        permission: { id: 'admin', name: 'admin', access: 'admin' },
        target: { breadth: 'tenant', type: 'workspace' },
        risk: { tier: 'critical', reason: 'full admin' },
      },
    ],
    credentials: [
      {
        identity: { kind: 'oauth-app', nativeId: 'app-export' },
        credentialType: 'client-secret',
        nativeId: 'sec-1',
        createdAt: ago(400),
        expiresAt: null,
      },
      {
        identity: { kind: 'oauth-app', nativeId: 'app-crm' },
        credentialType: 'client-secret',
        nativeId: 'sec-2',
        createdAt: ago(10),
        expiresAt: later(100),
      },
    ],
  };
}

if (!postgresAvailable) void testPostgres();

describe.runIf(postgresAvailable)('CLI on a PostgreSQL store', () => {
  let cluster: PostgresCluster;
  let url: string;
  beforeAll(async () => {
    cluster = (await testPostgres())!;
    url = await cluster.createDatabase(`gs_cli_${process.pid}`);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  /** The two runs happen a second or two apart: times (and what is derived from them) are left out. */
  const TIMED = /^(firstSeen|lastSeen|startedAt|finishedAt|generatedAt|asOf|at|database)$/;
  const untimed = (out: string): unknown =>
    JSON.parse(out, (key, value) => (TIMED.test(key) ? undefined : value));

  async function runBoth(args: string[], sqliteDir: string, pgDir: string) {
    const sqlite = await runCli(args, { cwd: sqliteDir });
    const pg = await runCli(args, { cwd: pgDir, env: { GRANTSCOPE_DATABASE_URL: url } });
    return { sqlite, pg };
  }

  it('scans, reports findings and inventories as on SQLite', async () => {
    const sqliteDir = tempDir();
    const pgDir = tempDir();
    for (const dir of [sqliteDir, pgDir]) writeFakeSetup(dir, tenantV1());
    const first = await runBoth(['scan', '-c', 'grantscope.yaml', '--format', 'json'], sqliteDir, pgDir);
    expect(first.pg.stderr).toBe('');
    expect(first.pg.code).toBe(0);
    const strip = (out: string) => {
      const j = untimed(out) as { scan: { counts: unknown; status: string }; findings: unknown[] };
      return { counts: j.scan.counts, status: j.scan.status, findings: j.findings };
    };
    expect(strip(first.pg.stdout)).toEqual(strip(first.sqlite.stdout));
    expect(strip(first.pg.stdout).findings.length).toBeGreaterThan(0);

    const findings = await runBoth(
      ['findings', '-c', 'grantscope.yaml', '--format', 'json'],
      sqliteDir,
      pgDir,
    );
    expect(findings.pg.code).toBe(0);
    expect(untimed(findings.pg.stdout)).toEqual(untimed(findings.sqlite.stdout));
    const inventory = await runBoth(
      ['inventory', '-c', 'grantscope.yaml', '--format', 'json'],
      sqliteDir,
      pgDir,
    );
    expect(inventory.pg.code).toBe(0);
    expect(untimed(inventory.pg.stdout)).toEqual(untimed(inventory.sqlite.stdout));
  }, 120_000);

  it('names the database, without its password, when it cannot connect', async () => {
    const dir = tempDir();
    writeFakeSetup(dir, tenantV1());
    const r = await runCli(['scan', '-c', 'grantscope.yaml'], {
      cwd: dir,
      env: { GRANTSCOPE_DATABASE_URL: `postgres://grantscope:hunter2@127.0.0.1:${cluster.port}/no_such_db` },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`postgres://grantscope:***@127.0.0.1:${cluster.port}/no_such_db`);
    expect(r.stderr).not.toContain('hunter2');
  }, 60_000);
});
