import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { type LoadedConfig, loadConfig, readConfigFile } from '../config/config.js';
import type { AnyConnector } from '../connector/connector.js';
import { loadConnectors } from '../connector/registry.js';
import { UsageError } from '../errors.js';
import { createLogger, type Logger, type LogLevel } from '../log/logger.js';
import { type Progress, silentProgress, ttyProgress } from '../log/progress.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../output/format.js';
import { openStore } from '../store/open.js';
import type { SnapshotStore } from '../store/store.js';

export const DEFAULT_CONFIG_FILE = 'grantscope.yaml';

/** Options every command accepts. */
export interface CommonOptions {
  config?: string;
  db?: string;
  format: OutputFormat;
  output?: string;
  verbose?: boolean;
  quiet?: boolean;
  logFormat?: 'text' | 'json';
  color?: boolean;
  progress?: boolean;
}

export function addCommonOptions(cmd: Command, { format = true }: { format?: boolean } = {}): Command {
  cmd
    .option('-c, --config <file>', `config file (default: ./${DEFAULT_CONFIG_FILE} when present)`)
    .option('--db <file>', "SQLite database (default: the config's `database`, else ./grantscope.db)");
  if (format) {
    cmd
      .addOption(
        new Option('-f, --format <format>', 'output format: table for people, json for scripts')
          .choices(OUTPUT_FORMATS)
          .default('table'),
      )
      .option('-o, --output <file>', 'write the output to a file instead of stdout');
  }
  cmd
    .option('-v, --verbose', 'log progress details to stderr')
    .option('-q, --quiet', 'log errors only')
    .addOption(
      new Option('--log-format <format>', 'stderr log format').choices(['text', 'json']).default('text'),
    )
    .option('--no-color', 'no ANSI colours in tables')
    .option('--no-progress', 'no progress line on stderr');
  return cmd;
}

export interface Runtime {
  logger: Logger;
  progress: Progress;
  color: boolean;
  /** Write command output (stdout or --output). */
  emit(text: string): void;
}

export function createRuntime(opts: CommonOptions): Runtime {
  const level: LogLevel = opts.quiet ? 'error' : opts.verbose ? 'debug' : 'warn';
  const logger = createLogger({ level, format: opts.logFormat ?? 'text' });
  const stderrTty = process.stderr.isTTY === true;
  const progress =
    opts.progress !== false && stderrTty && !opts.quiet ? ttyProgress(process.stderr) : silentProgress;
  const toFile = opts.output != null;
  const color = opts.color !== false && !toFile && process.stdout.isTTY === true && !process.env.NO_COLOR;
  return {
    logger,
    progress,
    color,
    emit(text) {
      if (opts.output) writeFileSync(opts.output, text);
      else process.stdout.write(text);
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
  const { settings } = readConfigFile(file);
  const connectors = await loadConnectors(settings.plugins, { configFile: file, extra: extraConnectors });
  return loadConfig(file, connectors);
}

/** The database a read-only command should open: --db, else the config's, else ./grantscope.db. */
export function databasePath(opts: CommonOptions): string {
  if (opts.db) return resolve(opts.db);
  const file = configPath(opts);
  if (file) {
    const { settings } = readConfigFile(file);
    return resolve(file, '..', settings.database);
  }
  return resolve('grantscope.db');
}

/** Open an existing store for reading; a missing file is a usage error, not an empty result. */
export async function openExistingStore(opts: CommonOptions): Promise<SnapshotStore> {
  const file = databasePath(opts);
  if (!existsSync(file)) {
    throw new UsageError(`${file}: no such database; run \`grantscope scan\` first or pass --db`);
  }
  return openStore(file);
}

export function parseAsOf(value: string | undefined, fallback: Date): Date {
  if (value === undefined) return fallback;
  if (value === 'now') return new Date();
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new UsageError(`--as-of: not a date: '${value}' (use ISO-8601 or 'now')`);
  return d;
}

export function parseScanId(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag}: not a scan id: '${value}'`);
  return n;
}
