/**
 * Progress of long work (records read, repositories checked, the store commit, rule evaluation).
 * On a terminal the CLI redraws one status line on stderr; elsewhere (CI logs, cron mail, `2>file`)
 * it prints a heartbeat line every few seconds while work is under way, so a long quiet phase is
 * not mistaken for a hang. Stdout is never touched.
 */
export interface Progress {
  /**
   * Begin (or re-label) a task. `total` when known; `unit` names what is counted (`repos`, `users`,
   * `records`); without it, the part of the task name after `platform: ` is the unit
   * (`github: repositories` → `github: 64 repositories`).
   */
  start(task: string, total?: number, unit?: string): void;
  /** Advance a task by `n` units (default 1). */
  tick(task: string, n?: number): void;
  /** Mark a task finished. */
  done(task: string): void;
}

export const silentProgress: Progress = { start() {}, tick() {}, done() {} };

interface TaskState {
  group: string;
  unit: string;
  /** Counted from the start (a unit or total was given): shows `0 records`, not the elapsed time. */
  counted: boolean;
  done: number;
  total?: number;
  startedAt: number;
  finished: boolean;
}

const count = (n: number) => n.toLocaleString('en-US');

/** `github: repositories` → group `github`, unit `repositories`; a task without `: ` is its own group. */
function splitTask(task: string, unit: string | undefined): { group: string; unit: string } {
  const at = task.indexOf(': ');
  if (at < 0) return { group: task, unit: unit ?? '' };
  return { group: task.slice(0, at), unit: unit ?? task.slice(at + 2) };
}

/** The tasks under way, as text: `github: 64 repositories, 12/64 repos (deploy keys) · storing scan #3`. */
export class ProgressBoard implements Progress {
  private readonly tasks = new Map<string, TaskState>();
  constructor(
    private readonly onChange: (force: boolean) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  start(task: string, total?: number, unit?: string): void {
    this.tasks.set(task, {
      ...splitTask(task, unit),
      counted: unit !== undefined || total !== undefined,
      done: 0,
      ...(total !== undefined ? { total } : {}),
      startedAt: this.now(),
      finished: false,
    });
    this.onChange(false);
  }

  tick(task: string, n = 1): void {
    let t = this.tasks.get(task);
    if (!t) {
      t = { ...splitTask(task, undefined), counted: true, done: 0, startedAt: this.now(), finished: false };
      this.tasks.set(task, t);
    }
    t.done += n;
    this.onChange(false);
  }

  done(task: string): void {
    const t = this.tasks.get(task);
    if (t) t.finished = true;
    this.onChange(true);
    // Finished tasks are forgotten once nothing is under way: the next phase starts clean.
    if (!this.active()) this.tasks.clear();
  }

  active(): boolean {
    for (const t of this.tasks.values()) if (!t.finished) return true;
    return false;
  }

  /** One text per group with work under way, in the order the groups started. */
  groups(): string[] {
    const byGroup = new Map<string, string[]>();
    for (const t of this.tasks.values()) {
      if (t.finished) continue;
      const parts = byGroup.get(t.group) ?? [];
      parts.push(this.describe(t));
      byGroup.set(t.group, parts);
    }
    return [...byGroup].map(([group, parts]) => {
      const shown = parts.filter(Boolean);
      return shown.length > 0 ? `${group}: ${shown.join(', ')}` : group;
    });
  }

  private describe(t: TaskState): string {
    // Nothing counted yet (the store commit, a first page): what, and how long it has taken.
    if (!t.counted && t.done === 0) {
      const seconds = Math.floor((this.now() - t.startedAt) / 1000);
      const elapsed = seconds > 0 ? `${seconds}s` : '';
      return t.unit && elapsed ? `${t.unit} (${elapsed})` : t.unit || elapsed;
    }
    const n = t.total !== undefined ? `${count(t.done)}/${count(t.total)}` : count(t.done);
    return t.unit ? `${n} ${t.unit}` : n;
  }
}

/**
 * `parts` joined by ` · ` within `width` columns: whole parts only (never a chopped number), then
 * `+N more`; a first part too long on its own is shortened in the middle of its label.
 */
export function fitLine(parts: readonly string[], width: number): string {
  if (parts.length === 0) return '';
  let line = '';
  for (let i = 0; i < parts.length; i++) {
    const next = line ? `${line} · ${parts[i]}` : parts[i]!;
    const more = i + 1 < parts.length ? ` · +${parts.length - i - 1} more` : '';
    if (next.length + more.length <= width) {
      line = next;
      continue;
    }
    if (line) return `${line} · +${parts.length - i} more`;
    return shortenLabel(parts[0]!, width - more.length) + more;
  }
  return line;
}

/** `microsoft365:f67a73f9-…-72e2bc80841b: 9,700 records` → the label cut in its middle, the count kept. */
function shortenLabel(part: string, width: number): string {
  if (part.length <= width) return part;
  const at = part.lastIndexOf(': ');
  const label = at < 0 ? part : part.slice(0, at);
  const rest = at < 0 ? '' : part.slice(at);
  const room = width - rest.length - 1;
  if (room < 6) return part.slice(0, Math.max(1, width - 1)) + (at < 0 ? '…' : '');
  const head = Math.ceil(room / 2);
  return `${label.slice(0, head)}…${label.slice(label.length - (room - head))}${rest}`;
}

/** One status line on a TTY, redrawn at most every `intervalMs`. */
export function ttyProgress(stream: NodeJS.WriteStream = process.stderr, intervalMs = 100): Progress {
  let last = 0;
  const board: ProgressBoard = new ProgressBoard((force) => {
    const now = Date.now();
    if (!force && now - last < intervalMs) return;
    last = now;
    const text = fitLine(board.groups(), (stream.columns ?? 100) - 1);
    stream.write(`\r\x1b[K${text}`);
    if (!board.active()) stream.write('\r\x1b[K');
  });
  return board;
}

export interface HeartbeatOptions {
  /** Seconds between two lines. */
  intervalSeconds: number;
  /** Writes one line (without its newline). */
  write: (line: string) => void;
  /** `text` for people, `json` like the log lines. */
  format?: 'text' | 'json';
  clock?: () => Date;
}

/**
 * Outside a terminal: a line every `intervalSeconds` while any task is under way, saying what and how
 * far. Nothing is printed for work that ends sooner. The timer never keeps the process alive.
 */
export function heartbeatProgress(options: HeartbeatOptions): Progress & { stop(): void } {
  const clock = options.clock ?? (() => new Date());
  const intervalMs = options.intervalSeconds * 1000;
  let timer: NodeJS.Timeout | null = null;
  let since = 0;
  let lastBeat = 0;
  const beat = () => {
    const groups = board.groups();
    if (groups.length === 0) return;
    lastBeat = clock().getTime();
    const elapsed = Math.round((clock().getTime() - since) / 1000);
    if (options.format === 'json') {
      options.write(
        JSON.stringify({
          time: clock().toISOString(),
          level: 'info',
          msg: 'progress',
          elapsed,
          tasks: groups,
        }),
      );
    } else {
      options.write(`progress (${elapsed}s): ${groups.join(' · ')}`);
    }
  };
  const board: ProgressBoard = new ProgressBoard(
    () => {
      const now = clock().getTime();
      if (board.active() && !timer) {
        since = now;
        lastBeat = now;
        timer = setInterval(beat, intervalMs);
        timer.unref();
      } else if (!board.active() && timer) {
        clearInterval(timer);
        timer = null;
      } else if (timer && now - lastBeat >= intervalMs) {
        // Busy work (rule evaluation) can starve the timer: a tick that finds a beat due prints it.
        beat();
      }
    },
    () => clock().getTime(),
  );
  return Object.assign(board, {
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  });
}
