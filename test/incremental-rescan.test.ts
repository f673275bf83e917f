import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../src/connector/coverage.js';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { demoWorld } from '../src/package-root.js';
import { runCli, tempDir } from './support/cli.js';

/**
 * `grantscope scan` keeps delta links and read times, so that the next scan reads only what changed;
 * `--full` reads everything again. The built CLI against the demo organisation.
 */
describe('scan, rescan, scan --full', () => {
  let emu: RunningEmulator;
  const dir = tempDir('gs-incremental-');
  let config: string;

  beforeAll(async () => {
    emu = await startEmulator({ world: demoWorld('demo') });
    config = writeClientConfig(emu, dir).configFile;
  });
  afterAll(() => emu.stop());

  const scan = async (...args: string[]) => {
    emu.resetStats();
    const r = await runCli(['scan', '-c', config, '--format', 'json', ...args]);
    expect(r.code).toBe(0);
    const coverage = JSON.parse(r.stdout).coverage as CoverageReport[];
    const notesOf = (platform: string, collector: string) =>
      coverage
        .find((c) => c.platform === platform)!
        .collectors.find((k) => k.collector === collector)!
        .notes.join('\n');
    const stats = emu.stats();
    const count = (suffix: string) =>
      stats.routes.filter((x) => x.pattern.endsWith(suffix)).reduce((n, x) => n + x.count, 0);
    return { notesOf, count, total: stats.total };
  };

  it('reads only changes on a rescan, and everything with --full', async () => {
    const first = await scan();
    expect(first.notesOf('microsoft365', 'oauth2-permission-grants')).not.toMatch(/incremental/);
    const again = await scan();
    expect(again.notesOf('microsoft365', 'oauth2-permission-grants')).toMatch(
      /incremental: oauth2PermissionGrants delta since scan #1: 0 changed, 0 removed/,
    );
    expect(again.notesOf('google-workspace', 'oauth-grants')).toMatch(
      /incremental: tokens\.list for \d+ of \d+ users/,
    );
    expect(again.count('/oauth2PermissionGrants')).toBe(0);
    expect(again.count('/tokens')).toBeLessThan(first.count('/tokens'));

    const full = await scan('--full');
    expect(full.notesOf('microsoft365', 'oauth2-permission-grants')).toMatch(/full read: --full/);
    expect(full.notesOf('google-workspace', 'oauth-grants')).toMatch(/full read: --full/);
    expect(full.count('/oauth2PermissionGrants')).toBe(first.count('/oauth2PermissionGrants'));
    expect(full.count('/tokens')).toBe(first.count('/tokens'));

    // --full wrote fresh state: the scan after it is incremental again, from it.
    const after = await scan();
    expect(after.notesOf('microsoft365', 'oauth2-permission-grants')).toMatch(/delta since scan #3/);
  }, 180_000);
});
