import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from './support/cli.js';

describe('grantscope emulator', () => {
  it('serves the demo world and writes a config that `scan` uses as is; no secret lands in the database', async () => {
    const dir = tempDir('gs-emucli-');
    const emu = spawn(process.execPath, [BIN, 'emulator', '--config-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let out = '';
        emu.stdout.on('data', (d) => {
          out += d;
          if (out.includes('Press Ctrl-C')) resolve(out);
        });
        emu.on('exit', (code) => reject(new Error(`emulator exited early (${code})`)));
      });
      expect(banner).toMatch(/Emulator serving "Acme Corp \(demo\)" at https:\/\/127\.0\.0\.1:\d+/);
      expect(banner).toContain(join(dir, 'grantscope.yaml'));

      const r = await runCli(['scan', '-c', join(dir, 'grantscope.yaml'), '--format', 'json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.coverage.map((c: { platform: string }) => c.platform).sort()).toEqual([
        'github',
        'google-workspace',
        'microsoft365',
      ]);

      // The throw-away credentials the emulator wrote must not reach the database.
      const db = readFileSync(join(dir, 'grantscope.db'));
      for (const name of readdirSync(dir).filter(
        (f) => /\.(pem|txt|json)$/.test(f) && f !== 'emulator-ca.pem',
      )) {
        const text = readFileSync(join(dir, name), 'utf8');
        for (const secret of text.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END/g) ?? []) {
          expect(db.includes(secret.slice(40, 100)), name).toBe(false);
        }
        if (name.endsWith('.txt')) expect(db.includes(text.trim()), name).toBe(false);
      }
      expect(db.includes('ghs_')).toBe(false);
      expect(db.includes('PRIVATE KEY')).toBe(false);
    } finally {
      emu.kill('SIGINT');
    }
  });

  async function freePort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    return port;
  }

  /** Starts `grantscope emulator` with `args`; resolves with its banner and a stop function. */
  async function startCli(args: string[]) {
    const child = spawn(process.execPath, [BIN, 'emulator', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const banner = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('Press Ctrl-C')) resolve(out);
      });
      child.on('exit', (code) => reject(new Error(`emulator exited early (${code})`)));
    });
    const stop = () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.on('exit', () => resolve());
        child.kill('SIGINT');
      });
    return { banner, stop };
  }

  it('keeps its clock across restarts: the second scan after a restart shows no changes', async () => {
    const dir = tempDir('gs-emucli-now-');
    const config = join(dir, 'grantscope.yaml');
    // The same port too: admin-page links carry the emulator's origin.
    const port = String(await freePort());
    const first = await startCli(['--config-dir', dir, '--port', port]);
    const clock = /^Clock: (\S+)/m.exec(first.banner)?.[1];
    expect(clock).toMatch(/T00:00:00\.000Z$/);
    expect((await runCli(['scan', '-c', config, '--format', 'json'])).code).toBe(0);
    await first.stop();

    const second = await startCli(['--config-dir', dir, '--port', port]);
    expect(/^Clock: (\S+)/m.exec(second.banner)?.[1]).toBe(clock);
    try {
      expect((await runCli(['scan', '-c', config, '--format', 'json'])).code).toBe(0);
      const diff = await runCli(['diff', '-c', config]);
      expect(diff.code).toBe(0);
      expect(diff.stdout).toMatch(/No changes\.\n$/);
    } finally {
      await second.stop();
    }
  });

  it('--now fixes the clock; a bad value is a usage error naming the flag', async () => {
    const pinned = await startCli([
      '--config-dir',
      tempDir('gs-emucli-pin-'),
      '--now',
      '2026-03-01T12:00:00Z',
    ]);
    expect(pinned.banner).toContain('Clock: 2026-03-01T12:00:00.000Z');
    await pinned.stop();
    const bad = await runCli(['emulator', '--now', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--now: not a date: 'yesterday'");
  });
});
