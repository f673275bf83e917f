/**
 * Progress of long work (pages fetched, users scanned). The CLI renders it on stderr when stderr is
 * a TTY; elsewhere it is a no-op, so scripts and CI logs stay clean.
 */
export interface Progress {
  /** Begin (or re-label) a task; `total` when known. */
  start(task: string, total?: number): void;
  /** Advance a task by `n` units (default 1). */
  tick(task: string, n?: number): void;
  /** Mark a task finished. */
  done(task: string): void;
}

export const silentProgress: Progress = { start() {}, tick() {}, done() {} };

interface TaskState {
  label: string;
  done: number;
  total?: number;
  finished: boolean;
}

/** One status line on a TTY, redrawn at most every `intervalMs`. */
export function ttyProgress(stream: NodeJS.WriteStream = process.stderr, intervalMs = 100): Progress {
  const tasks = new Map<string, TaskState>();
  let last = 0;
  const render = (force = false) => {
    const now = Date.now();
    if (!force && now - last < intervalMs) return;
    last = now;
    const active = [...tasks.values()].filter((t) => !t.finished);
    const text = active
      .slice(0, 3)
      .map((t) => `${t.label} ${t.done}${t.total != null ? `/${t.total}` : ''}`)
      .join(' · ');
    const width = (stream.columns ?? 100) - 1;
    stream.write(`\r\x1b[K${text.slice(0, width)}`);
  };
  return {
    start(task, total) {
      tasks.set(task, { label: task, done: 0, total, finished: false });
      render();
    },
    tick(task, n = 1) {
      const t = tasks.get(task) ?? { label: task, done: 0, finished: false };
      t.done += n;
      tasks.set(task, t);
      render();
    },
    done(task) {
      const t = tasks.get(task);
      if (t) t.finished = true;
      render(true);
      if ([...tasks.values()].every((x) => x.finished)) stream.write('\r\x1b[K');
    },
  };
}
