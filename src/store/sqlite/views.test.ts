import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SnapshotStore } from '../store.js';
import { openSqliteStore } from './open-sqlite-store.js';

let dir: string;
let file: string;
let store: SnapshotStore;
let db: Database.Database;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-store-views-'));
  file = join(dir, 'grantscope.db');
  store = await openSqliteStore(file);
  db = new Database(file, { readonly: true });
});
afterEach(async () => {
  db.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** How SQLite plans the documented views; what they answer is in test/store-behaviour/views.test.ts. */
describe('SQL views on SQLite', () => {
  it.each(['grants_at_scan', 'identities_at_scan', 'credentials_at_scan'])(
    '%s is read through indexes when filtered on scan_id',
    (view) => {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN SELECT * FROM ${view} WHERE scan_id = 12`)
        .all()
        .map((r) => (r as { detail: string }).detail);
      expect(plan.some((d) => /SEARCH ss USING PRIMARY KEY \(scan_id=\?\)/.test(d))).toBe(true);
      expect(
        plan.some((d) => /SEARCH v USING INDEX \w+_added \(source_id=\? AND valid_from<\?\)/.test(d)),
      ).toBe(true);
      expect(plan.some((d) => /^SCAN (v|ss)\b/.test(d))).toBe(false);
    },
  );

  it('current views read the open-versions index', () => {
    const plan = db
      .prepare('EXPLAIN QUERY PLAN SELECT * FROM current_grants')
      .all()
      .map((r) => (r as { detail: string }).detail);
    expect(plan).toContain('SCAN v USING INDEX grants_open');
  });
});
