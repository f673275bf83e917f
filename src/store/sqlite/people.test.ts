import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, coverage, grant, identity } from '../../../test/support/store-records.js';
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

function rowCount(): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM people').pluck().get() as number;
  } finally {
    db.close();
  }
}

const many = Array.from({ length: 200 }, (_, i) => person(String(i + 1)));

describe('people in the store', () => {
  it('stores people as versioned rows: an unchanged rescan adds none, a change adds one', async () => {
    const first = await scan([identity('1'), grant('1', 'contents'), ...many], covered(), 1);
    expect(rowCount()).toBe(200);
    const second = await scan([identity('1'), grant('1', 'contents'), ...many], covered(), 2);
    expect(rowCount()).toBe(200);
    expect(second.counts).toEqual(first.counts);
    const changed = many.map((p) => (p.nativeId === '7' ? person('7', { status: 'suspended' }) : p));
    const third = await scan([identity('1'), grant('1', 'contents'), ...changed], covered(), 3);
    expect(rowCount()).toBe(201);
    expect(await peopleAt(third.id)).toContain('7:suspended');
    expect(await peopleAt(second.id)).toContain('7:active');
  });

  it('keeps people out of snapshots and diffs', async () => {
    const first = await scan([identity('1'), person('1')], covered(), 1);
    const second = await scan([identity('1'), person('2')], covered(), 2);
    const bundles = [];
    for await (const b of store.readSnapshot(second.id)) bundles.push(b);
    expect(bundles.map((b) => b.identityKey)).toEqual(['github-app-installation:1']);
    const changes = [];
    for await (const c of store.changesBetween(first.id, second.id)) changes.push(c);
    expect(changes).toEqual([]);
    expect(await peopleAt(second.id)).toEqual(['2:active']);
  });

  it('says the directory is complete only when the collector that listed it completed', async () => {
    const first = await scan([identity('1'), person('1'), person('2')], covered(), 1);
    expect(await store.peopleDirectories(first.id)).toEqual([
      { source: 'github:acme', platform: 'github', tenant: 'acme', complete: true, people: 2 },
    ]);
    // The member list failed: person 2 was not listed again, but is carried over, and nothing is complete.
    const second = await scan([identity('1'), person('1')], covered('failed'), 2);
    expect(await peopleAt(second.id)).toEqual(['1:active', '2:active']);
    expect((await store.peopleDirectories(second.id))[0]!.complete).toBe(false);
    // Complete again: person 2 is gone from the complete listing.
    const third = await scan([identity('1'), person('1')], covered(), 3);
    expect(await peopleAt(third.id)).toEqual(['1:active']);
    expect((await store.peopleDirectories(third.id))[0]!.complete).toBe(true);
  });

  it('is never complete from people seen only by reference', async () => {
    const first = await scan([identity('1'), person('1', { listing: 'reference' })], covered(), 1);
    expect((await store.peopleDirectories(first.id))[0]).toMatchObject({ complete: false, people: 1 });
  });

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
