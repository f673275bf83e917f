import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at } from '../../../test/support/store-records.js';
import { APPLICATION_ID, MIGRATIONS } from './migrations/index.js';
import { openSqliteStore } from './open-sqlite-store.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gs-findings-last-seen-'));
  file = join(dir, 'grantscope.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Migration 007 on SQLite; the behaviour on both stores is in test/store-behaviour/findings-last-seen.test.ts. */
describe('findings last seen per source (schema 7): SQLite migration', () => {
  it('migrates findings stored at schema 4 to the same documented rows', async () => {
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    for (const m of MIGRATIONS.filter((x) => x.version <= 4)) {
      raw.exec(m.sql);
      raw.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, at(0));
    }
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.pragma('user_version = 4');
    const addScan = raw.prepare(
      "INSERT INTO scans (id, started_at, finished_at, status, tool_version, identities) VALUES (?, ?, ?, 'complete', 'old', 0)",
    );
    for (const id of [1, 2, 3]) addScan.run(id, at(id), at(id, 1));
    const addFinding = raw.prepare(`INSERT INTO findings (fingerprint, rule, severity, platform, tenant,
      identity_kind, identity_id, title, evidence, remediation, frameworks, first_seen_scan, first_seen_at,
      last_seen_scan, last_seen_at, resolved_scan, resolved_at, governance)
      VALUES (?, 'r', 'high', ?, 't', 'k', 'i', 'title', '{}', 'fix', '{}', 1, ?, ?, ?, ?, ?, ?)`);
    addFinding.run('open-current', 'github', at(1), 3, at(3), null, null, '{"owner":"x"}');
    addFinding.run('open-behind', 'github', at(1), 2, at(2), null, null, null);
    addFinding.run('resolved', 'github', at(1), 1, at(1), 2, at(2), null);
    addFinding.run('other-source', 'google-workspace', at(1), 2, at(2), null, null, null);
    const before = raw.prepare('SELECT * FROM findings ORDER BY fingerprint').all();
    const openBefore = raw.prepare('SELECT * FROM open_findings ORDER BY fingerprint').all();
    raw.close();

    const store = await openSqliteStore(file);
    await store.close();
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT * FROM findings ORDER BY fingerprint').all()).toEqual(before);
    expect(check.prepare('SELECT * FROM open_findings ORDER BY fingerprint').all()).toEqual(openBefore);
    expect(
      check
        .prepare('SELECT fingerprint FROM stored_findings WHERE last_seen_scan IS NULL ORDER BY 1')
        .pluck()
        .all(),
    ).toEqual(['open-current', 'other-source']);
    check.close();
  });
});
