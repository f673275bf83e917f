import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'dist', 'src', 'cli', 'bin.js');
export const FAKE_CONNECTOR = join(ROOT, 'test', 'support', 'fake-connector.mjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI (`npm test` builds first) as a user would, in `cwd`. */
export function runCli(
  args: string[],
  options: {
    cwd?: string;
    env?: Record<string, string>;
    killAfterMs?: number;
    killSignal?: NodeJS.Signals;
    killWhen?: (stderr: string) => boolean;
    /** Run as this uid/gid (through setpriv; the tests run as root in CI, where file modes bind no one). */
    asUser?: number;
    /** Kill the child (SIGKILL) when this aborts, e.g. when the test that started it times out. */
    signal?: AbortSignal;
  } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const [command, commandArgs] =
      options.asUser === undefined
        ? [process.execPath, [BIN, ...args]]
        : [
            'setpriv',
            [
              `--reuid=${options.asUser}`,
              `--regid=${options.asUser}`,
              '--clear-groups',
              process.execPath,
              BIN,
              ...args,
            ],
          ];
    const child = spawn(command, commandArgs, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!killed && options.killWhen?.(stderr)) {
        killed = true;
        child.kill(options.killSignal ?? 'SIGKILL');
      }
    });
    if (options.killAfterMs)
      setTimeout(() => child.kill(options.killSignal ?? 'SIGKILL'), options.killAfterMs);
    if (options.signal) {
      const kill = () => child.kill('SIGKILL');
      if (options.signal.aborted) kill();
      else options.signal.addEventListener('abort', kill, { once: true });
      child.on('close', () => options.signal?.removeEventListener('abort', kill));
    }
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

export function tempDir(prefix = 'gs-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface FakeTenant {
  identities?: unknown[];
  grants?: unknown[];
  credentials?: unknown[];
}

/** Write a grantscope.yaml using the test connector plugin, and its records file. */
export function writeFakeSetup(
  dir: string,
  tenant: FakeTenant,
  options: { fail?: string[]; failAuth?: boolean; delayMsPerRecord?: number; extraYaml?: string } = {},
): string {
  writeFileSync(join(dir, 'records.json'), JSON.stringify(tenant));
  const lines = [
    'database: grantscope.db',
    `plugins: [${JSON.stringify(FAKE_CONNECTOR)}]`,
    'acme-saas:',
    '  tenant: t1',
    '  recordsFile: records.json',
  ];
  if (options.fail) lines.push(`  fail: [${options.fail.join(', ')}]`);
  if (options.failAuth) lines.push('  failAuth: true');
  if (options.delayMsPerRecord) lines.push(`  delayMsPerRecord: ${options.delayMsPerRecord}`);
  if (options.extraYaml) lines.push(options.extraYaml);
  const file = join(dir, 'grantscope.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
