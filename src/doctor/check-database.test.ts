import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore } from '../store/open.js';
import { APPLICATION_ID, SCHEMA_VERSION } from '../store/sqlite/migrations/index.js';
import { checkDatabase } from './check-database.js';

const dir = () => {
  const d = join(tmpdir(), `gs-doctor-db-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(d);
  return d;
};
const byCollector = async (file: string) =>
  Object.fromEntries((await checkDatabase(file)).map((c) => [c.collector, c.state]));

describe('checkDatabase', () => {
  it('a file not yet created in a writable folder is fine; in a missing folder it is missing', async () => {
    const d = dir();
    expect(await byCollector(join(d, 'grantscope.db'))).toEqual({ file: 'granted' });
    expect(await byCollector(join(d, 'nope', 'grantscope.db'))).toEqual({ file: 'missing' });
  });

  it("a current store is granted; one of a newer grantscope is missing its schema; another program's file is refused", async () => {
    const d = dir();
    const file = join(d, 'grantscope.db');
    await (await openStore(file)).close();
    expect(await byCollector(file)).toEqual({ file: 'granted', schema: 'granted' });
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(await byCollector(file)).toEqual({ file: 'granted', schema: 'missing' });
    const foreign = join(d, 'other.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE t (x)');
    other.close();
    expect(await byCollector(foreign)).toEqual({ file: 'missing' });
    writeFileSync(join(d, 'text.db'), 'not sqlite at all, just text that is long enough to have a header');
    expect(await byCollector(join(d, 'text.db'))).toEqual({ file: 'missing' });
  });

  it('an older schema is fine (the next scan migrates it), a read-only file is not', async () => {
    const d = dir();
    const file = join(d, 'old.db');
    const db = new Database(file);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.exec('CREATE TABLE scans (id INTEGER)');
    db.pragma('user_version = 1');
    db.close();
    const checks = await checkDatabase(file);
    expect(checks.find((c) => c.collector === 'schema')).toMatchObject({ state: 'granted' });
    expect(checks.find((c) => c.collector === 'schema')!.evidence).toMatch(/next scan migrates it/);
    if (process.getuid?.() !== 0) {
      chmodSync(file, 0o444);
      expect((await checkDatabase(file)).find((c) => c.collector === 'file')!.state).toBe('missing');
    }
  });
});
