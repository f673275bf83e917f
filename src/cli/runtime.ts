import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { isEngineKey, type LoadedConfig, loadConfig, readConfigFile } from '../config/config.js';
import { databaseFromEnv, isDatabaseUrl, resolveDatabase } from '../config/database-location.js';
import type { AnyConnector } from '../connector/connector.js';
import {
  BUILTIN_CONNECTOR_IDS,
  loadConnectors,
  loadVocabulary,
  vocabularyWithBuiltins,
} from '../connector/registry.js';
import type { Vocabulary } from '../connector/vocabulary.js';
import { UsageError } from '../errors.js';
import { createLogger, type Logger, type LogLevel } from '../log/logger.js';
import { heartbeatProgress, type Progress, silentProgress, ttyProgress } from '../log/progress.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../output/format-names.js';
import { parseTableWidth, setTableWidth } from '../output/table-width.js';
import { openStore } from '../store/open.js';
import type { SnapshotStore } from '../store/store.js';
import { OutputFile, parseFileMode, writeChunks } from './output-file.js';

export const DEFAULT_CONFIG_FILE = 'grantscope.yaml';

/** Options every command accepts. */
export interface CommonOptions {
  config?: string;
  db?: string;
  format: OutputFormat | 'jsonl' | 'sarif' | 'ocsf';
  output?: string;
  /** Octal mode of the `--output` file. */
  mode?: string;
  /** Table width in columns; 0 = unlimited. */
  width?: string;
  verbose?: boolean;
  quiet?: boolean;
  logFormat?: 'text' | 'json';
  color?: boolean;
  progress?: boolean;
  heartbeat?: string;
}

/** Seconds between heartbeat lines when stderr is not a terminal. */
export const DEFAULT_HEARTBEAT_SECONDS = 10;

/** `--heartbeat`, else GRANTSCOPE_HEARTBEAT_SECONDS, else the default; 0 turns it off. */
export function heartbeatSeconds(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const [value, where] =
    flag !== undefined
      ? [flag, '--heartbeat']
      : env.GRANTSCOPE_HEARTBEAT_SECONDS
        ? [env.GRANTSCOPE_HEARTBEAT_SECONDS, 'GRANTSCOPE_HEARTBEAT_SECONDS']
        : [String(DEFAULT_HEARTBEAT_SECONDS), 'default'];
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(n))
    throw new UsageError(`${where}: not a number of seconds: '${value}' (use e.g. 10, or 0 for none)`);
  return n;
}

function chooseProgress(opts: CommonOptions): Progress {
  if (opts.progress === false || opts.quiet) return silentProgress;
  if (process.stderr.isTTY === true) return ttyProgress(process.stderr);
  const seconds = heartbeatSeconds(opts.heartbeat);
  if (seconds === 0) return silentProgress;
  return heartbeatProgress({
    intervalSeconds: seconds,
    format: opts.logFormat ?? 'text',
    write: (line) => process.stderr.write(`${line}\n`),
  });
}

export function addCommonOptions(
  cmd: Command,
  { format = true, formats = OUTPUT_FORMATS }: { format?: boolean; formats?: readonly string[] } = {},
): Command {
  cmd
    .option('-c, --config <file>', `config file (default: ./${DEFAULT_CONFIG_FILE} when present)`)
    .option('--db <file>', "SQLite database (default: the config's `database`, else ./grantscope.db)");
  if (format) {
    cmd
      .addOption(
        new Option('-f, --format <format>', 'output format: table for people, json for scripts')
          .choices(formats)
          .default('table'),
      )
      .option('-o, --output <file>', 'write the output to a file instead of stdout')
      .option(
        '--width <columns>',
        "table width (default: the terminal's, else $COLUMNS; unlimited, one line per row, when piped); 0 = unlimited",
      )
      .option('--mode <octal>', 'file mode of the --output file', '600');
  }
  cmd
    .option('-v, --verbose', 'log progress details to stderr')
    .option('-q, --quiet', 'log errors only')
    .addOption(
      new Option('--log-format <format>', 'stderr log format').choices(['text', 'json']).default('text'),
    )
    .option('--no-color', 'no ANSI colours in tables')
    .option('--no-progress', 'no progress line (terminal) or heartbeat lines (elsewhere) on stderr')
    .option(
      '--heartbeat <seconds>',
      `outside a terminal, a progress line on stderr every <seconds> of long work (default: $GRANTSCOPE_HEARTBEAT_SECONDS, else ${DEFAULT_HEARTBEAT_SECONDS}; 0 = none)`,
    );
  return cmd;
}

export interface Runtime {
  logger: Logger;
  progress: Progress;
  color: boolean;
  /** Write command output (stdout or --output). */
  emit(text: string): void;
  /** Write command output as it is produced, with backpressure (stdout, or --output atomically). */
  emitStream(chunks: AsyncIterable<string>): Promise<void>;
}

/** The files `-o` must never overwrite: the config and the database this command uses. */
function filesInUse(opts: CommonOptions): string[] {
  const files: string[] = [];
  const config = configPath(opts);
  if (config) files.push(config);
  try {
    files.push(databasePath(opts));
  } catch {
    // An unreadable config is reported by the command itself, with its file and line.
  }
  return files;
}

export function createRuntime(opts: CommonOptions): Runtime {
  // Checked before any work: a scan must not run for minutes and then find -o unwritable.
  const output =
    opts.output != null ? new OutputFile(opts.output, parseFileMode(opts.mode), filesInUse(opts)) : null;
  // A file has no edge: rows stay whole unless --width says otherwise.
  if (opts.width !== undefined) setTableWidth(parseTableWidth(opts.width));
  else if (opts.output != null) setTableWidth(undefined);
  const level: LogLevel = opts.quiet ? 'error' : opts.verbose ? 'debug' : 'warn';
  const logger = createLogger({ level, format: opts.logFormat ?? 'text' });
  const progress = chooseProgress(opts);
  const toFile = opts.output != null;
  const color = opts.color !== false && !toFile && process.stdout.isTTY === true && !process.env.NO_COLOR;
  return {
    logger,
    progress,
    color,
    emit(text) {
      if (output) output.write(text);
      else process.stdout.write(text);
    },
    async emitStream(chunks) {
      if (output) await output.writeStream(chunks);
      else await writeChunks(process.stdout, chunks);
    },
  };
}

/** The config file to use: --config, else ./grantscope.yaml if it exists, else none. */
export function configPath(opts: CommonOptions): string | null {
  if (opts.config) return resolve(opts.config);
  const def = resolve(DEFAULT_CONFIG_FILE);
  return existsSync(def) ? def : null;
}

/** Load and validate the config, with built-in and plugin connectors. Scans need this. */
export async function loadFullConfig(
  opts: CommonOptions,
  extraConnectors: readonly AnyConnector[] = [],
): Promise<LoadedConfig> {
  const file = configPath(opts);
  if (!file) {
    throw new UsageError(
      `no config file: pass --config <file> or create ./${DEFAULT_CONFIG_FILE} (see \`grantscope scan --help\`)`,
    );
  }
  const { parsed, settings } = readConfigFile(file);
  // Only the built-ins the file has sections for: the others' SDKs would load for nothing. A section
  // that names no built-in (a plugin's, or a typo) loads them all, so that errors still suggest names.
  const sections = Object.keys(parsed.value as Record<string, unknown>).filter((k) => !isEngineKey(k));
  const builtins = sections.every((k) => BUILTIN_CONNECTOR_IDS.includes(k)) ? sections : undefined;
  const connectors = await loadConnectors(settings.plugins, {
    configFile: file,
    extra: extraConnectors,
    ...(builtins ? { builtins } : {}),
  });
  const config = loadConfig(file, connectors);
  // The vocabularies of every built-in still (labels and policy defaults of platforms not scanned).
  return builtins ? { ...config, vocabulary: await vocabularyWithBuiltins(connectors) } : config;
}

/**
 * The vocabularies of the built-in connectors (without loading their SDKs) and of the config's plugins,
 * for commands that read the store: labels in findings, the connectors' policy defaults, known kinds.
 */
export async function loadVocabularyFor(opts: CommonOptions): Promise<Vocabulary> {
  const file = configPath(opts);
  if (!file) return loadVocabulary();
  return loadVocabulary(readConfigFile(file).settings.plugins, { configFile: file });
}

/**
 * The database a read-only command should open: --db, else GRANTSCOPE_DATABASE_URL, else the config's
 * `database:`, else ./grantscope.db. A postgres:// URL is kept as written.
 */
export function databasePath(opts: CommonOptions): string {
  if (opts.db) return resolveDatabase(opts.db, process.cwd());
  const fromEnv = databaseFromEnv();
  if (fromEnv) return fromEnv;
  const file = configPath(opts);
  if (file) {
    const { settings } = readConfigFile(file);
    return resolveDatabase(settings.database, resolve(file, '..'));
  }
  return resolve('grantscope.db');
}

/** Open an existing store for reading; a missing file is a usage error, not an empty result. */
export async function openExistingStore(opts: CommonOptions): Promise<SnapshotStore> {
  const file = databasePath(opts);
  if (!isDatabaseUrl(file) && !existsSync(file)) {
    throw new UsageError(`${file}: no such database; run \`grantscope scan\` first or pass --db`);
  }
  return openStore(file, { readOnly: true });
}

const AS_OF =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * `--as-of`: `now`, an ISO-8601 date (`2026-03-01`, midnight UTC) or date-time. Strict on purpose:
 * `Date` alone reads `-1` as the year 2001 and rolls `2026-02-30` over into March.
 */
export function parseAsOf(value: string | undefined, fallback: Date, flag = '--as-of'): Date {
  if (value === undefined) return fallback;
  if (value === 'now') return new Date();
  const bad = (why: string) =>
    new UsageError(
      `${flag}: ${why}: '${value}' (use an ISO-8601 date such as 2026-03-01, a date-time, or 'now')`,
    );
  const m = AS_OF.exec(value.trim());
  if (!m) throw bad('not a date');
  const [year, month, day, hour = 0, minute = 0, second = 0] = m
    .slice(1, 7)
    .map((p) => (p === undefined ? undefined : Number(p))) as number[];
  if (year! < 1970 || year! > 9999) throw bad('year out of range 1970-9999');
  const calendar = new Date(Date.UTC(year!, month! - 1, day!));
  if (month! < 1 || month! > 12 || calendar.getUTCMonth() !== month! - 1 || calendar.getUTCDate() !== day!)
    throw bad('no such day');
  if (hour > 23 || minute > 59 || second > 59) throw bad('no such time');
  const d = new Date(m[4] === undefined ? `${value.trim()}T00:00:00Z` : value.trim().replace(' ', 'T'));
  if (Number.isNaN(d.getTime())) throw bad('not a date');
  return d;
}

export function parseScanId(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag}: not a scan id: '${value}'`);
  return n;
}
