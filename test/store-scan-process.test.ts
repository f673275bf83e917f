import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { IdentityBundle, SnapshotStore } from '../src/store/store.js';
import { buildStoreForChildProcesses } from './support/build-store.js';
import { at, coverage, credential, grant, identity } from './support/store-records.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'support/scan-child.mjs');

let build: { dir: string; cleanup: () => void };
beforeAll(() => {
  build = buildStoreForChildProcesses();
});
afterAll(() => build?.cleanup());

let dir: string;
let file: string;
let baseline: IdentityBundle[];
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-store-crash-'));
  file = join(dir, 'grantscope.db');
  const store = await openSqliteStore(file);
  const w = await store.beginScan({ startedAt: at(1), toolVersion: 't' });
  await w.write([
    identity('1'),
    grant('1', 'contents'),
    grant('1', 'issues'),
    credential('k', '1', { collector: 'app-installations' }),
  ]);
  await w.complete([coverage({ 'app-installations': 'complete' })], at(1, 1));
  baseline = await snapshot(store, 1);
  await store.close();
  return () => rmSync(dir, { recursive: true, force: true });
});

async function snapshot(store: SnapshotStore, scanId: number): Promise<IdentityBundle[]> {
  const out: IdentityBundle[] = [];
  for await (const b of store.readSnapshot(scanId)) out.push(b);
  return out;
}

/** Starts the child and resolves each time it prints a line matching `until`. */
function runChild(mode: 'write' | 'complete', records: number) {
  const child = spawn(process.execPath, [CHILD, build.dir, file, mode, String(records)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (test: (lines: string[]) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (test(out.split('\n'))) {
          child.stdout!.off('data', check);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      exited.then(({ code }) =>
        reject(new Error(`child exited (${code}) before expected output:\n${out}\n${err}`)),
      );
      check();
    });
  return { child, exited, waitFor, output: () => out };
}

async function kill(child: ChildProcess, exited: Promise<unknown>) {
  child.kill('SIGKILL');
  await exited;
}

function integrity(): string {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

describe('a scan interrupted by SIGKILL', () => {
  it('killed while writing: the previous snapshot is intact and the scan is failed', async () => {
    const run = runChild('write', 0);
    await run.waitFor((lines) => lines.some((l) => /^wrote (\d+)$/.test(l) && Number(l.slice(6)) >= 20_000));
    await kill(run.child, run.exited);
    const scanId = Number(/began (\d+)/.exec(run.output())![1]);

    expect(integrity()).toBe('ok');
    const store = await openSqliteStore(file);
    try {
      expect(await store.getScan(scanId)).toMatchObject({ status: 'failed' });
      expect((await store.latestScan())?.id).toBe(1);
      expect(await snapshot(store, 1)).toEqual(baseline);
      const raw = new Database(file, { readonly: true });
      expect(raw.prepare('SELECT failure FROM scans WHERE id = ?').pluck().get(scanId)).toMatch(
        /^interrupted: process \d+ ended/,
      );
      expect(raw.prepare('SELECT count(*) FROM grants').pluck().get()).toBe(2);
      raw.close();
      // The store goes on working.
      const w = await store.beginScan({ startedAt: at(3), toolVersion: 't' });
      await w.write([identity('1'), grant('1', 'contents')]);
      const s = await w.complete([coverage({ 'app-installations': 'complete' })], at(3, 1));
      expect(s.counts).toEqual({ identities: 1, grants: 1, credentials: 0 });
    } finally {
      await store.close();
    }
  });

  it('killed while completing: the scan is either all there or not at all', async () => {
    const run = runChild('complete', 60_000);
    await run.waitFor((lines) => lines.includes('completing'));
    await kill(run.child, run.exited);
    const scanId = Number(/began (\d+)/.exec(run.output())![1]);

    expect(integrity()).toBe('ok');
    const store = await openSqliteStore(file);
    try {
      const scan = await store.getScan(scanId);
      if (scan?.status === 'complete') {
        expect(scan.counts).toEqual({ identities: 120, grants: 59_880, credentials: 0 });
        expect((await snapshot(store, scanId)).length).toBe(120);
      } else {
        expect(scan?.status).toBe('failed');
        expect((await store.latestScan())?.id).toBe(1);
      }
      expect(await snapshot(store, 1)).toEqual(baseline);
    } finally {
      await store.close();
    }
  });

  it('(control) the same child completes normally', async () => {
    const run = runChild('complete', 5_000);
    const { code } = await run.exited;
    expect(code, run.output()).toBe(0);
    const store = await openSqliteStore(file);
    try {
      const scan = await store.latestScan();
      expect(scan).toMatchObject({
        id: 2,
        status: 'complete',
        counts: { identities: 10, grants: 4990, credentials: 0 },
      });
      const bundles = await snapshot(store, 2);
      expect(bundles.map((b) => b.grants.length)).toEqual(Array(10).fill(499));
      expect(bundles[0]!.grants[0]!.raw).toEqual({ padding: 'x'.repeat(400), i: 0, j: 0 });
    } finally {
      await store.close();
    }
  });
});

describe('the scan thread (compiled store)', () => {
  it('passes typed errors back: a locked database is a StoreLockedError naming the file', async () => {
    const compiled = await import(pathToFileURL(join(build.dir, 'src/store/sqlite/index.js')).href);
    const store: SnapshotStore = await compiled.openSqliteStore(file, {
      scanThread: true,
      busyTimeoutMs: 50,
    });
    const other = new Database(file);
    try {
      const w = await store.beginScan({ startedAt: at(2), toolVersion: 't' });
      other.prepare('BEGIN IMMEDIATE').run();
      const err = await w
        .write(Array.from({ length: 1500 }, (_, i) => grant('1', `p${i}`)))
        .then(() => w.complete([coverage({ 'app-installations': 'complete' })], at(2, 1)))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'StoreLockedError', code: 'STORE_LOCKED', file });
      expect((err as Error).message).toContain(`${file}: writing records of scan ${w.scanId}`);
      other.prepare('ROLLBACK').run();
      await w.abort('locked', at(2, 2));
      expect(await store.getScan(w.scanId)).toMatchObject({ status: 'failed' });
      expect(await snapshot(store, 1)).toEqual(baseline);
    } finally {
      other.close();
      await store.close();
    }
  });
});
