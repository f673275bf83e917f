/**
 * The bench's two kinds of child process: the emulator (`grantscope emulator`, serving one world) and
 * the grantscope CLI run as a user runs it. Each CLI run is measured from outside: wall time, and peak
 * RSS as the kernel counts it for that process (`/usr/bin/time -f %M`, else VmHWM polled from /proc).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (works from bench/ and from dist/bench/). */
export function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'dist', 'src', 'cli', 'bin.js')))
      return dir;
  }
  throw new Error('dist/src/cli/bin.js not found above the bench: run `npm run build` first');
}

export const cliBin = () => join(repoRoot(), 'dist', 'src', 'cli', 'bin.js');

const TIME = '/usr/bin/time';

export interface CliRun {
  exitCode: number;
  seconds: number;
  /** Peak resident set size of the CLI process, MiB. */
  peakRssMiB: number;
  stdout: string;
  stderr: string;
}

function vmHwmKiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Runs `node dist/src/cli/bin.js …args` and measures it. */
export async function runCli(
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = { cwd: process.cwd() },
): Promise<CliRun> {
  const node = [...(opts.nodeArgs ?? []), cliBin(), ...args];
  const useTime = existsSync(TIME);
  const timeFile = join(opts.cwd, `.time-${process.pid}-${Date.now()}`);
  const [cmd, argv] = useTime
    ? [TIME, ['-f', '%M', '-o', timeFile, process.execPath, ...node]]
    : [process.execPath, node];
  const started = performance.now();
  const child = spawn(cmd, argv, {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let hwm = 0;
  const poll = useTime ? undefined : setInterval(() => (hwm = Math.max(hwm, vmHwmKiB(child.pid!))), 20);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  const exitCode = await new Promise<number>((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
  const seconds = (performance.now() - started) / 1000;
  if (poll) clearInterval(poll);
  let stderr = Buffer.concat(err).toString('utf8');
  if (useTime) {
    const text = existsSync(timeFile) ? readFileSync(timeFile, 'utf8') : '';
    rmSync(timeFile, { force: true });
    // time(1) writes "Command exited with non-zero status N" before the format line.
    const lines = text.trim().split('\n');
    hwm = Number(lines.at(-1)) || 0;
    if (lines.length > 1) stderr += lines.slice(0, -1).join('\n');
  }
  return {
    exitCode,
    seconds,
    peakRssMiB: hwm / 1024,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr,
  };
}

/** Per-route counts as `GET /_emulator/stats` answers them (plus whatever cost fields the emulator adds). */
export interface EmulatorStatsBody {
  total: number;
  byService: Record<string, number>;
  routes: Array<{
    service: string;
    method: string;
    pattern: string;
    count: number;
    statuses: Record<string, number>;
  }>;
  [extra: string]: unknown;
}

export interface EmulatorProcess {
  origin: string;
  configFile: string;
  configDir: string;
  stats(): Promise<EmulatorStatsBody>;
  resetStats(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `grantscope emulator --world <file> --config-dir <dir> [--limits <l>]` and waits for it to
 * say where it serves. `limits` is passed through as the quotas part defines it (a preset name or a file).
 */
export async function startEmulatorProcess(opts: {
  world: string;
  configDir: string;
  limits?: string;
}): Promise<EmulatorProcess> {
  mkdirSync(opts.configDir, { recursive: true });
  const args = [
    // The emulator collects the garbage of what it builds before serving (limits-gate.ts `warm`).
    '--expose-gc',
    cliBin(),
    'emulator',
    '--world',
    resolve(opts.world),
    '--config-dir',
    opts.configDir,
    '--force',
  ];
  if (opts.limits) args.push('--limits', opts.limits);
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const origin = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`emulator did not start in 120 s:\n${output}`)), 120_000);
    const onData = (b: Buffer) => {
      output += b.toString('utf8');
      const m = /serving .* at (https:\/\/127\.0\.0\.1:\d+)[\s\S]*Config written to /.exec(output);
      if (m) {
        clearTimeout(timer);
        done(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`emulator exited with ${code} before serving:\n${output}`));
    });
  });
  const ca = readFileSync(join(opts.configDir, 'emulator-ca.pem'));
  const call = (method: string, path: string) =>
    new Promise<string>((done, fail) => {
      const req = request(`${origin}${path}`, { method, ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 500) >= 300) fail(new Error(`${method} ${path}: ${res.statusCode} ${body}`));
          else done(body);
        });
      });
      req.on('error', fail);
      req.end();
    });
  return {
    origin,
    configDir: opts.configDir,
    configFile: join(opts.configDir, 'grantscope.yaml'),
    stats: async () => JSON.parse(await call('GET', '/_emulator/stats')) as EmulatorStatsBody,
    resetStats: async () => {
      await call('DELETE', '/_emulator/stats');
    },
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
