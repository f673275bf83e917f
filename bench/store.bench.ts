import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { computeDiff } from '../src/analysis/analyse.js';
import type { CoverageReport } from '../src/connector/coverage.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { SnapshotStore } from '../src/store/store.js';
import { findPostgresBinaries, startPostgres } from '../test/support/postgres.js';
import { type ResultRow, row as resultRow, type Target } from './results.js';
import {
  SYNTHETIC_COLLECTORS,
  SYNTHETIC_SOURCE,
  type SyntheticTenant,
  syntheticBatches,
} from './synthetic-tenant.js';

/** `GS_BENCH_SCALE=0.1` runs a tenth of the size (for iterating on the bench itself). */
const scale = Number(process.env.GS_BENCH_SCALE ?? '1');
const UNCHANGED_SCANS = Number(process.env.GS_BENCH_UNCHANGED ?? '30');
/** `GS_BENCH_STORES=postgres` runs only the PostgreSQL rows (its peak RSS is then its own). */
const STORES = (process.env.GS_BENCH_STORES ?? 'sqlite,postgres').split(',').map((s) => s.trim());

const baseline: SyntheticTenant = {
  identities: Math.round(100_000 * scale),
  grantsPerIdentity: 10,
  credentialEvery: 2,
  variant: 0,
  changeRate: 0,
};

const coverage: CoverageReport[] = [
  {
    ...SYNTHETIC_SOURCE,
    status: 'complete',
    requests: 0,
    collectors: SYNTHETIC_COLLECTORS.map((collector) => ({
      collector,
      status: 'complete',
      reason: null,
      httpStatus: null,
      api: null,
      requests: 0,
      items: 0,
      startedAt: null,
      finishedAt: null,
      notes: [],
    })),
  },
];

const seconds = (since: number) => (performance.now() - since) / 1000;
/** Peak RSS of this process so far, in MiB (the harness reports the overall peak). */
const peakMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);
/** RSS of this process now, in MiB: what a step left behind, beside the peak it reached. */
const rssMiB = () => Math.round(process.memoryUsage().rss / 2 ** 20);

interface ScanTimes {
  id: number;
  /** Time in the store: beginScan + write() calls. */
  write: number;
  complete: number;
  /** Time spent making up the records (stands in for the connectors), not counted above. */
  generate: number;
}

async function scan(store: SnapshotStore, tenant: SyntheticTenant): Promise<ScanTimes> {
  let write = 0;
  let generate = 0;
  let t = performance.now();
  const writer = await store.beginScan({ startedAt: new Date().toISOString(), toolVersion: 'bench' });
  write += performance.now() - t;
  const batches = syntheticBatches(tenant);
  while (true) {
    t = performance.now();
    const next = batches.next();
    generate += performance.now() - t;
    if (next.done) break;
    t = performance.now();
    await writer.write(next.value);
    write += performance.now() - t;
  }
  t = performance.now();
  await writer.complete(coverage, new Date().toISOString());
  return { id: writer.scanId, write: write / 1000, complete: seconds(t), generate: generate / 1000 };
}

export default async function bench(): Promise<ResultRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'grantscope-bench-'));
  const file = join(dir, 'store.db');
  const rows: ResultRow[] = [];
  const grants = baseline.identities * baseline.grantsPerIdentity;
  const label = `${grants / 1e6}M grants`;
  const row = (name: string, metric: string, value: number, unit?: string, target?: string) => {
    const m = target ? /^(<=?|>=)\s*([\d.]+)$/.exec(target) : null;
    const t: Target | undefined = m ? { op: m[1] as Target['op'], value: Number(m[2]) } : undefined;
    rows.push(
      resultRow(`store: ${name}`, metric, value, { ...(unit ? { unit } : {}), ...(t ? { target: t } : {}) }),
    );
  };
  try {
    if (STORES.includes('sqlite')) await sqliteRows(file, label, row);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (STORES.includes('postgres')) rows.push(...(await postgresRows(label)));
  return rows;
}

async function sqliteRows(
  file: string,
  label: string,
  row: (name: string, metric: string, value: number, unit?: string, target?: string) => void,
): Promise<void> {
  {
    let store = await openSqliteStore(file);
    const first = await scan(store, baseline);
    row(`first snapshot, ${label}`, 'write()', first.write, 's');
    row(`first snapshot, ${label}`, 'complete()', first.complete, 's');
    row(`first snapshot, ${label}`, 'write() + complete()', first.write + first.complete, 's', '< 20');
    row(`first snapshot, ${label}`, '(generating the records)', first.generate, 's');
    let t = performance.now();
    await store.close();
    row(`first snapshot, ${label}`, 'close() incl. WAL checkpoint', seconds(t), 's');
    const sizeAfterFirst = statSync(file).size;
    row(`first snapshot, ${label}`, 'database size', sizeAfterFirst / 2 ** 20, 'MiB');
    row(`first snapshot, ${label}`, 'peak RSS so far', peakMiB(), 'MiB');

    store = await openSqliteStore(file);
    let unchangedTotal = 0;
    let last = first.id;
    for (let i = 0; i < UNCHANGED_SCANS; i++) {
      const s = await scan(store, baseline);
      unchangedTotal += s.write + s.complete;
      last = s.id;
    }
    await store.close();
    const growth = (statSync(file).size - sizeAfterFirst) / UNCHANGED_SCANS;
    row(
      `${UNCHANGED_SCANS} unchanged snapshots`,
      'seconds per snapshot',
      unchangedTotal / UNCHANGED_SCANS,
      's',
    );
    row(`${UNCHANGED_SCANS} unchanged snapshots`, 'growth per snapshot', growth / 1024, 'KiB', '< 64');
    row(`${UNCHANGED_SCANS} unchanged snapshots`, 'peak RSS so far', peakMiB(), 'MiB');

    store = await openSqliteStore(file);
    const changedTenant = { ...baseline, variant: 1, changeRate: 0.07 };
    const changed = await scan(store, changedTenant);
    row(`changed snapshot (~7% of grants)`, 'total', changed.write + changed.complete, 's');

    t = performance.now();
    let firstChange = -1;
    let count = 0;
    for await (const _ of store.changesBetween(last, changed.id)) {
      if (count === 0) firstChange = seconds(t);
      count++;
    }
    const enumerate = seconds(t);
    t = performance.now();
    let bytes = 0;
    for await (const c of store.changesBetween(last, changed.id)) {
      bytes += JSON.stringify(c.before ?? null).length + JSON.stringify(c.after ?? null).length;
    }
    const consume = seconds(t);
    row(`diff ${label} snapshots`, 'changes', count);
    row(`diff ${label} snapshots`, 'time to first change', firstChange, 's');
    row(`diff ${label} snapshots`, 'enumerate all changes', enumerate, 's', '< 10');
    row(`diff ${label} snapshots`, 'consume all (serialise records)', consume, 's', '< 10');
    if (bytes === 0) throw new Error('diff produced no records');
    // The engine's diff on top: what `grantscope diff` and every scan's analysis pay.
    t = performance.now();
    const [from, to] = [await store.getScan(last), await store.getScan(changed.id)];
    const snapshotDiff = await computeDiff(store, from!, to!);
    row(`diff ${label} snapshots`, 'engine diff (store + DiffBuilder)', seconds(t), 's', '< 10');
    const g = snapshotDiff.counts.grants;
    row(
      `diff ${label} snapshots`,
      'engine diff: grants changed (added+removed+modified)',
      g.added + g.removed + g.modified,
    );
    row(`diff ${label} snapshots`, 'peak RSS so far', peakMiB(), 'MiB');

    t = performance.now();
    let bundles = 0;
    let grantCount = 0;
    for await (const b of store.readSnapshot(changed.id)) {
      bundles++;
      grantCount += b.grants.length;
    }
    row(`read snapshot (${bundles} identities, ${grantCount} grants)`, 'stream all', seconds(t), 's');
    row(`read snapshot (${bundles} identities, ${grantCount} grants)`, 'peak RSS so far', peakMiB(), 'MiB');
    await store.close();
  }
}

/**
 * The same first snapshot, changed snapshot, diff and read on the PostgreSQL store (a throwaway local
 * cluster, fsync off as in the tests), so its figures sit beside SQLite's. Reported, not checked: the
 * targets are the embedded store's. Without a PostgreSQL server binary, one `error` row says so.
 */
async function postgresRows(label: string): Promise<ResultRow[]> {
  const task = (name: string) => `store postgres: ${name}`;
  const found = findPostgresBinaries();
  if ('missing' in found)
    return [
      { task: task('all'), metric: 'PostgreSQL server', value: null, status: 'error', note: found.missing },
    ];
  const rows: ResultRow[] = [];
  const row = (name: string, metric: string, value: number, unit?: string, peak?: number) =>
    rows.push(
      resultRow(task(name), metric, value, {
        ...(unit ? { unit } : {}),
        ...(peak !== undefined ? { note: `peak ${peak} MiB` } : {}),
      }),
    );
  const cluster = await startPostgres();
  try {
    const store = await openPostgresStore(await cluster.createDatabase('bench_store'));
    try {
      const first = await scan(store, baseline);
      row(`first snapshot, ${label}`, 'write()', first.write, 's');
      row(`first snapshot, ${label}`, 'complete()', first.complete, 's');
      row(`first snapshot, ${label}`, 'write() + complete()', first.write + first.complete, 's');
      row(`first snapshot, ${label}`, 'RSS after / peak so far', rssMiB(), 'MiB', peakMiB());
      const unchanged = await scan(store, baseline);
      row('unchanged snapshot', 'write() + complete()', unchanged.write + unchanged.complete, 's');
      row('unchanged snapshot', 'RSS after / peak so far', rssMiB(), 'MiB', peakMiB());
      const changed = await scan(store, { ...baseline, variant: 1, changeRate: 0.07 });
      row('changed snapshot (~7% of grants)', 'total', changed.write + changed.complete, 's');
      row('changed snapshot (~7% of grants)', 'RSS after / peak so far', rssMiB(), 'MiB', peakMiB());
      let t = performance.now();
      let count = 0;
      for await (const _ of store.changesBetween(unchanged.id, changed.id)) count++;
      row(`diff ${label} snapshots`, 'changes', count);
      row(`diff ${label} snapshots`, 'enumerate all changes', seconds(t), 's');
      t = performance.now();
      const [from, to] = [await store.getScan(unchanged.id), await store.getScan(changed.id)];
      await computeDiff(store, from!, to!);
      row(`diff ${label} snapshots`, 'engine diff (store + DiffBuilder)', seconds(t), 's');
      row(`diff ${label} snapshots`, 'RSS after / peak so far', rssMiB(), 'MiB', peakMiB());
      t = performance.now();
      let bundles = 0;
      let grantCount = 0;
      for await (const b of store.readSnapshot(changed.id)) {
        bundles++;
        grantCount += b.grants.length;
      }
      row(`read snapshot (${bundles} identities, ${grantCount} grants)`, 'stream all', seconds(t), 's');
      row('after the PostgreSQL rows', 'peak RSS so far', peakMiB(), 'MiB');
    } finally {
      await store.close();
    }
  } finally {
    await cluster.stop();
  }
  return rows;
}

/** `node dist/bench/store.bench.js [--json]`: in its own process, so that its peak RSS is its own. */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bench().then(
    (rows) => {
      rows.push(
        resultRow('store', 'peak RSS (store process)', peakMiB(), {
          unit: 'MiB',
          target: { op: '<', value: 1024 },
        }),
      );
      if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(rows)}\n`);
      else
        console.table(
          rows.map((r) => ({ ...r, target: r.target ? `${r.target.op} ${r.target.value}` : '' })),
        );
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
