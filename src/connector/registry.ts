import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import type { AnyConnector } from './connector.js';
import { ConnectorVocabulary, combineVocabularies, type Vocabulary } from './vocabulary.js';

interface BuiltinConnector {
  connector(): Promise<{ default: AnyConnector }>;
  /** Its `risk.ts`, which declares the vocabulary and imports no SDK. */
  vocabulary(): Promise<{ vocabulary: ConnectorVocabulary }>;
}

/**
 * Built-in connectors by platform id (each one's connector id too), imported lazily so that commands
 * which only read the store (findings, diff, inventory, rules) do not load three SDKs: those load the
 * vocabularies alone.
 */
const BUILTIN: Record<string, BuiltinConnector> = {
  github: {
    connector: () => import('../../connectors/github/index.js'),
    vocabulary: () => import('../../connectors/github/risk.js'),
  },
  microsoft365: {
    connector: () => import('../../connectors/microsoft365/index.js'),
    vocabulary: () => import('../../connectors/microsoft365/risk.js'),
  },
  'google-workspace': {
    connector: () => import('../../connectors/google-workspace/index.js'),
    vocabulary: () => import('../../connectors/google-workspace/risk.js'),
  },
};

function isConnector(value: unknown): value is AnyConnector {
  const c = value as Partial<AnyConnector> | null;
  return (
    !!c &&
    typeof c.id === 'string' &&
    typeof c.platform === 'string' &&
    typeof c.connect === 'function' &&
    typeof c.tenantOf === 'function' &&
    !!c.configSchema &&
    Array.isArray(c.collectors)
  );
}

/**
 * Import a plugin: a module (package name, or a path relative to the config file) whose default
 * export is a Connector, with a valid vocabulary if it has one.
 */
async function importPlugin(spec: string, configFile: string | undefined): Promise<AnyConnector> {
  const where = configFile ?? 'grantscope.yaml';
  const target =
    spec.startsWith('.') || isAbsolute(spec)
      ? pathToFileURL(resolve(configFile ? resolve(configFile, '..') : process.cwd(), spec)).href
      : spec;
  let mod: { default?: unknown };
  try {
    mod = (await import(target)) as { default?: unknown };
  } catch (err) {
    throw new ConfigError(where, [
      { path: 'plugins', line: null, message: `cannot load plugin '${spec}': ${(err as Error).message}` },
    ]);
  }
  if (!isConnector(mod.default)) {
    throw new ConfigError(where, [
      {
        path: 'plugins',
        line: null,
        message: `plugin '${spec}' does not default-export a grantscope Connector`,
      },
    ]);
  }
  if (mod.default.vocabulary !== undefined) {
    const checked = ConnectorVocabulary.safeParse(mod.default.vocabulary);
    if (!checked.success) {
      throw new ConfigError(
        where,
        checked.error.issues.map((issue) => ({
          path: 'plugins',
          line: null,
          message: `plugin '${spec}' has an invalid vocabulary: ${['vocabulary', ...issue.path].join('.')}: ${issue.message}`,
        })),
      );
    }
  }
  return mod.default;
}

/**
 * Load the built-in connectors plus plugin packages. A plugin is a module (package name, or a path
 * relative to the config file) whose default export is a Connector.
 */
export async function loadConnectors(
  plugins: readonly string[] = [],
  options: {
    configFile?: string;
    extra?: readonly AnyConnector[];
    /**
     * The built-ins to import (by id); default all. A scan passes the ones its config has sections
     * for: importing a connector loads its SDK, which for an unconfigured platform is start-up time
     * spent for nothing (the Azure SDKs alone take longer to load than the GitHub connector).
     */
    builtins?: readonly string[];
  } = {},
): Promise<AnyConnector[]> {
  const out: AnyConnector[] = [];
  for (const [id, builtin] of Object.entries(BUILTIN))
    if (!options.builtins || options.builtins.includes(id)) out.push((await builtin.connector()).default);
  for (const c of options.extra ?? []) out.push(c);
  for (const spec of plugins) out.push(await importPlugin(spec, options.configFile));
  const ids = new Set<string>();
  for (const c of out) {
    if (ids.has(c.id)) {
      throw new ConfigError(options.configFile ?? 'grantscope.yaml', [
        { path: 'plugins', line: null, message: `two connectors have the id '${c.id}'` },
      ]);
    }
    ids.add(c.id);
  }
  return out;
}

/** The ids of the built-in connectors (each one's config section too). */
export const BUILTIN_CONNECTOR_IDS: readonly string[] = Object.keys(BUILTIN);

/**
 * The vocabularies of `connectors` and of every built-in connector not among them (read from its
 * `risk.ts`, without its SDK), merged in the order `loadConnectors` would have loaded them all.
 */
export async function vocabularyWithBuiltins(connectors: readonly AnyConnector[]): Promise<Vocabulary> {
  const sources: { platform: string; vocabulary?: ConnectorVocabulary | undefined }[] = [];
  for (const [id, builtin] of Object.entries(BUILTIN)) {
    const loaded = connectors.find((c) => c.id === id);
    sources.push(loaded ?? { platform: id, vocabulary: (await builtin.vocabulary()).vocabulary });
  }
  sources.push(...connectors.filter((c) => !(c.id in BUILTIN)));
  return combineVocabularies(sources);
}

/**
 * The vocabularies of the built-in connectors and of plugin packages, merged, without loading the
 * built-ins' SDKs (a plugin is imported whole: its vocabulary is a property of its Connector).
 */
export async function loadVocabulary(
  plugins: readonly string[] = [],
  options: { configFile?: string } = {},
): Promise<Vocabulary> {
  const sources: { platform: string; vocabulary?: ConnectorVocabulary }[] = [];
  for (const [platform, builtin] of Object.entries(BUILTIN))
    sources.push({ platform, vocabulary: (await builtin.vocabulary()).vocabulary });
  for (const spec of plugins) sources.push(await importPlugin(spec, options.configFile));
  return combineVocabularies(sources);
}
