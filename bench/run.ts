/**
 * `npm run bench [-- <filter>…]`: grantscope measured as a user runs it, against the emulator in its
 * own process, with its targets checked (issue 12, Build 7). Writes bench/results.json and
 * bench/results.md, prints the table, exits 1 when a target is missed or could not be measured.
 * bench/README.md says what each row means.
 *
 * Tasks (a filter argument selects the tasks whose name contains it, e.g. `github`, `large`, `store`):
 * - `scan <platform> <size>`: the scan (json to a file), then `findings` in every output format; requests
 *   against the API minimum; peak RSS and time of each CLI run; at the largest size an unchanged rescan
 *   (quota cost, time, database growth).
 * - `naive <platform>`: the naive baseline scanner, run against the small world.
 * - `limits <platform>`: the scan against realistic limits (time-scaled), its wall time against the
 *   lower bound those limits impose.
 * - `store`: 1M grants written, diffed, unchanged snapshots (library level, its own process).
 * - `workers`: tenants per minute with 1, 2 and 4 queue workers on PostgreSQL (bench/worker-scaling.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type LimitsModule,
  type LimitsSpec,
  loadLimits,
  METERING_LIMITS,
  platformCost,
  poolBusy,
  writeLimitsFile,
} from './emulator-limits.js';
import { entraMinimum, githubMinimum, googleMinimum, type Minimum } from './minimum-requests.js';
import { type EmulatorProcess, repoRoot, runCli, startEmulatorProcess } from './processes.js';
import {
  errorRow,
  machine,
  printTable,
  type ResultRow,
  type Results,
  row,
  type Target,
  updateResults,
  writeResults,
} from './results.js';
import { workerScalingRows } from './worker-scaling.js';
import { entraInventory, githubInventory, googleInventory } from './world-inventory.js';
import {
  type BenchPlatform,
  type BenchWorld,
  benchScale,
  PLATFORMS,
  SIZES,
  type SizeName,
  writeBenchWorld,
} from './worlds.js';

const MIB_512: Target = { op: '<', value: 512 };
const MIN_RATIO: Target = { op: '<=', value: 1.1 };
const NAIVE_RATIO: Target = { op: '>=', value: 10 };
const BOUND_RATIO: Target = { op: '<=', value: 1.25 };
const RESCAN_COST: Target = { op: '<=', value: 0.1 };
const RESCAN_TIME: Target = { op: '<=', value: 0.25 };
const GROWTH: Target = { op: '<', value: 64 };
/** Time scale of the limits rows (quota windows pass this much faster; latency is real). */
const TIME_SCALE = Number(process.env.GS_BENCH_TIME_SCALE ?? 4);
/**
 * The size the limits rows run at (`GS_BENCH_LIMITS_SIZE`). By default the world whose size is closest to the
 * full-size medium one: medium at GS_BENCH_SCALE above 0.2 (a row takes a minute or two at scale 1; the large
 * GitHub world needs more than one primary-budget hour, 15 minutes at time scale 4), large below it, so that a
 * scaled-down run still has a lower bound of many seconds and the CLI's fixed start-up (about a second) is not
 * most of what the ratio measures.
 */
const LIMITS_SIZE: SizeName = limitsSize(
  process.env.GS_BENCH_LIMITS_SIZE ?? (benchScale() > 0.2 ? 'medium' : 'large'),
);

function limitsSize(raw: string): SizeName {
  if (!(SIZES as readonly string[]).includes(raw))
    throw new Error(`GS_BENCH_LIMITS_SIZE must be one of ${SIZES.join(', ')}, not ${raw}`);
  return raw as SizeName;
}

interface Ctx {
  dir: string;
  worlds: Map<string, BenchWorld>;
  limits: LimitsModule | null;
  rows: ResultRow[];
  /** Scan numbers of the small worlds, for the naive comparison. */
  small: Map<BenchPlatform, ScanNumbers>;
}

interface ScanNumbers {
  requests: number;
  byCollector: Record<string, number>;
  seconds: number;
}

function world(ctx: Ctx, platform: BenchPlatform, size: SizeName): BenchWorld {
  const key = `${platform}-${size}`;
  let w = ctx.worlds.get(key);
  if (!w) {
    w = writeBenchWorld(ctx.dir, platform, size);
    ctx.worlds.set(key, w);
  }
  return w;
}

async function minimumOf(w: BenchWorld): Promise<Minimum> {
  if (w.platform === 'github') return githubMinimum(await githubInventory(w.file));
  if (w.platform === 'microsoft365') return entraMinimum(await entraInventory(w.file));
  return googleMinimum(await googleInventory(w.file));
}

interface ScanJson {
  coverage?: Array<{
    connector: string;
    requests: number;
    status: string;
    collectors: Array<{
      collector: string;
      requests: number;
      startedAt?: string | null;
      finishedAt?: string | null;
    }>;
  }>;
}

function readScan(file: string): ScanNumbers & {
  status: string;
  collectionSeconds: number | null;
  /** Epoch ms of the first collector's start and the last one's finish. */
  collection: { start: number; end: number } | null;
} {
  const j = JSON.parse(readFileSync(file, 'utf8')) as ScanJson;
  const sources = j.coverage ?? [];
  const byCollector: Record<string, number> = {};
  for (const s of sources)
    for (const c of s.collectors) byCollector[c.collector] = (byCollector[c.collector] ?? 0) + c.requests;
  const times = sources.flatMap((s) => s.collectors).flatMap((c) => [c.startedAt, c.finishedAt]);
  const ms = times.filter((t): t is string => typeof t === 'string').map((t) => Date.parse(t));
  return {
    requests: sources.reduce((n, s) => n + s.requests, 0),
    collectionSeconds: ms.length > 0 ? (Math.max(...ms) - Math.min(...ms)) / 1000 : null,
    collection: ms.length > 0 ? { start: Math.min(...ms), end: Math.max(...ms) } : null,
    byCollector,
    seconds: 0,
    status: sources.map((s) => s.status).join(',') || 'no coverage',
  };
}

/** The formats `grantscope findings --format` offers (jsonl/sarif appear when the build has them). */
function findingsFormats(help: string): string[] {
  const m = /--format[\s\S]*?\(choices:([^)]*)\)/.exec(help);
  const choices = (m?.[1] ?? '').split('default:')[0] ?? '';
  const formats = [...new Set([...choices.matchAll(/"([^"]+)"/g)].map((x) => x[1]!))];
  return formats.length > 0 ? formats : ['table', 'json', 'csv', 'md'];
}

const dbBytes = (db: string) =>
  [db, `${db}-wal`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);

async function withEmulator<T>(
  w: BenchWorld,
  configDir: string,
  limitsFile: string | undefined,
  fn: (emu: EmulatorProcess) => Promise<T>,
): Promise<T> {
  const emu = await startEmulatorProcess({
    world: w.file,
    configDir,
    ...(limitsFile ? { limits: limitsFile } : {}),
  });
  try {
    return await fn(emu);
  } finally {
    await emu.stop();
  }
}

async function scanTask(ctx: Ctx, platform: BenchPlatform, size: SizeName): Promise<void> {
  const w = world(ctx, platform, size);
  const task = `scan ${platform} ${size} (${w.label})`;
  const large = size === 'large';
  const work = join(ctx.dir, `${platform}-${size}`);
  mkdirSync(work, { recursive: true });
  const db = join(work, 'grantscope.db');
  const metering = ctx.limits ? writeLimitsFile(ctx.dir, 'metering', METERING_LIMITS) : undefined;
  const add = (r: ResultRow) => ctx.rows.push(r);
  await withEmulator(w, join(work, 'config'), metering, async (emu) => {
    await emu.resetStats();
    const scan = await runCli(scanArgs(emu.configFile, db, join(work, 'scan.json')), { cwd: work });
    if (![0, 1, 3].includes(scan.exitCode))
      throw new Error(`scan exited ${scan.exitCode}: ${scan.stderr.slice(0, 500)}`);
    const numbers = { ...readScan(join(work, 'scan.json')), seconds: scan.seconds };
    const stats = await emu.stats();
    const cost = platformCost(stats, platform);
    if (size === 'small') ctx.small.set(platform, numbers);
    add(
      numbers.status === 'complete'
        ? row(task, 'scan status', numbers.status)
        : errorRow(task, 'scan status', new Error(`scan ${numbers.status} (exit ${scan.exitCode})`)),
    );
    add(row(task, 'scan wall time (CLI, scan through JSON output)', scan.seconds, { unit: 's' }));
    add(row(task, 'scan peak RSS', scan.peakRssMiB, { unit: 'MiB', ...(large ? { target: MIB_512 } : {}) }));
    add(row(task, 'scan requests (coverage)', numbers.requests, { note: `emulator counted ${stats.total}` }));
    if (cost) add(row(task, 'scan quota cost (emulator)', cost.cost, { note: costUnit(platform) }));
    try {
      const min = await minimumOf(w);
      add(
        row(task, 'API minimum requests (computed from the world)', min.total, {
          detail: {
            minimum: min.lines,
            scanByCollector: numbers.byCollector,
            emulatorRoutes: stats.routes.map((r) => `${r.method} ${r.pattern} ${r.count}`),
          },
        }),
      );
      add(
        row(task, 'requests / API minimum', round(numbers.requests / min.total, 3), {
          unit: '×',
          target: MIN_RATIO,
        }),
      );
    } catch (err) {
      add(errorRow(task, 'requests / API minimum', err, MIN_RATIO, '×'));
    }

    const help = await runCli(['findings', '--help'], { cwd: work });
    for (const format of findingsFormats(help.stdout)) {
      const out = join(work, `findings.${format}`);
      const f = await runCli(
        ['findings', '-c', emu.configFile, '--db', db, '--format', format, '-o', out, '--no-progress', '-q'],
        { cwd: work },
      );
      if (f.exitCode !== 0) {
        add(
          errorRow(
            task,
            `findings --format ${format} peak RSS`,
            new Error(`exit ${f.exitCode}: ${f.stderr.trim()}`),
            large ? MIB_512 : undefined,
            'MiB',
          ),
        );
        continue;
      }
      add(
        row(task, `findings --format ${format}: peak RSS`, f.peakRssMiB, {
          unit: 'MiB',
          ...(large ? { target: MIB_512 } : {}),
          note: `${round(f.seconds, 1)} s, ${round(statSync(out).size / 2 ** 20, 1)} MiB written`,
        }),
      );
    }

    if (!large) return;
    // An unchanged rescan: the same world again, into the same database.
    const before = dbBytes(db);
    await emu.resetStats();
    const again = await runCli(scanArgs(emu.configFile, db, join(work, 'rescan.json')), { cwd: work });
    if (![0, 1, 3].includes(again.exitCode))
      throw new Error(`rescan exited ${again.exitCode}: ${again.stderr.slice(0, 500)}`);
    const rescan = readScan(join(work, 'rescan.json'));
    const rescanCost = platformCost(await emu.stats(), platform);
    add(row(task, 'unchanged rescan: requests', rescan.requests));
    add(row(task, 'unchanged rescan: peak RSS', again.peakRssMiB, { unit: 'MiB', target: MIB_512 }));
    if (cost && rescanCost)
      add(
        row(
          task,
          'unchanged rescan: quota cost / first scan',
          round(rescanCost.cost / Math.max(1, cost.cost), 3),
          {
            unit: '×',
            target: RESCAN_COST,
            note: `${rescanCost.cost} vs ${cost.cost} ${costUnit(platform)}`,
          },
        ),
      );
    else
      add(
        errorRow(
          task,
          'unchanged rescan: quota cost / first scan',
          new Error('the emulator meters no quota cost on this build (no --limits)'),
          RESCAN_COST,
          '×',
        ),
      );
    // No latency and no quota here: the process's own time. The target is carried by the rescan row
    // of the limits task, under realistic limits, which is what a user sees (bench/README.md).
    add(
      row(
        task,
        'unchanged rescan: time / first scan (no latency, no quota)',
        round(again.seconds / scan.seconds, 3),
        {
          unit: '×',
          note: `${round(again.seconds, 1)} s vs ${round(scan.seconds, 1)} s; the target is on the limits row`,
        },
      ),
    );
    add(
      row(
        task,
        'unchanged rescan: database growth (incl. findings)',
        round((dbBytes(db) - before) / 1024, 1),
        { unit: 'KiB', target: GROWTH },
      ),
    );
    // A second unchanged rescan shows the growth from then on. (Before schema 7 the first rescan rewrote
    // every open finding's last-seen scan, 1 to 2, one byte wider per row; now it writes no finding row.)
    const beforeSecond = dbBytes(db);
    const second = await runCli(scanArgs(emu.configFile, db, join(work, 'rescan2.json')), { cwd: work });
    if ([0, 1, 3].includes(second.exitCode))
      add(
        row(
          task,
          'second unchanged rescan: database growth (incl. findings)',
          round((dbBytes(db) - beforeSecond) / 1024, 1),
          {
            unit: 'KiB',
            note: 'steady state',
          },
        ),
      );
    if (platform === 'microsoft365') await defaultPacingRow(ctx, task, emu.configFile, work, scan.seconds);
  });
}

/**
 * A first scan as a user's config runs it, without `resourceUnitsPer10s`: the scanner paces to the
 * smallest tenants' Graph bucket until it learns the tenant's size (GET /users/$count when that bucket
 * binds), then to that size's. Next to the first scan, whose config names a bucket no scan fills: the
 * time the default pacing costs. Not an issue target; it shows a scan that stays at the smallest bucket.
 */
async function defaultPacingRow(ctx: Ctx, task: string, configFile: string, work: string, paced: number) {
  // Beside the written config: its key and CA files are named relative to it.
  const config = join(dirname(configFile), 'grantscope-default-pacing.yaml');
  writeFileSync(config, readFileSync(configFile, 'utf8').replace(/^\s*resourceUnitsPer10s:.*\n/m, ''));
  const run = await runCli(
    scanArgs(config, join(work, 'default-pacing.db'), join(work, 'default-pacing.json')),
    {
      cwd: work,
    },
  );
  if (![0, 1, 3].includes(run.exitCode)) {
    ctx.rows.push(
      errorRow(
        task,
        'scan with default pacing (resourceUnitsPer10s unset): time / first scan',
        new Error(`scan exited ${run.exitCode}: ${run.stderr.trim().slice(0, 300)}`),
      ),
    );
    return;
  }
  ctx.rows.push(
    row(
      task,
      'scan with default pacing (resourceUnitsPer10s unset): time / first scan',
      round(run.seconds / paced, 3),
      {
        unit: '×',
        note: `${round(run.seconds, 1)} s vs ${round(paced, 1)} s; no target (the scanner's own pacing, not a quota)`,
      },
    ),
  );
}

/**
 * The limits the emulator enforces for `w`: GitHub's primary budgets are an app installation's, raised
 * by the org's repositories and members (`installationHourlyLimit`), when the limits say so.
 */
async function enforcedLimits(mod: LimitsModule, limits: LimitsSpec, w: BenchWorld): Promise<LimitsSpec> {
  const g = limits.github;
  if (w.platform !== 'github' || !g?.installationScaling || !mod.installationHourlyLimit) return limits;
  const inv = await githubInventory(w.file);
  const hourly = (floor: number) => mod.installationHourlyLimit!(floor, inv.repos, inv.members);
  return {
    ...limits,
    github: {
      ...g,
      restPerHour: hourly(g.restPerHour),
      graphqlPointsPerHour: hourly(g.graphqlPointsPerHour),
    },
  };
}

/** A quiet `grantscope scan` of `config` into `db`, its JSON report written to `out`, as the bench runs it. */
function scanArgs(config: string, db: string, out: string): string[] {
  return ['scan', '-c', config, '--db', db, '--format', 'json', '-o', out, '--no-progress', '-q'];
}

function costUnit(platform: BenchPlatform): string {
  return platform === 'github'
    ? 'GitHub primary points (core + GraphQL)'
    : platform === 'microsoft365'
      ? 'Graph resource units'
      : 'Google Directory queries';
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

async function naiveTask(ctx: Ctx, platform: BenchPlatform): Promise<void> {
  const w = world(ctx, platform, 'small');
  const task = `naive ${platform} small (${w.label})`;
  const work = join(ctx.dir, `naive-${platform}`);
  mkdirSync(work, { recursive: true });
  await withEmulator(w, join(work, 'config'), undefined, async (emu) => {
    await emu.resetStats();
    const out = await new Promise<string>((done, fail) => {
      const child = spawn(
        process.execPath,
        [join(repoRoot(), 'dist', 'bench', 'naive-scan.js'), platform, emu.configFile],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b));
      child.stderr.on('data', (b: Buffer) => (stderr += b));
      child.on('close', (code) =>
        code === 0 ? done(stdout) : fail(new Error(`naive scan exited ${code}: ${stderr.slice(0, 400)}`)),
      );
    });
    const naive = JSON.parse(out) as {
      requests: number;
      perObjectRequests: number;
      objects: number;
      seconds: number;
    };
    const emulated = (await emu.stats()).total;
    ctx.rows.push(
      row(task, 'naive requests (sequential, one request per object)', emulated, {
        note: `${naive.objects} objects; ${round(naive.seconds, 1)} s`,
      }),
    );
    // Compared with the small world's scan: the one `scan <platform> small` measured, else one run here.
    let scan = ctx.small.get(platform);
    if (!scan) {
      const out = join(work, 'scan.json');
      const run = await runCli(scanArgs(emu.configFile, join(work, 'grantscope.db'), out), { cwd: work });
      if (![0, 1, 3].includes(run.exitCode))
        throw new Error(`scan exited ${run.exitCode}: ${run.stderr.slice(0, 500)}`);
      scan = { ...readScan(out), seconds: run.seconds };
    }
    if (platform === 'github') {
      // Deploy keys: naive = repository list + one keys list per repository (everything it sent but the token).
      const ours = (scan.byCollector['deploy-keys'] ?? 0) + (scan.byCollector.repositories ?? 0);
      ctx.rows.push(
        row(
          task,
          'deploy keys: naive requests / scan requests (repositories + deploy-keys)',
          round((emulated - 1) / Math.max(1, ours), 2),
          { unit: '×', target: NAIVE_RATIO, note: `${emulated - 1} vs ${ours}` },
        ),
      );
    } else {
      ctx.rows.push(
        row(task, 'naive requests / scan requests', round(emulated / Math.max(1, scan.requests), 2), {
          unit: '×',
          ...(platform === 'microsoft365' ? { target: NAIVE_RATIO } : {}),
          note: `${emulated} vs ${scan.requests} (the scan reads more than the naive one)`,
        }),
      );
    }
  });
}

async function limitsTask(ctx: Ctx, platform: BenchPlatform): Promise<void> {
  const w = world(ctx, platform, LIMITS_SIZE);
  const task = `limits ${platform} ${LIMITS_SIZE} (${w.label}, realistic limits, time scale ${TIME_SCALE})`;
  if (!ctx.limits) {
    ctx.rows.push(
      errorRow(
        task,
        'wall time / limit-imposed lower bound',
        new Error('this build has no emulator limits (src/emulator/limits.ts)'),
        BOUND_RATIO,
        '×',
      ),
    );
    return;
  }
  const limits: LimitsSpec = { ...ctx.limits.REALISTIC_LIMITS, timeScale: TIME_SCALE };
  const file = writeLimitsFile(ctx.dir, `realistic-x${TIME_SCALE}`, limits);
  const work = join(ctx.dir, `limits-${platform}`);
  mkdirSync(work, { recursive: true });
  await withEmulator(w, join(work, 'config'), file, async (emu) => {
    const scanInto = async (out: string) => {
      await emu.resetStats();
      const spawnedAt = Date.now();
      const run = await runCli(scanArgs(emu.configFile, join(work, 'grantscope.db'), join(work, out)), {
        cwd: work,
      });
      if (![0, 1, 3].includes(run.exitCode))
        throw new Error(`scan exited ${run.exitCode}: ${run.stderr.slice(0, 500)}`);
      return { ...run, spawnedAt, exitedAt: spawnedAt + run.seconds * 1000 };
    };
    const scan = await scanInto('scan.json');
    const firstStats = await emu.stats();
    const cost = platformCost(firstStats, platform);
    if (!cost) throw new Error('the emulator reported no limits stats');
    const enforced = await enforcedLimits(ctx.limits!, limits, w);
    const bound = ctx.limits!.limitLowerBoundSeconds(enforced, platform, cost.demand);
    ctx.rows.push(
      row(task, 'limit-imposed lower bound (for the requests and cost the scan spent)', round(bound, 2), {
        unit: 's',
        note: `${cost.requests} requests, ${cost.cost} ${costUnit(platform)}`,
      }),
    );
    ctx.rows.push(
      row(task, 'scan wall time', round(scan.seconds, 2), {
        unit: 's',
        note: `${cost.refused} request(s) refused by a limit`,
      }),
    );
    ctx.rows.push(
      row(task, 'wall time / lower bound', round(scan.seconds / Math.max(bound, 0.001), 2), {
        unit: '×',
        target: BOUND_RATIO,
      }),
    );
    // The CLI's wall time includes start-up, storing, analysis and output; the collection span shows what
    // the connectors took (first collector start to last finish), for reading the row above.
    const first = readScan(join(work, 'scan.json'));
    const span = first.collectionSeconds;
    // The rest of the wall time: the process before its first collector starts (node, modules,
    // config, store, token) and after the last one ends (storing, analysis, output, exit).
    if (first.collection)
      ctx.rows.push(
        row(
          task,
          'CLI time outside collection (start-up + after the last collector)',
          round((first.collection.start - scan.spawnedAt + scan.exitedAt - first.collection.end) / 1000, 2),
          {
            unit: 's',
            note: `${round((first.collection.start - scan.spawnedAt) / 1000, 2)} s + ${round((scan.exitedAt - first.collection.end) / 1000, 2)} s`,
          },
        ),
      );
    if (span !== null)
      ctx.rows.push(
        row(
          task,
          'collection span / lower bound (first collector start to last finish)',
          round(span / Math.max(bound, 0.001), 2),
          {
            unit: '×',
            note: `${round(span, 2)} s`,
          },
        ),
      );
    // The bound assumes the pool serves `max` at once throughout: how far the scan kept it so, and
    // the mean served per half second (where it fell short: start-up, a list read page by page, …).
    const pool = poolBusy(firstStats, platform);
    if (pool)
      ctx.rows.push(
        row(
          task,
          'connection pool: mean requests served at once (the bound assumes all of them)',
          pool.meanActive,
          {
            note: `of ${pool.max}; full ${Math.round(pool.fullShare * 100)}% of ${round(pool.spanMs / 1000, 2)} s; at most ${pool.peakWaiting} waiting; per 0.5 s: ${pool.timeline.map((n) => Math.round(n)).join(' ')}`,
          },
        ),
      );
    // An unchanged rescan under the same limits: what a user sees on a real tenant, where the first
    // scan is bound by the quotas and latency that the rescan's incremental reads avoid (README).
    const again = await scanInto('rescan.json');
    const rescanCost = platformCost(await emu.stats(), platform);
    ctx.rows.push(
      row(
        task,
        'unchanged rescan: time / first scan (realistic limits)',
        round(again.seconds / scan.seconds, 3),
        {
          unit: '×',
          target: RESCAN_TIME,
          note: `${round(again.seconds, 1)} s vs ${round(scan.seconds, 1)} s; ${rescanCost?.requests ?? '?'} vs ${cost.requests} requests`,
        },
      ),
    );
    if (rescanCost)
      ctx.rows.push(
        row(
          task,
          'unchanged rescan: limit-imposed lower bound',
          round(ctx.limits!.limitLowerBoundSeconds(enforced, platform, rescanCost.demand), 2),
          { unit: 's', note: `${rescanCost.cost} ${costUnit(platform)}` },
        ),
      );
  });
}

async function storeTask(ctx: Ctx): Promise<void> {
  const out = await new Promise<string>((done, fail) => {
    const child = spawn(process.execPath, [join(repoRoot(), 'dist', 'bench', 'store.bench.js'), '--json'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.on('close', (code) => (code === 0 ? done(stdout) : fail(new Error(`store bench exited ${code}`))));
  });
  ctx.rows.push(...(JSON.parse(out.trim().split('\n').at(-1)!) as ResultRow[]));
}

interface Task {
  name: string;
  run(ctx: Ctx): Promise<void>;
}

function tasks(): Task[] {
  const list: Task[] = [];
  for (const p of PLATFORMS)
    for (const s of SIZES) list.push({ name: `scan ${p} ${s}`, run: (c) => scanTask(c, p, s) });
  for (const p of PLATFORMS) list.push({ name: `naive ${p}`, run: (c) => naiveTask(c, p) });
  for (const p of PLATFORMS) list.push({ name: `limits ${p}`, run: (c) => limitsTask(c, p) });
  list.push({ name: 'store', run: storeTask });
  list.push({
    name: 'workers',
    run: async (c) => {
      c.rows.push(...(await workerScalingRows(join(c.dir, 'workers'))));
    },
  });
  return list;
}

async function main(args: string[]): Promise<number> {
  const root = repoRoot();
  const selected = tasks().filter((t) => args.length === 0 || args.some((a) => t.name.includes(a)));
  if (selected.length === 0) {
    console.error(
      `no bench task matches ${args.join(', ')}; tasks: ${tasks()
        .map((t) => t.name)
        .join(', ')}`,
    );
    return 2;
  }
  // The naive rows compare with the small scans: run those first when selected together.
  const ctx: Ctx = {
    dir: mkdtempSync(join(tmpdir(), 'grantscope-bench-')),
    worlds: new Map(),
    limits: await loadLimits(),
    rows: [],
    small: new Map(),
  };
  try {
    for (const t of selected) {
      console.error(`bench: ${t.name}…`);
      const started = performance.now();
      try {
        await t.run(ctx);
      } catch (err) {
        ctx.rows.push(errorRow(t.name, 'task', err));
      }
      console.error(`bench: ${t.name} done in ${round((performance.now() - started) / 1000, 1)} s`);
    }
  } finally {
    rmSync(ctx.dir, { recursive: true, force: true });
  }
  const sizes: Record<string, string> = {};
  for (const w of ctx.worlds.values()) sizes[`${w.platform} ${w.size}`] = w.label;
  const jsonFile = join(root, 'bench', 'results.json');
  const update = process.env.GS_BENCH_UPDATE === '1';
  const run: Results = {
    machine: machine(root),
    scale: benchScale(),
    sizes,
    command: `${process.env.GS_BENCH_SCALE ? `GS_BENCH_SCALE=${process.env.GS_BENCH_SCALE} ` : ''}${update ? 'GS_BENCH_UPDATE=1 ' : ''}npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
    rows: ctx.rows,
  };
  // GS_BENCH_UPDATE=1: re-run some tasks and keep the other rows of the last run (bench/README.md).
  const written =
    update && existsSync(jsonFile)
      ? updateResults(
          JSON.parse(readFileSync(jsonFile, 'utf8')) as Results,
          run,
          selected.map((t) => t.name),
        )
      : run;
  writeResults(jsonFile, join(root, 'bench', 'results.md'), written);
  printTable(ctx.rows);
  console.error(`bench: wrote bench/results.json and bench/results.md`);
  return ctx.rows.some((r) => r.status === 'missed' || r.status === 'error') ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
