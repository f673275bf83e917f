import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { demoWorld } from '../src/package-root.js';
import { runCli, tempDir } from './support/cli.js';

/**
 * Outside a terminal (stdout and stderr are pipes here) a long scan is not silent: with a slow
 * emulator, heartbeat lines on stderr say what is under way and how far, with units; stdout carries
 * only the command's output.
 */
describe('heartbeat lines outside a terminal', () => {
  let emu: RunningEmulator;
  let config: string;

  beforeAll(async () => {
    emu = await startEmulator({ world: demoWorld('demo') });
    config = writeClientConfig(emu, tempDir('gs-heartbeat-')).configFile;
  });
  afterAll(() => emu.stop());

  it('scan: heartbeat lines with labelled counts while the emulator is slow, none on stdout', async () => {
    // Every GitHub repository-level call waits 300 ms: the scan takes seconds, not milliseconds.
    emu.faults.add({ service: 'github', path: '^/api/v3/repos/', action: { kind: 'latency', ms: 300 } });
    const r = await runCli(['scan', '-c', config, '--format', 'json'], {
      env: { GRANTSCOPE_HEARTBEAT_SECONDS: '0.5' },
    });
    emu.faults.clear();
    expect(r.code).toBe(0);
    const beats = r.stderr.split('\n').filter((l) => l.startsWith('progress ('));
    expect(beats.length).toBeGreaterThanOrEqual(2);
    // Labelled counts: the scan's records per source, the GitHub collectors' repositories.
    expect(r.stderr).toMatch(/^progress \(\d+s\): .*github:acme-corp: [\d,]+ records/m);
    expect(r.stderr).toMatch(/github: .*\d+\/\d+ repos \((deploy keys|webhooks)\)/);
    expect(JSON.parse(r.stdout).scan.status).toBe('complete');
  });

  it('--heartbeat 0 prints none; a bad value is a usage error naming the flag', async () => {
    emu.faults.add({ service: 'github', path: '^/api/v3/repos/', action: { kind: 'latency', ms: 300 } });
    const off = await runCli(['scan', '-c', config, '--format', 'json', '--heartbeat', '0'], {
      env: { GRANTSCOPE_HEARTBEAT_SECONDS: '0.5' },
    });
    emu.faults.clear();
    expect(off.code).toBe(0);
    expect(off.stderr).not.toMatch(/^progress/m);
    const bad = await runCli(['findings', '-c', config, '--heartbeat', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--heartbeat: not a number of seconds: 'soon'");
  });
});
