/**
 * Benchmark harness. `node dist/bench/run.js [name…]` runs every `*.bench.js` beside this file (or
 * those whose name contains one of the arguments), each in a fresh child process so that peak RSS
 * belongs to one benchmark, and prints one table. Exit code 1 if a benchmark failed or missed a
 * checkable target (`< N` / `<= N`).
 */
import { fork } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchRow } from './bench-row.js';

interface ChildResult {
  rows: BenchRow[];
  maxRssKiB: number;
  /** Optional `export const peakRssTarget = '< 1024'` (MiB) of the module. */
  peakRssTarget?: string;
}

const here = dirname(fileURLToPath(import.meta.url));

async function runChild(file: string): Promise<void> {
  const mod = (await import(pathToFileURL(file).href)) as { default: Bench; peakRssTarget?: string };
  const rows = await mod.default();
  const result: ChildResult = {
    rows,
    maxRssKiB: process.resourceUsage().maxRSS,
    peakRssTarget: mod.peakRssTarget,
  };
  await new Promise<void>((done) => process.send!(result, undefined, undefined, () => done()));
  process.disconnect();
}

function runInChild(file: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', file], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: ChildResult | undefined;
    child.on('message', (m) => {
      result = m as ChildResult;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result && code === 0) resolve(result);
      else reject(new Error(`${basename(file)} exited with ${signal ?? `code ${code}`}`));
    });
  });
}

/** `< 20` / `<= 64` against a numeric value; undefined when the target is not of that form. */
export function meetsTarget(row: BenchRow): boolean | undefined {
  const m = /^\s*(<=?)\s*(-?[\d.]+)\s*$/.exec(row.target ?? '');
  if (!m || typeof row.value !== 'number') return undefined;
  const limit = Number(m[2]);
  return m[1] === '<' ? row.value < limit : row.value <= limit;
}

function formatValue(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

function printTable(rows: BenchRow[]): void {
  const lines = rows.map((r) => {
    const ok = meetsTarget(r);
    return [
      r.name,
      r.metric,
      `${formatValue(r.value)}${r.unit ? ` ${r.unit}` : ''}`,
      r.target ? `${r.target}${r.unit ? ` ${r.unit}` : ''}` : '',
      ok === undefined ? '' : ok ? 'ok' : 'MISSED',
    ];
  });
  const header = ['name', 'metric', 'value', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const l of lines) console.log(fmt(l));
}

async function main(args: string[]): Promise<number> {
  if (args[0] === '--child') {
    await runChild(args[1]!);
    return 0;
  }
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.js'))
    .filter((f) => args.length === 0 || args.some((a) => f.includes(a)))
    .sort();
  if (files.length === 0) {
    console.error(`no benchmark matches ${args.join(', ') || '*'} in ${here}`);
    return 2;
  }
  const rows: BenchRow[] = [];
  let failed = false;
  for (const f of files) {
    const name = f.replace(/\.bench\.js$/, '');
    console.error(`running ${name}…`);
    try {
      const result = await runInChild(join(here, f));
      rows.push(...result.rows, {
        name,
        metric: 'peak RSS',
        value: Math.round(result.maxRssKiB / 1024),
        unit: 'MiB',
        target: result.peakRssTarget,
      });
    } catch (err) {
      failed = true;
      rows.push({ name, metric: 'error', value: (err as Error).message });
    }
  }
  printTable(rows);
  return failed || rows.some((r) => meetsTarget(r) === false) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
