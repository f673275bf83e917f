import { UsageError } from '../errors.js';

/**
 * How wide a table may be. People read tables in a terminal, so a table fits the terminal and wraps
 * its cells instead of running off the edge. When stdout is not a terminal (a pipe, a file, a CI log)
 * there is no edge: rows stay one line each, whole, so `grep` and `awk` see one record per line. An
 * explicit width (`--width`, else the COLUMNS variable) wins over both.
 */

/** `undefined` = unlimited: rows are never wrapped. */
export type TableWidth = number | undefined;

/** Narrowest table we lay out; below this, columns would be a letter wide. */
export const MIN_TABLE_WIDTH = 40;

let chosen: TableWidth | null = null;

/** Set by the CLI from `--width` (0 = unlimited); `null` goes back to the default. */
export function setTableWidth(width: TableWidth | null): void {
  chosen = width;
}

export interface WidthSources {
  stdout?: { isTTY?: boolean; columns?: number };
  env?: NodeJS.ProcessEnv;
}

/** The width tables are laid out to: `--width`, else COLUMNS, else the terminal's, else unlimited. */
export function tableWidth(sources: WidthSources = {}): TableWidth {
  if (chosen !== null) return chosen;
  const env = sources.env ?? process.env;
  const stdout = sources.stdout ?? process.stdout;
  const fromEnv = Number(env.COLUMNS);
  if (env.COLUMNS && Number.isInteger(fromEnv) && fromEnv > 0) return Math.max(MIN_TABLE_WIDTH, fromEnv);
  if (stdout.isTTY && stdout.columns) return Math.max(MIN_TABLE_WIDTH, stdout.columns);
  return undefined;
}

/** `--width <columns>`: a whole number, 0 for unlimited. */
export function parseTableWidth(value: string): TableWidth {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new UsageError(`--width: not a number of columns: '${value}' (use e.g. 120, or 0 for no limit)`);
  if (n === 0) return undefined;
  return Math.max(MIN_TABLE_WIDTH, n);
}
