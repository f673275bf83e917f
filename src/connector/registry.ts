import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import type { AnyConnector, Connector } from './connector.js';

/**
 * Built-in connectors, imported lazily so that commands which only read the store (findings, diff,
 * inventory) do not load three SDKs.
 */
const BUILTIN: Record<string, () => Promise<{ default: AnyConnector }>> = {
  github: () => import('../../connectors/github/index.js'),
  microsoft365: () => import('../../connectors/microsoft365/index.js'),
  'google-workspace': () => import('../../connectors/google-workspace/index.js'),
};

function isConnector(value: unknown): value is AnyConnector {
  const c = value as Partial<AnyConnector> | null;
  return (
    !!c &&
    typeof c.id === 'string' &&
    typeof c.platform === 'string' &&
    (typeof (c as { scan?: unknown }).scan === 'function' ||
      typeof (c as { connect?: unknown }).connect === 'function') &&
    typeof c.tenantOf === 'function' &&
    !!c.configSchema &&
    Array.isArray(c.collectors)
  );
}

/**
 * Load the built-in connectors plus plugin packages. A plugin is a module (package name, or a path
 * relative to the config file) whose default export is a Connector.
 */
export async function loadConnectors(
  plugins: readonly string[] = [],
  options: { configFile?: string; extra?: readonly AnyConnector[] } = {},
): Promise<AnyConnector[]> {
  const out: AnyConnector[] = [];
  for (const load of Object.values(BUILTIN)) out.push((await load()).default);
  for (const c of options.extra ?? []) out.push(c);
  for (const spec of plugins) {
    const target =
      spec.startsWith('.') || isAbsolute(spec)
        ? pathToFileURL(resolve(options.configFile ? resolve(options.configFile, '..') : process.cwd(), spec))
            .href
        : spec;
    let mod: { default?: unknown };
    try {
      mod = (await import(target)) as { default?: unknown };
    } catch (err) {
      throw new ConfigError(options.configFile ?? 'grantscope.yaml', [
        { path: 'plugins', line: null, message: `cannot load plugin '${spec}': ${(err as Error).message}` },
      ]);
    }
    if (!isConnector(mod.default)) {
      throw new ConfigError(options.configFile ?? 'grantscope.yaml', [
        {
          path: 'plugins',
          line: null,
          message: `plugin '${spec}' does not default-export a grantscope Connector`,
        },
      ]);
    }
    out.push(mod.default);
  }
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
