import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/store/open.js';
import { type FakeTenant, ROOT, runCli, tempDir, writeFakeSetup } from './support/cli.js';
import { fillDocumentedHistory } from './support/documented-history.js';
import { postgresAvailable, testPostgres } from './support/postgres.js';
import { clusterForTests } from './support/postgres-hooks.js';

/**
 * `grantscope migrate`: two scans into SQLite, copied to PostgreSQL; every documented example query
 * (docs/database.md) answers the same on both, and the CLI reads the same findings from either.
 */
const DOC = readFileSync(join(ROOT, 'docs', 'database.md'), 'utf8');
const QUERIES = [...DOC.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
const PG_SPELLINGS = [...DOC.matchAll(/```postgresql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
const SQLITE_ONLY = /json_extract|strftime|json_each/;

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString().replace(/\.\d+Z$/, 'Z');

function tenant(version: 1 | 2): FakeTenant {
  return {
    identities: [
      {
        kind: 'oauth-app',
        nativeId: 'app-crm',
        displayName: 'CRM Sync',
        origin: 'third-party',
        createdAt: ago(400),
        lastUsed: { at: ago(200), source: 'acme:audit' },
        owners: [{ id: 'bob', name: 'Bob', active: false }],
        raw: { id: 'app-crm' },
      },
      ...(version === 1
        ? [{ kind: 'oauth-app', nativeId: 'app-old', displayName: 'Old', origin: 'third-party', raw: {} }]
        : []),
    ],
    grants: [
      {
        identity: { kind: 'oauth-app', nativeId: 'app-crm' },
        permission: { id: 'contacts', name: 'contacts', access: version === 1 ? 'read' : 'admin' },
        target: { breadth: 'tenant', type: 'workspace' },
        risk: { tier: version === 1 ? 'low' : 'critical', reason: 'test' },
      },
    ],
    credentials: [
      {
        identity: { kind: 'oauth-app', nativeId: 'app-crm' },
        credentialType: 'client-secret',
        nativeId: 'sec-1',
        createdAt: ago(400),
        expiresAt: null,
      },
    ],
  };
}

/** Values as both drivers can agree on them: counts come back from pg as strings, blobs as Buffers. */
const cell = (v: unknown): unknown =>
  typeof v === 'string' && /^-?\d+$/.test(v)
    ? Number(v)
    : Buffer.isBuffer(v)
      ? v.toString('hex')
      : v === null || v === undefined
        ? null
        : v;
const rowsOf = (rows: Array<Record<string, unknown>>) => rows.map((r) => Object.values(r).map(cell));

if (!postgresAvailable) void testPostgres();

describe.runIf(postgresAvailable)('grantscope migrate (SQLite to PostgreSQL)', () => {
  const cluster = clusterForTests();

  it('two scans copied with counts verified; a non-empty target refused; the CLI reads the same findings and inventory; numbering continues', async () => {
    const dir = tempDir();
    writeFakeSetup(dir, tenant(1));
    const env = { GRANTSCOPE_DATABASE_URL: '' };
    expect((await runCli(['scan', '-c', 'grantscope.yaml'], { cwd: dir, env })).code).not.toBe(2);
    writeFakeSetup(dir, tenant(2));
    expect((await runCli(['scan', '-c', 'grantscope.yaml'], { cwd: dir, env })).code).not.toBe(2);

    const url = await cluster().createDatabase(`gs_migrate_${process.pid}`);
    const copy = await runCli(['migrate', '--from', 'grantscope.db', '--to', url, '--format', 'json'], {
      cwd: dir,
      env,
    });
    expect(copy.stderr).toBe('');
    expect(copy.code).toBe(0);
    const tables = (
      JSON.parse(copy.stdout) as { tables: Array<{ table: string; source: number; target: number }> }
    ).tables;
    const sqlite = new Database(join(dir, 'grantscope.db'), { readonly: true });
    for (const t of tables) {
      expect(t.target).toBe(t.source);
      expect(t.source).toBe(
        (sqlite.prepare(`SELECT count(*) AS n FROM ${t.table}`).get() as { n: number }).n,
      );
    }
    const byTable = Object.fromEntries(tables.map((t) => [t.table, t.target]));
    expect(byTable.scans).toBe(2);
    expect(byTable.stored_findings).toBeGreaterThan(0);
    expect(byTable.identities).toBeGreaterThan(2);

    // A target that holds data is refused, naming the way out; --replace copies again.
    const again = await runCli(['migrate', '--from', 'grantscope.db', '--to', url], { cwd: dir, env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already holds grantscope data');
    expect(again.stderr).toContain('--replace');
    const replaced = await runCli(['migrate', '--from', 'grantscope.db', '--to', url, '--replace'], {
      cwd: dir,
      env,
    });
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toMatch(/counts verified per table/);

    sqlite.close();
    // The CLI reads the same findings and inventory from either database.
    for (const command of ['findings', 'inventory']) {
      const a = await runCli([command, '-c', 'grantscope.yaml', '--format', 'json'], { cwd: dir, env });
      const b = await runCli([command, '-c', 'grantscope.yaml', '--format', 'json'], {
        cwd: dir,
        env: { GRANTSCOPE_DATABASE_URL: url },
      });
      expect(b.code).toBe(a.code);
      const strip = (out: string) =>
        JSON.parse(out, (k, v) => (k === 'database' || k === 'generatedAt' ? undefined : v));
      expect(strip(b.stdout)).toEqual(strip(a.stdout));
      expect(a.stdout.length).toBeGreaterThan(100);
    }
    // New scans continue the copied numbering.
    {
      const next = await runCli(['scan', '-c', 'grantscope.yaml', '--format', 'json'], {
        cwd: dir,
        env: { GRANTSCOPE_DATABASE_URL: url },
      });
      expect(next.code).not.toBe(2);
      expect((JSON.parse(next.stdout) as { scan: { id: number } }).scan.id).toBe(3);
    }
  }, 120_000);

  it('the documented example queries answer the same on the copy as on the SQLite file', async () => {
    const dir = tempDir();
    const file = join(dir, 'documented.db');
    const store = await openStore(file);
    await fillDocumentedHistory(store);
    await store.close();
    const url = await cluster().createDatabase(`gs_migrate_docs_${process.pid}`);
    const copy = await runCli(['migrate', '--from', file, '--to', url], { cwd: dir });
    expect(copy.stderr).toBe('');
    expect(copy.code).toBe(0);
    const sqlite = new Database(file, { readonly: true });
    const client = new pg.Client(url);
    await client.connect();
    try {
      const portable = QUERIES.filter((q) => !SQLITE_ONLY.test(q));
      expect(portable.length).toBeGreaterThan(5);
      let answered = 0;
      for (const q of portable) {
        const want = rowsOf(sqlite.prepare(q).all() as Array<Record<string, unknown>>);
        const got = rowsOf((await client.query(q)).rows);
        expect({ q, rows: got }).toEqual({ q, rows: want });
        if (want.length > 0) answered += 1;
      }
      // Each finds something (the comparison is never of two empty answers).
      expect(answered).toBe(portable.length);
      // The SQLite-only queries and their PostgreSQL spellings, in the page's order.
      const sqliteOnly = QUERIES.filter((q) => SQLITE_ONLY.test(q));
      expect(PG_SPELLINGS).toHaveLength(sqliteOnly.length);
      for (const [i, q] of sqliteOnly.entries()) {
        const want = rowsOf(sqlite.prepare(q).all() as Array<Record<string, unknown>>);
        const got = rowsOf((await client.query(PG_SPELLINGS[i]!)).rows);
        expect({ q, rows: got }).toEqual({ q, rows: want });
      }
    } finally {
      await client.end();
      sqlite.close();
    }
  }, 120_000);

  it('refuses a file that is not a grantscope database, and a target that is not PostgreSQL', async () => {
    const dir = tempDir();
    new Database(join(dir, 'other.db')).exec('CREATE TABLE notes (t TEXT)');
    const url = await cluster().createDatabase(`gs_migrate_bad_${process.pid}`);
    const r = await runCli(['migrate', '--from', 'other.db', '--to', url], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a grantscope database');
    const s = await runCli(['migrate', '--from', 'other.db', '--to', 'other2.db'], { cwd: dir });
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('--to: expected a postgres:// URL');
  }, 60_000);
});
