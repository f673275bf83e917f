import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at } from '../../../test/support/store-records.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './migrations/index.js';
import { openSqliteStore } from './open-sqlite-store.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gs-findings-rowid-'));
  file = join(dir, 'grantscope.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tableSql = (db: Database.Database) =>
  db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'stored_findings'").pluck().get() as string;

describe('findings as a rowid table (schema 10): SQLite migration', () => {
  it('keeps every stored row, the views and the indexes, and drops WITHOUT ROWID', async () => {
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    for (const m of MIGRATIONS.filter((x) => x.version <= 9)) {
      raw.exec(m.sql);
      raw.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, at(0));
    }
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.pragma('user_version = 9');
    expect(tableSql(raw)).toMatch(/WITHOUT ROWID\s*$/);
    const addScan = raw.prepare(
      "INSERT INTO scans (id, started_at, finished_at, status, tool_version, identities) VALUES (?, ?, ?, 'complete', 'old', 0)",
    );
    for (const id of [1, 2, 3]) addScan.run(id, at(id), at(id, 1));
    raw
      .prepare(
        "INSERT INTO finding_sources (platform, tenant, last_seen_scan, last_seen_at, analysis_inputs) VALUES ('github', 't', 3, ?, 'in')",
      )
      .run(at(3));
    const addFinding =
      raw.prepare(`INSERT INTO stored_findings (fingerprint, rule, severity, platform, tenant,
      identity_kind, identity_id, identity_name, subject, title, evidence, remediation, frameworks,
      first_seen_scan, first_seen_at, last_seen_scan, last_seen_at, resolved_scan, resolved_at, governance)
      VALUES (?, 'r', 'high', 'github', 't', 'k', 'i', ?, NULL, 'title', ?, 'fix', '{}', 1, ?, ?, ?, ?, ?, ?)`);
    addFinding.run(
      'open-current',
      'name',
      JSON.stringify({ big: 'x'.repeat(5000) }),
      at(1),
      null,
      null,
      null,
      null,
      '{"owner":"x"}',
    );
    addFinding.run('open-behind', null, '{}', at(1), 2, at(2), null, null, null);
    addFinding.run('resolved', null, '{}', at(1), 1, at(1), 2, at(2), null);
    const read = (db: Database.Database, sql: string) => db.prepare(sql).all();
    const before = {
      stored: read(raw, 'SELECT * FROM stored_findings ORDER BY fingerprint'),
      findings: read(raw, 'SELECT * FROM findings ORDER BY fingerprint'),
      open: read(raw, 'SELECT * FROM open_findings ORDER BY fingerprint'),
      indexes: read(
        raw,
        "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'stored_findings' AND sql IS NOT NULL ORDER BY name",
      ),
    };
    raw.close();

    const store = await openSqliteStore(file);
    await store.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(tableSql(check)).not.toMatch(/WITHOUT ROWID/);
    expect(read(check, 'SELECT * FROM stored_findings ORDER BY fingerprint')).toEqual(before.stored);
    expect(read(check, 'SELECT * FROM findings ORDER BY fingerprint')).toEqual(before.findings);
    expect(read(check, 'SELECT * FROM open_findings ORDER BY fingerprint')).toEqual(before.open);
    expect(
      read(
        check,
        "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'stored_findings' AND sql IS NOT NULL ORDER BY name",
      ),
    ).toEqual(before.indexes);
    // The fingerprint is still the unique key that recording upserts on (its primary key index).
    const indexes = check.pragma('index_list(stored_findings)') as { unique: number; origin: string }[];
    expect(indexes.filter((x) => x.origin === 'pk' && x.unique === 1)).toHaveLength(1);
    expect(check.pragma('foreign_key_check')).toEqual([]);
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
  });
});
