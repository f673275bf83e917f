import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { ROOT, runCli, tempDir } from './support/cli.js';

interface FindingJson {
  fingerprint: string;
  platform: string;
  tenant: string;
  scanId: number;
}

/**
 * Reading a round: each tenant scanned in a scan of its own (as queue workers do, here `scan --only`
 * per platform on the emulator's demo world, real SDKs over HTTP). The read commands read the newest
 * scan of every tenant by default and name the scans; `--scan N` reads that one scan as before.
 */
describe('read commands over one scan per tenant', () => {
  let emu: RunningEmulator;
  let dir: string;
  let config: string;
  const scanIds: Record<string, number> = {};
  const cli = (args: string[]) => runCli([...args, '-c', config], { cwd: dir });

  beforeAll(async () => {
    emu = await startEmulator({ world: join(ROOT, 'fixtures', 'worlds', 'demo.yaml') });
    dir = tempDir('gs-rounds-');
    config = writeClientConfig(emu, dir).configFile;
    for (const platform of ['github', 'microsoft365']) {
      const r = await cli(['scan', '--only', platform, '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      scanIds[platform] = JSON.parse(r.stdout).scan.id;
    }
  }, 120_000);
  afterAll(() => emu.stop());

  it('findings: both tenants by default, each finding naming its scan; --scan N reads one', async () => {
    const r = await cli(['findings', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const all: FindingJson[] = JSON.parse(r.stdout);
    const byPlatform = (fs: FindingJson[]) =>
      Object.fromEntries(['github', 'microsoft365'].map((p) => [p, fs.filter((f) => f.platform === p)]));
    const split = byPlatform(all);
    expect(split.github!.length).toBeGreaterThan(0);
    expect(split.microsoft365!.length).toBeGreaterThan(0);
    expect(new Set(split.github!.map((f) => f.scanId))).toEqual(new Set([scanIds.github]));
    expect(new Set(split.microsoft365!.map((f) => f.scanId))).toEqual(new Set([scanIds.microsoft365]));

    const one = await cli(['findings', '--format', 'json', '--scan', String(scanIds.github)]);
    expect(one.code, one.stderr).toBe(0);
    const github: FindingJson[] = JSON.parse(one.stdout);
    expect(github.map((f) => f.fingerprint).sort()).toEqual(split.github!.map((f) => f.fingerprint).sort());
    expect(github.every((f) => f.platform === 'github')).toBe(true);

    const table = await cli(['findings']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(
      new RegExp(
        `^Scans read: newest scan of each of 2 sources, from 2 scans: github:\\S+ #${scanIds.github} \\(\\d{4}-\\d\\d-\\d\\d\\), microsoft365:\\S+ #${scanIds.microsoft365} `,
      ),
    );
  });

  it('inventory: both tenants by default, json entries carry their scan; --scan N reads one', async () => {
    const r = await cli(['inventory', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const entries: Array<{ platform: string; scanId: number }> = JSON.parse(r.stdout);
    expect(new Set(entries.map((e) => `${e.platform}#${e.scanId}`))).toEqual(
      new Set([`github#${scanIds.github}`, `microsoft365#${scanIds.microsoft365}`]),
    );
    const one = await cli(['inventory', '--format', 'json', '--scan', String(scanIds.microsoft365)]);
    const m365: Array<{ platform: string; scanId?: number }> = JSON.parse(one.stdout);
    expect(m365.length).toBe(entries.filter((e) => e.platform === 'microsoft365').length);
    // One scan read: the entries are as they always were, without a scanId.
    expect(m365.every((e) => e.platform === 'microsoft365' && e.scanId === undefined)).toBe(true);
    const table = await cli(['inventory', '--platform', 'github']);
    expect(table.stdout.split('\n')[0]).toMatch(/^Scans read: newest scan of each of 2 sources/);
  });
});
