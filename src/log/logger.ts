import { safeText } from '../output/safe-text.js';
import { scrubText } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ connector: 'github' }`). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** `text` for people, `json` (one object per line) for log shippers. */
  format?: 'text' | 'json';
  write?: (line: string) => void;
  clock?: () => Date;
}

/**
 * Logs to stderr (stdout is reserved for command output). Every line passes through `scrubText`;
 * text lines also through `safeText` (JSON lines escape control characters already).
 */
export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const level = options.level ?? 'warn';
  const format = options.format ?? 'text';
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const clock = options.clock ?? (() => new Date());
  const log = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVEL_ORDER[lvl] < LEVEL_ORDER[level]) return;
    const all = { ...bound, ...fields };
    if (format === 'json') {
      write(scrubText(JSON.stringify({ time: clock().toISOString(), level: lvl, msg, ...all })));
    } else {
      const extra = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      // Text lines go to a terminal: data quoted in them (an app's name) must not drive it.
      write(safeText(scrubText(`${lvl.padEnd(5)} ${msg}${extra ? ` ${extra}` : ''}`), { maxLength: 8_000 }));
    }
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

/** A logger that keeps lines in memory; for tests. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level, format: 'json', write: (l) => lines.push(l) });
  return Object.assign(logger, { lines });
}

export const silentLogger: Logger = createLogger({ level: 'error', write: () => {} });
