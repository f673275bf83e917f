import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, coverage, identity } from '../../../test/support/store-records.js';
import type { CoverageReport } from '../../connector/coverage.js';
import { Person, type PersonInput, type ScanRecord } from '../../model/index.js';
import type { SnapshotStore } from '../store.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './migrations/index.js';
import { openSqliteStore } from './open-sqlite-store.js';

let dir: string;
let file: string;
let store: SnapshotStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-store-people-'));
  file = join(dir, 'grantscope.db');
  store = await openSqliteStore(file);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function person(id: string, over: Partial<PersonInput> = {}): Person {
  return Person.parse({
    type: 'person',
    platform: 'github',
    tenant: { id: 'acme', name: 'Acme' },
    nativeId: id,
    name: `user${id}`,
    status: 'active',
    listing: 'directory',
    collector: 'members',
    ...over,
  });
}

const covered = (members: 'complete' | 'failed' = 'complete'): CoverageReport[] => [
  coverage({ 'app-installations': 'complete', members }),
];

async function scan(records: ScanRecord[], cov: CoverageReport[], day: number) {
  const w = await store.beginScan({ startedAt: at(day), toolVersion: '0.1.0' });
  await w.write(records);
  return w.complete(cov, at(day, 5), []);
}

async function peopleAt(id: number): Promise<string[]> {
  const out: string[] = [];
  for await (const p of store.readPeople(id)) out.push(`${p.nativeId}:${p.status}`);
  return out.sort();
}

/** What people.test.ts in test/store-behaviour/ does not cover, since it is SQLite's own: its migrations. */
describe('people in the SQLite store', () => {
  it('migrates a schema-4 database (migration 005) and stores people in it', async () => {
    await store.close();
    rmSync(file, { force: true });
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    for (const m of MIGRATIONS.filter((x) => x.version <= 4)) {
      raw.exec(m.sql);
      raw.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, at(1));
    }
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.pragma('user_version = 4');
    expect(raw.prepare("SELECT name FROM sqlite_schema WHERE name = 'people'").get()).toBeUndefined();
    raw.close();
    store = await openSqliteStore(file);
    const s = await scan([identity('1'), person('1', { status: 'disabled' })], covered(), 2);
    expect(await peopleAt(s.id)).toEqual(['1:disabled']);
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(check.prepare('SELECT native_id, name, status, listing FROM person_versions').all()).toEqual([
      { native_id: '1', name: 'user1', status: 'disabled', listing: 'directory' },
    ]);
    check.close();
  });
});
