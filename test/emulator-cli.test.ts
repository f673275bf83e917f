import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
});
