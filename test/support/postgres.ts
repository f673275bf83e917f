/**
 * A throwaway PostgreSQL cluster for tests: `initdb` into a temp dir, `postgres` on a random free port
 * (TCP on 127.0.0.1 and a socket in the same dir), fsync off. One database per caller; torn down by
 * `stop()`. initdb refuses to run as root, so as root the server runs as the `postgres` system user
 * (Debian's package creates it), spawned with its uid and gid: no `runuser` in between, which would
 * not pass on the shutdown signal (and, when killed, would leave the server running).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresCluster {
  port: number;
  /** A new, empty database; returns its `postgres://` URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Where `initdb` and `postgres` are, or why not (for the loud skip). */
export function findPostgresBinaries(): { bin: string } | { missing: string } {
  const candidates = [
    ...(process.env.GRANTSCOPE_PG_BIN ? [process.env.GRANTSCOPE_PG_BIN] : []),
    ...listDebianBins(),
    '/usr/local/bin',
    '/usr/bin',
  ];
  for (const dir of candidates) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return { bin: dir };
  }
  return {
    missing: `initdb/postgres not found in ${candidates.join(', ')} (apt-get install postgresql, or set GRANTSCOPE_PG_BIN)`,
  };
}

function listDebianBins(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(root, v, 'bin'));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;

/** How to run a PostgreSQL binary: as the `postgres` user when we are root (initdb refuses root). */
function runAs(cwd: string): { uid?: number; gid?: number; cwd: string } {
  if (!asRoot) return { cwd };
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g'), cwd };
}

export async function startPostgres(): Promise<PostgresCluster> {
  const found = findPostgresBinaries();
  if ('missing' in found) throw new Error(found.missing);
  const dir = mkdtempSync(join(tmpdir(), 'grantscope-pg-'));
  if (asRoot) {
    chmodSync(dir, 0o777);
    execFileSync('chown', ['postgres', dir]);
  }
  const data = join(dir, 'data');
  const as = runAs(dir);
  execFileSync(
    join(found.bin, 'initdb'),
    ['-D', data, '-U', 'grantscope', '--auth=trust', '--no-sync', '-E', 'UTF8'],
    { stdio: 'pipe', ...as },
  );
  const port = await freePort();
  const pgArgs = [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'synchronous_commit=off',
  ];
  const server: ChildProcess = spawn(join(found.bin, 'postgres'), pgArgs, {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...as,
  });
  let log = '';
  server.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  const adminUrl = `postgres://grantscope@127.0.0.1:${port}/postgres`;
  await waitReady(adminUrl, server, () => log);

  return {
    port,
    async createDatabase(name) {
      const client = new pg.Client(adminUrl);
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://grantscope@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      const exited = new Promise((r) => server.once('exit', r));
      // SIGINT: PostgreSQL's fast shutdown.
      server.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitReady(url: string, server: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (server.exitCode !== null) throw new Error(`postgres exited (${server.exitCode}): ${log()}`);
    const client = new pg.Client(url);
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  server.kill('SIGKILL');
  throw new Error(`postgres did not accept connections: ${log()}`);
}

let shared: Promise<PostgresCluster> | null = null;
/**
 * The cluster of this test file (started on first use), or null with a loud warning when no server
 * binary exists here.
 */
export async function testPostgres(): Promise<PostgresCluster | null> {
  const found = findPostgresBinaries();
  if ('missing' in found) {
    console.warn(`\n*** PostgreSQL tests SKIPPED: ${found.missing} ***\n`);
    return null;
  }
  shared ??= startPostgres();
  return shared;
}

export const postgresAvailable = !('missing' in findPostgresBinaries());
