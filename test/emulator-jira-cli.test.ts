import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir } from './support/cli.js';

describe('grantscope emulator --jira', () => {
  it('serves a local Jira with the world; scan then tickets sync opens issues there, and a second sync changes nothing', async () => {
    const dir = tempDir('gs-emujira-');
    const emu = spawn(process.execPath, [BIN, 'emulator', '--jira', '--config-dir', dir], {
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
      const origin = /Jira emulator at (https:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1];
      expect(origin).toBeDefined();
      expect(statSync(join(dir, 'jira-api-token.txt')).mode & 0o777).toBe(0o600);
      const config = join(dir, 'grantscope.yaml');
      expect(readFileSync(config, 'utf8')).toContain('apiTokenFile: jira-api-token.txt');

      expect((await runCli(['scan', '-c', config, '--format', 'json'])).code).toBe(0);
      const sync = await runCli(['tickets', 'sync', '-c', config]);
      expect(sync.code, sync.stderr).toBe(0);

      const ca = new Agent({ connect: { ca: readFileSync(join(dir, 'emulator-ca.pem'), 'utf8') } });
      try {
        const res = await request(`${origin}/_emulator/issues`, { dispatcher: ca });
        const issues = (await res.body.json()) as Array<{ key: string; status: string }>;
        expect(issues.length).toBeGreaterThan(0);
        expect(issues.every((i) => i.key.startsWith('SEC-') && i.status === 'To Do')).toBe(true);
        const again = await runCli(['tickets', 'sync', '-c', config]);
        expect(again.code, again.stderr).toBe(0);
        const res2 = await request(`${origin}/_emulator/issues`, { dispatcher: ca });
        expect(((await res2.body.json()) as unknown[]).length).toBe(issues.length);
      } finally {
        await ca.close();
      }
      // The throw-away token never reaches the database.
      const token = readFileSync(join(dir, 'jira-api-token.txt'), 'utf8').trim();
      expect(readFileSync(join(dir, 'grantscope.db')).includes(token)).toBe(false);
    } finally {
      emu.kill('SIGINT');
    }
  });
});
