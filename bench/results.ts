/**
 * One measurement of the bench, its target and whether it was met; and the two files the bench writes
 * (bench/results.json, bench/results.md) with the machine they were measured on.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export type Comparator = '<' | '<=' | '>=';

export interface Target {
  op: Comparator;
  value: number;
}

export type Status = 'met' | 'missed' | 'info' | 'error';

export interface ResultRow {
  /** The task that measured it, e.g. `scan github large` (what `npm run bench -- <filter>` matches). */
  task: string;
  /** What was measured, e.g. `peak RSS (findings --format csv)`. */
  metric: string;
  value: number | string | null;
  unit?: string;
  target?: Target;
  status: Status;
  note?: string;
  /** More than the table shows (results.json only), e.g. the minimum's per-read breakdown. */
  detail?: unknown;
}

export function check(value: number, target: Target): boolean {
  if (target.op === '<') return value < target.value;
  if (target.op === '<=') return value <= target.value;
  return value >= target.value;
}

/** A row; checked when it has a target and a numeric value. */
export function row(
  task: string,
  metric: string,
  value: number | string | null,
  extra: { unit?: string; target?: Target; note?: string; detail?: unknown } = {},
): ResultRow {
  let status: Status = 'info';
  if (extra.target) status = typeof value === 'number' && check(value, extra.target) ? 'met' : 'missed';
  return { task, metric, value, ...extra, status };
}

export function errorRow(
  task: string,
  metric: string,
  err: unknown,
  target?: Target,
  unit?: string,
): ResultRow {
  const message = err instanceof Error ? err.message : String(err);
  return {
    task,
    metric,
    value: null,
    ...(unit ? { unit } : {}),
    ...(target ? { target } : {}),
    status: 'error',
    note: message.split('\n')[0]!.slice(0, 300),
  };
}

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  commit: string;
}

export function machine(root: string): Machine {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    }).trim();
    if (dirty) commit += ' (with uncommitted changes)';
  } catch {
    // not a git checkout: the commit stays unknown
  }
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    commit,
  };
}

function formatValue(v: number | string | null): string {
  if (v === null) return '—';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return v.toLocaleString('en');
  return Math.abs(v) >= 100
    ? Math.round(v).toLocaleString('en')
    : Math.abs(v) >= 1
      ? v.toFixed(2)
      : v.toPrecision(3);
}

const unit = (u?: string) => (u ? (u === '×' ? u : ` ${u}`) : '');

export function cells(r: ResultRow): string[] {
  return [
    r.task,
    r.metric,
    `${formatValue(r.value)}${r.value === null ? '' : unit(r.unit)}`,
    r.target ? `${r.target.op} ${formatValue(r.target.value)}${unit(r.unit)}` : '',
    r.status === 'info' ? '' : r.status,
    r.note ?? '',
  ];
}

const HEADER = ['task', 'metric', 'value', 'target', 'status', 'note'];

export function printTable(rows: readonly ResultRow[]): void {
  const lines = rows.map(cells);
  const widths = HEADER.map((h, i) =>
    Math.min(i === 5 ? 60 : 80, Math.max(h.length, ...lines.map((l) => l[i]!.length))),
  );
  const fmt = (c: string[]) =>
    c
      .map((x, i) => x.padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  console.log(fmt(HEADER));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const l of lines) console.log(fmt(l));
}

export interface Results {
  machine: Machine;
  /** The sizes run (after GS_BENCH_SCALE). */
  scale: number;
  sizes: Record<string, string>;
  command: string;
  rows: ResultRow[];
  /** Filtered runs made with GS_BENCH_UPDATE=1 since the full run: which tasks' rows they replaced. */
  updates?: ResultsUpdate[];
}

export interface ResultsUpdate {
  date: string;
  commit: string;
  command: string;
  tasks: string[];
}

/** Whether a row belongs to the task named `task` (rows are named after their task: `scan github small (50 repos)`). */
export function rowOfTask(row: Pick<ResultRow, 'task'>, task: string): boolean {
  return row.task === task || row.task.startsWith(`${task} `) || row.task.startsWith(`${task}:`);
}

/**
 * The earlier results with the rows of the tasks just run replaced by this run's (in the earlier rows' places,
 * new ones after them) and this run recorded as an update. Refuses results of another scale: their sizes differ.
 */
export function updateResults(earlier: Results, run: Results, tasks: readonly string[]): Results {
  if (earlier.scale !== run.scale)
    throw new Error(
      `GS_BENCH_UPDATE: bench/results.json is at scale ${earlier.scale}, this run at ${run.scale}; run at the same GS_BENCH_SCALE or without GS_BENCH_UPDATE`,
    );
  const ran = (row: ResultRow) => tasks.some((t) => rowOfTask(row, t));
  const rows: ResultRow[] = [];
  let placed = false;
  for (const row of earlier.rows) {
    if (!ran(row)) rows.push(row);
    else if (!placed) {
      rows.push(...run.rows);
      placed = true;
    }
  }
  if (!placed) rows.push(...run.rows);
  return {
    ...earlier,
    sizes: { ...earlier.sizes, ...run.sizes },
    rows,
    updates: [
      ...(earlier.updates ?? []),
      { date: run.machine.date, commit: run.machine.commit, command: run.command, tasks: [...tasks] },
    ],
  };
}

export function writeResults(jsonFile: string, mdFile: string, r: Results): void {
  writeFileSync(jsonFile, `${JSON.stringify(r, null, 2)}\n`);
  const m = r.machine;
  const counts = (s: Status) => r.rows.filter((x) => x.status === s).length;
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const md = [
    '# grantscope bench results',
    '',
    `- Date: ${m.date}`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM`,
    `- Node: ${m.node}`,
    `- Commit: ${m.commit}`,
    `- Command: \`${r.command}\``,
    `- Scale: ${r.scale}${r.scale === 1 ? ' (the promised sizes)' : ' (GS_BENCH_SCALE: smaller than the promised sizes; targets at the largest size are checked on these)'}`,
    `- Sizes run: ${Object.entries(r.sizes)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}`,
    ...(r.updates ?? []).map(
      (u) =>
        `- Updated: the rows of ${u.tasks.join(', ')} re-run on ${u.date} at commit ${u.commit} (\`${u.command}\`)`,
    ),
    `- Targets: ${counts('met')} met, ${counts('missed')} missed, ${counts('error')} not measured (error)`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...r.rows.map((x) => `| ${cells(x).map(esc).join(' | ')} |`),
    '',
  ].join('\n');
  writeFileSync(mdFile, md);
}
