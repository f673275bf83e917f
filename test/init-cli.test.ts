import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { loadConnectors } from '../src/connector/registry.js';
import { loadPolicy } from '../src/policy/load.js';
import { BIN, runCli, tempDir } from './support/cli.js';

describe('grantscope init', () => {
  it('writes a config the loader accepts for every platform, a valid policy, and the checklist', async () => {
    const dir = tempDir('gs-init-');
    const r = await runCli(['init', '--non-interactive', '--out', dir, '--org', 'acme'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const file = join(dir, 'grantscope.yaml');
    const config = loadConfig(file, await loadConnectors());
    expect(config.connectors.map((c) => `${c.connector.id}:${c.tenant}`)).toEqual([
      'github:acme',
      'microsoft365:00000000-0000-0000-0000-000000000000',
      'google-workspace:C00000000',
    ]);
    expect(config.policyFile).toBe(join(dir, 'policy.yaml'));
    expect(() => loadPolicy(config.policyFile!, config.vocabulary)).not.toThrow();
    expect(readFileSync(file, 'utf8')).toMatch(/^# grantscope configuration/);
    expect(r.stdout).toMatch(/GitHub:\n {2}\[ \] Register a GitHub App/);
    expect(r.stdout).toMatch(/Application\.Read\.All, Directory\.Read\.All, AuditLog\.Read\.All/);
    expect(r.stdout).toMatch(/admin\.reports\.audit\.readonly/);
  });

  it('writes only the chosen platforms, and no policy with --no-policy', async () => {
    const dir = tempDir('gs-init-');
    const r = await runCli([
      'init',
      '--non-interactive',
      '--platform',
      'microsoft365',
      '--no-policy',
      '--out',
      dir,
    ]);
    expect(r.code).toBe(0);
    const config = loadConfig(join(dir, 'grantscope.yaml'), await loadConnectors());
    expect(config.connectors.map((c) => c.connector.id)).toEqual(['microsoft365']);
    expect(config.policyFile).toBeNull();
    expect(existsSync(join(dir, 'policy.yaml'))).toBe(false);
    expect(r.stdout).not.toMatch(/GitHub:/);
  });

  it('never overwrites without --force', async () => {
    const dir = tempDir('gs-init-');
    writeFileSync(join(dir, 'grantscope.yaml'), 'database: mine.db\n');
    const r = await runCli(['init', '--non-interactive', '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/grantscope\.yaml already exists; pass --force/);
    expect(readFileSync(join(dir, 'grantscope.yaml'), 'utf8')).toBe('database: mine.db\n');
    const forced = await runCli(['init', '--non-interactive', '--out', dir, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'grantscope.yaml'), 'utf8')).toMatch(/^# grantscope configuration/);
  });

  it('refuses an unknown platform with exit 2', async () => {
    const r = await runCli(['init', '--non-interactive', '--platform', 'gitlab', '--out', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--platform: unknown 'gitlab'/);
  });
});

describe('help of init and doctor', () => {
  it.each(['init', 'doctor'])('%s --help teaches with examples and exit codes', async (command) => {
    const r = await runCli([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain(`$ grantscope ${command}`);
  });
});

describe('grantscope init on a terminal', () => {
  // util-linux `script` gives the CLI a pseudo-terminal, so that init asks its questions.
  const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

  it.skipIf(!hasScript)('asks, and writes what was answered (typed ahead too)', () => {
    const dir = tempDir('gs-init-tty-');
    const r = spawnSync('script', ['-qec', `${process.execPath} ${BIN} init --out ${dir}`, '/dev/null'], {
      input: 'github\nacme-typed\nno\n',
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 30_000,
    });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/GitHub organisation \[your-org\]/);
    expect(readFileSync(join(dir, 'grantscope.yaml'), 'utf8')).toMatch(/^ {2}org: acme-typed$/m);
    expect(existsSync(join(dir, 'policy.yaml'))).toBe(false);
  });

  it.skipIf(!hasScript)('input that ends early writes nothing and exits 2', () => {
    const dir = tempDir('gs-init-tty-');
    const r = spawnSync('script', ['-qec', `${process.execPath} ${BIN} init --out ${dir}`, '/dev/null'], {
      input: 'github\n',
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/input ended before every question was answered; nothing written/);
    expect(existsSync(join(dir, 'grantscope.yaml'))).toBe(false);
  });
});
