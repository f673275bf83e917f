import { chmodSync, cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, type FakeTenant, runCli, tempDir, writeFakeSetup } from './support/cli.js';

/** Bad input and hostile surroundings at the CLI: each refused clearly, nothing lost or half-written. */
const NOBODY = 65534;
/**
 * Tests that run the CLI as another user need root, and a checkout that user can reach: a clone under
 * a `mktemp -d` folder (mode 0700) is not, and those tests cannot say anything there.
 */
const othersCanReachCheckout = (() => {
  let dir = join(import.meta.dirname, '..');
  while (true) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    const up = join(dir, '..');
    if (up === dir) return true;
    dir = up;
  }
})();
const canRunAsAnotherUser = process.getuid?.() === 0 && othersCanReachCheckout;

const tenant: FakeTenant = {
  identities: [
    {
      kind: 'oauth-app',
      nativeId: 'app-1',
      displayName: 'Reporting',
      origin: 'third-party',
      owners: [{ id: 'alice', name: 'Alice', active: true }],
    },
  ],
  grants: [
    {
      identity: { kind: 'oauth-app', nativeId: 'app-1' },
      permission: { id: 'read', name: 'read', access: 'read' },
      target: { breadth: 'all', type: 'workspace' },
      risk: { tier: 'low' },
    },
  ],
};

/** A folder with a config for the test connector and two stored scans, scanned once per file. */
let scanned: Promise<string> | undefined;
async function scannedFolder(): Promise<string> {
  scanned ??= (async () => {
    const dir = tempDir();
    writeFakeSetup(dir, tenant);
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['scan', '-c', join(dir, 'grantscope.yaml'), '--format', 'json'], { cwd: dir });
      expect(r.code).toBe(0);
    }
    return dir;
  })();
  const copy = tempDir();
  cpSync(await scanned, copy, { recursive: true });
  return copy;
}

describe('input checks', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await scannedFolder();
  });

  it.each(['-1', '2026-02-30', '99999-01-01'])('--as-of %s is a usage error', async (value) => {
    const r = await runCli(['findings', '--as-of', value], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--as-of`);
    expect(r.stderr).toContain(`'${value}'`);
  });

  it('an unknown --kind is a usage error naming the known kinds; a known one with no match is empty', async () => {
    const bogus = await runCli(['inventory', '--kind', 'bogus'], { cwd: dir });
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain("unknown identity kind 'bogus'");
    expect(bogus.stderr).toContain('service-principal');
    const plugin = await runCli(['inventory', '--kind', 'oauth-app', '--format', 'json'], { cwd: dir });
    expect(plugin.code).toBe(0);
    expect(JSON.parse(plugin.stdout)).toHaveLength(1);
    const none = await runCli(['inventory', '--kind', 'deploy-key', '--format', 'json'], { cwd: dir });
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual([]);
  });
});

describe('a database the user may only read', () => {
  it.skipIf(!canRunAsAnotherUser)('inventory, findings and diff read it and exit 0, every time', async () => {
    const dir = await scannedFolder();
    chmodSync(join(dir, 'grantscope.db'), 0o444);
    chmodSync(dir, 0o777);
    const before = readFileSync(join(dir, 'grantscope.db'));
    for (let round = 0; round < 2; round++) {
      for (const command of ['inventory', 'findings', 'diff']) {
        const r = await runCli([command, '--db', join(dir, 'grantscope.db')], { cwd: dir, asUser: NOBODY });
        expect({ command, code: r.code, stderr: r.stderr }).toEqual({ command, code: 0, stderr: '' });
        expect(r.stdout.length).toBeGreaterThan(0);
      }
    }
    expect(readFileSync(join(dir, 'grantscope.db')).equals(before)).toBe(true);
  });

  it.skipIf(!canRunAsAnotherUser)('in a read-only folder, the error says what SQLite needs', async () => {
    const dir = await scannedFolder();
    chmodSync(join(dir, 'grantscope.db'), 0o444);
    chmodSync(dir, 0o555);
    const r = await runCli(['inventory', '--db', join(dir, 'grantscope.db')], { cwd: dir, asUser: NOBODY });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('the folder is read-only');
    expect(r.stderr).not.toContain('    at ');
  });
});

describe('a SQLite file of another program', () => {
  it('is refused by every command and left byte-identical, never switched to WAL', async () => {
    const dir = tempDir();
    writeFakeSetup(dir, tenant);
    const foreign = join(dir, 'other.db');
    const db = new Database(foreign);
    db.exec(
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')",
    );
    db.close();
    const before = readFileSync(foreign);
    for (const args of [
      ['scan', '-c', join(dir, 'grantscope.yaml')],
      ['inventory'],
      ['findings'],
      ['diff'],
    ]) {
      const r = await runCli([...args, '--db', foreign], { cwd: dir });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('is a SQLite database that grantscope did not create');
    }
    expect(readFileSync(foreign).equals(before)).toBe(true);
    expect(existsSync(`${foreign}-wal`)).toBe(false);
  });
});

describe('file modes', () => {
  it('a new database is 0600', async () => {
    const dir = await scannedFolder();
    expect(statSync(join(dir, 'grantscope.db')).mode & 0o777).toBe(0o600);
  });
});

describe('output files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await scannedFolder();
  });

  it('-o to an unwritable place fails before the scan starts, naming the path', async () => {
    const r = await runCli(['scan', '-o', join(dir, 'no-such-folder', 'out.json')], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no-such-folder');
    expect(r.stderr).toContain('does not exist');
    expect(r.stderr).not.toContain('    at ');
    const scans = await runCli(['inventory', '--format', 'json'], { cwd: dir });
    expect(scans.code).toBe(0);
    // Still two scans: the refused command stored nothing.
    const db = new Database(join(dir, 'grantscope.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM scans').get()).toEqual({ n: 2 });
    db.close();
  });

  it('-o never overwrites the database or the config in use', async () => {
    const before = readFileSync(join(dir, 'grantscope.db'));
    for (const target of ['grantscope.db', 'grantscope.yaml']) {
      const r = await runCli(['findings', '-o', target], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('is the database or config file in use');
    }
    const other = join(dir, 'copy.db');
    writeFileSync(other, before);
    const r = await runCli(['findings', '-o', other], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a SQLite database');
    expect(readFileSync(join(dir, 'grantscope.db')).equals(before)).toBe(true);
  });

  it('output files are 0600 whatever the umask, unless --mode says otherwise', async () => {
    const out = join(dir, 'findings.json');
    writeFileSync(out, 'old', { mode: 0o666 });
    chmodSync(out, 0o666);
    const r = await runCli(['findings', '--format', 'json', '-o', out], { cwd: dir });
    expect(r.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toBeInstanceOf(Array);
    const shared = await runCli(['inventory', '-o', join(dir, 'inv.txt'), '--mode', '640'], { cwd: dir });
    expect(shared.code).toBe(0);
    expect(statSync(join(dir, 'inv.txt')).mode & 0o777).toBe(0o640);
    const bad = await runCli(['inventory', '-o', join(dir, 'x.txt'), '--mode', 'rw'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--mode');
  });
});

describe('nothing is overwritten silently', () => {
  it('demo --dir and emulator --config-dir refuse a folder with a real config and database', async () => {
    const dir = await scannedFolder();
    const config = readFileSync(join(dir, 'grantscope.yaml'));
    const db = readFileSync(join(dir, 'grantscope.db'));
    const demo = await runCli(['demo', '--dir', dir], { cwd: dir });
    expect(demo.code).toBe(2);
    expect(demo.stderr).toContain('--force');
    const emulator = await runCli(['emulator', '--config-dir', dir], { cwd: dir });
    expect(emulator.code).toBe(2);
    expect(emulator.stderr).toContain('grantscope.yaml');
    expect(readFileSync(join(dir, 'grantscope.yaml')).equals(config)).toBe(true);
    expect(readFileSync(join(dir, 'grantscope.db')).equals(db)).toBe(true);
  });

  it('a database without its config is protected too', async () => {
    const dir = await scannedFolder();
    rmSync(join(dir, 'grantscope.yaml'));
    const demo = await runCli(['demo', '--dir', dir], { cwd: dir });
    expect(demo.code).toBe(2);
    expect(demo.stderr).toContain('grantscope.db');
  });
});

describe('output piped into a reader that stops early (`grantscope … | head`)', () => {
  it('stops quietly: no EPIPE stack trace, exit 0', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // The reader is gone before the first line is written (`| head -0`).
    child.stdout.destroy();
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|node:events/);
    expect(code).toBe(0);
  });
});
