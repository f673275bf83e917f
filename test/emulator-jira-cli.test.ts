import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { JiraSinkSettings, jiraSinkType } from '../src/tickets/sinks/jira/index.js';
import { BIN, tempDir } from './support/cli.js';

describe('grantscope emulator --jira', () => {
  it('serves a local Jira beside the world and writes a sink entry the Jira sink works with as is', async () => {
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
      expect(banner).toMatch(/Jira emulator at https:\/\/127\.0\.0\.1:\d+; sink entry in .*jira-sink\.yaml/);
      expect(statSync(join(dir, 'jira-api-token.txt')).mode & 0o777).toBe(0o600);
      const [entry] = parse(readFileSync(join(dir, 'jira-sink.yaml'), 'utf8')) as unknown[];
      const settings = JiraSinkSettings.parse(entry);
      expect(settings).not.toHaveProperty('apiToken');
      const sink = jiraSinkType.create(settings, { configDir: dir, caFile: 'emulator-ca.pem' });
      const ref = await sink.open({
        title: 'GitHub App "acme-ci" can write to every repository',
        body: { blocks: [{ kind: 'paragraph', text: 'demo' }] },
        severity: 'high',
        labels: [],
        key: 'fp-cli',
        fingerprints: ['fp-cli'],
      });
      expect(ref.id).toBe('SEC-1');
      expect(await sink.state(ref)).toBe('open');
    } finally {
      emu.kill('SIGINT');
    }
  });
});
