import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { ROOT, runCli, tempDir } from './support/cli.js';

/**
 * What a scan loads (issue 12, start-up time): a process scanning one platform loads that platform's
 * connector and SDK, not the other platforms' (the Azure SDKs alone take longer to load than the GitHub
 * connector), nor what other commands need (the queue's PostgreSQL client, ticket sinks, the report); and
 * the packages the build bundles come from dist/vendor, not file by file from node_modules.
 */
const PROBE = join(ROOT, 'test', 'support', 'module-probe.mjs');
const WORLD = join(ROOT, 'fixtures', 'worlds', 'demo.yaml');

/**
 * The packages a process loaded: those it loaded from node_modules, and those bundled into the files of
 * dist/ it loaded (the build bundles some packages, scripts/bundle-dependencies.mjs: into dist/vendor, or
 * into the one module that uses them; esbuild heads each bundled module with `// node_modules/<package>/…`).
 */
function packagesLoaded(modules: readonly string[]): Set<string> {
  const packages = new Set<string>();
  const name = /node_modules\/((?:@[^/]+\/)?[^/]+)\//;
  for (const url of modules) {
    const direct = name.exec(url);
    if (direct) packages.add(direct[1]!);
    else if (/\/dist\/.*\.js$/.test(url))
      for (const m of readFileSync(fileURLToPath(url), 'utf8').matchAll(
        /^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm,
      ))
        packages.add(m[1]!);
  }
  return packages;
}

/** The Entra and Google SDKs. */
const OTHER_SDKS =
  /^(@azure\/|@microsoft\/microsoft-graph-client$|googleapis|@googleapis\/|google-auth-library$|gaxios$)/;

/** Packages of other commands: the queue and PostgreSQL store, ticket sinks, evidence packs. */
const OTHER_COMMANDS_PACKAGES = /^(pg|pg-boss|pg-cursor|pg-copy-streams|jira\.js|@slack\/webhook|yazl)$/;

/** Our modules of other commands: the queue and PostgreSQL store, ticket sinks, the report, the emulator. */
const OTHER_COMMANDS = /\/dist\/src\/(queue|report|evidence|tickets\/sinks|store\/postgres|emulator)\//;

/** Some of the packages the build bundles: loaded from dist/vendor, never file by file from node_modules. */
const BUNDLED_FROM_NODE_MODULES = /\/node_modules\/(zod|yaml|undici|commander|@octokit\/[^/]+)\//;

describe('a scan loads only what it needs', () => {
  let emu: RunningEmulator;
  let dir: string;
  let githubOnly: string;
  beforeAll(async () => {
    emu = await startEmulator({ world: WORLD });
    dir = tempDir('gs-scan-modules-');
    const config = parse(readFileSync(writeClientConfig(emu, dir).configFile, 'utf8'));
    delete config.microsoft365;
    delete config['google-workspace'];
    githubOnly = join(dir, 'github-only.yaml');
    writeFileSync(githubOnly, stringify(config));
  });
  afterAll(() => emu.stop());

  it("a GitHub-only config: the GitHub SDK, not Entra's or Google's, nor other commands' modules", async () => {
    const log = join(tempDir('gs-modules-'), 'modules.txt');
    writeFileSync(log, '');
    const r = await runCli(['scan', '-c', githubOnly, '--db', join(dir, 'github.db'), '--format', 'json'], {
      cwd: dir,
      env: { NODE_OPTIONS: `--import ${PROBE}`, GRANTSCOPE_MODULE_LOG: log },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    // The probe saw the scan happen, through to its analysis and output.
    const scan = JSON.parse(r.stdout) as { coverage: { platform: string; status: string }[] };
    expect(scan.coverage.map((c) => [c.platform, c.status])).toEqual([['github', 'complete']]);
    expect(modules.some((m) => m.endsWith('/dist/connectors/github/client.js'))).toBe(true);
    expect(modules.some((m) => m.endsWith('/dist/src/analysis/analyse.js'))).toBe(true);
    expect(modules.some((m) => m.endsWith('/dist/src/output/views/scan-report.js'))).toBe(true);

    const packages = packagesLoaded(modules);
    expect(packages.has('@octokit/rest')).toBe(true);
    expect([...packages].filter((p) => OTHER_SDKS.test(p))).toEqual([]);
    // The other connectors' vocabularies (labels, policy defaults) are read; their code is not.
    const otherConnectors = modules.filter((m) =>
      /\/dist\/connectors\/(microsoft365|google-workspace)\/.*\.js$/.test(m),
    );
    expect(otherConnectors.map((m) => m.replace(/.*\/dist\//, '')).sort()).toEqual([
      'connectors/google-workspace/risk.js',
      'connectors/microsoft365/risk.js',
    ]);
    expect([...packages].filter((p) => OTHER_COMMANDS_PACKAGES.test(p))).toEqual([]);
    expect(modules.filter((m) => OTHER_COMMANDS.test(m))).toEqual([]);
    expect(modules.filter((m) => BUNDLED_FROM_NODE_MODULES.test(m))).toEqual([]);
  });
});
