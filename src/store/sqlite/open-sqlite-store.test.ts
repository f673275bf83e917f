import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coverage, grant, identity } from '../../../test/support/store-records.js';
import { StoreCorruptError, StoreError, StoreLockedError, StoreNewerSchemaError } from '../../errors.js';
import { FILE_MODE } from './database-file.js';
import { APPLICATION_ID, SCHEMA_VERSION } from './migrations/index.js';
import { openSqliteStore } from './open-sqlite-store.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gs-store-open-'));
  file = join(dir, 'grantscope.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function raw(path = file): Database.Database {
  return new Database(path);
}

describe('openSqliteStore', () => {
  it('creates the schema in an empty file, in WAL mode, and re-opens without migrating again', async () => {
    const store = await openSqliteStore(file);
    await store.close();
    let db = raw();
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const objects = db
      .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name")
      .pluck()
      .all();
    expect(objects).toEqual(
      expect.arrayContaining([
        'scans',
        'scan_sources',
        'scan_collectors',
        'sources',
        'identities',
        'grants',
        'credentials',
      ]),
    );
    expect(objects).toEqual(
      expect.arrayContaining(['findings', 'grants_at_scan', 'current_grants', 'grant_versions']),
    );
    db.close();

    const again = await openSqliteStore(file);
    await again.close();
    db = raw();
    expect(db.prepare('SELECT version, name FROM schema_migrations').all()).toEqual([
      { version: 1, name: 'initial schema' },
      { version: 2, name: 'connector state' },
      { version: 3, name: 'reviews and governance hash' },
      { version: 4, name: 'finding governance' },
      { version: 5, name: 'people' },
      { version: 6, name: 'tickets' },
      { version: 7, name: 'findings last seen per source' },
      { version: 8, name: 'scan heartbeat' },
      { version: 9, name: 'findings analysis inputs' },
      { version: 10, name: 'findings as a rowid table' },
      { version: 11, name: 'findings carry' },
    ]);
    db.close();
  });

  it('accepts an existing empty file (e.g. made by `touch`)', async () => {
    writeFileSync(file, '');
    const store = await openSqliteStore(file);
    expect(store.location).toBe(file);
    await store.close();
  });

  it('creates the database with mode 0600, and its -wal / -shm too', async () => {
    const store = await openSqliteStore(file);
    const w = await store.beginScan({ startedAt: '2026-01-01T00:00:00Z', toolVersion: 't' });
    await w.write([identity('1')]);
    await w.complete([coverage({ 'app-installations': 'complete' })], '2026-01-01T00:01:00Z');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(statSync(f).mode & 0o777).toBe(FILE_MODE);
    await store.close();
  });

  it('tightens a looser -wal / -shm left by an older file', async () => {
    await (await openSqliteStore(file)).close();
    const db = raw();
    db.prepare('SELECT count(*) FROM scans').get(); // a reader creates -wal and -shm
    chmodSync(`${file}-shm`, 0o644);
    const store = await openSqliteStore(file);
    expect(statSync(`${file}-shm`).mode & 0o777).toBe(FILE_MODE);
    db.close();
    await store.close();
  });

  it('refuses a database made by a newer grantscope, naming the file', async () => {
    await (await openSqliteStore(file)).close();
    const db = raw();
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const err = await openSqliteStore(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreNewerSchemaError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/newer grantscope.*upgrade/);
  });

  it('refuses a file that is not SQLite, naming the file', async () => {
    writeFileSync(file, 'this is a grantscope.yaml, not a database\n'.repeat(100));
    const err = await openSqliteStore(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain('not a SQLite database');
  });

  it('reports a damaged database as corrupt, naming the file', async () => {
    await (await openSqliteStore(file)).close();
    // Keep the header, overwrite the schema pages.
    const bytes = Buffer.alloc(statSync(file).size, 0xa5);
    readFileSync(file).copy(bytes, 0, 0, 100);
    writeFileSync(file, bytes);
    const err = await openSqliteStore(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect((err as Error).message).toContain(file);
  });

  it('refuses a SQLite database that grantscope did not create', async () => {
    const db = raw();
    db.exec('CREATE TABLE notes (text TEXT)');
    db.close();
    const err = await openSqliteStore(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(`${file}: is a SQLite database that grantscope did not create`);
  });

  it('says which directory is missing', async () => {
    const err = await openSqliteStore(join(dir, 'nope', 'x.db')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(`directory ${join(dir, 'nope')} does not exist`);
  });

  it('fails with StoreLockedError when another process holds the write lock while migrating', async () => {
    const db = raw();
    db.pragma('journal_mode = WAL');
    db.prepare('BEGIN IMMEDIATE').run();
    const err = await openSqliteStore(file, { busyTimeoutMs: 50 }).catch((e: unknown) => e);
    db.prepare('ROLLBACK').run();
    db.close();
    expect(err).toBeInstanceOf(StoreLockedError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain('locked by another process');
  });

  it('fails a scan with StoreLockedError when another writer holds the lock, and the scan can then be aborted', async () => {
    const store = await openSqliteStore(file, { busyTimeoutMs: 50 });
    const other = raw();
    const writer = await store.beginScan({ startedAt: '2026-01-01T00:00:00Z', toolVersion: 't' });
    other.prepare('BEGIN IMMEDIATE').run();
    const err = await writer
      .write(Array.from({ length: 1000 }, (_, i) => grant('1', `p${i}`)))
      .then(() => writer.complete([coverage({ 'app-installations': 'complete' })], '2026-01-01T00:01:00Z'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreLockedError);
    expect((err as Error).message).toContain(file);
    other.prepare('ROLLBACK').run();
    other.close();
    await writer.abort('store locked', '2026-01-01T00:02:00Z');
    expect((await store.getScan(writer.scanId))?.status).toBe('failed');
    await store.close();
  });
});
