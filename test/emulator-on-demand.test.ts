import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './support/cli.js';

const PROBE = join(ROOT, 'test', 'support', 'module-probe.mjs');
/** A module of the emulator package, by its installed name or by its folder in this repository. */
const EMULATOR_MODULE = /\/src\/emulator\/|\/@grantscope\/emulator\//;

/** The CLI run with the module probe: its result and the URLs of the ES modules it loaded. */
async function runProbed(args: string[], env: Record<string, string> = {}) {
  const log = join(tempDir('gs-modules-'), 'modules.txt');
  writeFileSync(log, '');
  const result = await runCli(args, {
    env: { NODE_OPTIONS: `--import ${PROBE}`, GRANTSCOPE_MODULE_LOG: log, ...env },
  });
  const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { ...result, modules };
}

describe('the CLI loads the emulator package only for demo and emulator', () => {
  it.each([
    [['--help']],
    [['findings', '--help']],
    [['inventory', '--help']],
    [['scan', '--help']],
    [['demo', '--help']],
  ])('%j loads no emulator module', async (args) => {
    const r = await runProbed(args);
    expect(r.code).toBe(0);
    // The probe saw the CLI's own modules, so an empty match below is not an empty log.
    expect(r.modules.some((m) => m.endsWith('/dist/src/cli/main.js'))).toBe(true);
    expect(r.modules.filter((m) => EMULATOR_MODULE.test(m))).toEqual([]);
  });

  it('`emulator` loads it, and a world file it refuses is a configuration error naming the file', async () => {
    const world = join(tempDir('gs-world-'), 'broken.yaml');
    writeFileSync(world, 'name: broken\nnow: not-a-time\n');
    const r = await runProbed(['emulator', '--world', world]);
    expect(r.modules.filter((m) => EMULATOR_MODULE.test(m)).length).toBeGreaterThan(10);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${world}: invalid configuration`);
    expect(r.stderr).toContain('now: not a timestamp: not-a-time');
    expect(r.stderr).not.toContain('internal error');
  });

  it('without the emulator package installed, `demo` says how to add it', async () => {
    const r = await runProbed(['demo'], { GRANTSCOPE_HIDE_PACKAGE: '@grantscope/emulator' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('need the @grantscope/emulator package');
    expect(r.stderr).toContain('npm install @grantscope/emulator');
  });
});

describe('the library entry point', () => {
  it('exports no emulator and loads none of its modules', () => {
    const log = join(tempDir('gs-modules-'), 'modules.txt');
    writeFileSync(log, '');
    const entry = pathToFileURL(join(ROOT, 'dist', 'src', 'index.js')).href;
    const exported = execFileSync(
      process.execPath,
      [
        '--import',
        PROBE,
        '--input-type=module',
        '-e',
        `const lib = await import(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(lib)));`,
      ],
      { env: { ...process.env, GRANTSCOPE_MODULE_LOG: log }, encoding: 'utf8' },
    );
    const names = JSON.parse(exported) as string[];
    expect(names).toContain('runScan');
    expect(names).not.toContain('startEmulator');
    expect(names).not.toContain('writeClientConfig');
    const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    expect(modules.some((m) => m === entry)).toBe(true);
    expect(modules.filter((m) => EMULATOR_MODULE.test(m))).toEqual([]);
  });
});

describe('a scan loads the connectors its config names', () => {
  it('a GitHub-only config loads no Microsoft 365 or Google connector, nor their SDKs', async () => {
    const dir = tempDir('gs-only-github-');
    const config = join(dir, 'grantscope.yaml');
    // Nothing listens on port 1: the scan stops at its first request, after the config has loaded.
    writeFileSync(
      config,
      'github:\n  org: acme\n  baseUrl: https://127.0.0.1:1/api/v3\n  tokenEnv: GS_TEST_GITHUB_TOKEN\n',
    );
    const r = await runProbed(
      ['scan', '-c', config, '--db', join(dir, 'grantscope.db'), '--no-progress', '-q'],
      { GS_TEST_GITHUB_TOKEN: 'ghp_test' },
    );
    expect(r.stderr).not.toContain('internal error');
    expect(r.modules.some((m) => m.endsWith('/dist/connectors/github/index.js'))).toBe(true);
    const others = r.modules.filter((m) =>
      /\/connectors\/(microsoft365|google-workspace)\/index\.js$|\/@azure\/|\/googleapis\/|\/google-auth-library\//.test(
        m,
      ),
    );
    expect(others).toEqual([]);
  });
});
