import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { AnyConnector } from '../connector/connector.js';
import { combineVocabularies, type Vocabulary } from '../connector/vocabulary.js';
import { ConfigError } from '../errors.js';
import { TicketsSection } from '../tickets/config.js';
import { databaseFromEnv, isDatabaseUrl, resolveDatabase } from './database-location.js';
import { type ParsedYaml, parseYaml, readYamlFile, validateYaml } from './yaml-file.js';

/**
 * grantscope.yaml: engine settings at the top level, then one section per connector id.
 *
 * ```yaml
 * database: grantscope.db
 * policy: policy.yaml
 * tls: { caFile: corp-proxy-ca.pem }
 * github: { org: acme, app: { id: 12345, privateKeyFile: gh-app.pem } }
 * microsoft365: [ { tenantId: …, clientId: …, clientSecretEnv: M365_SECRET }, { … second tenant … } ]
 * ```
 */
export const EngineSettings = z
  .object({
    /**
     * SQLite file (relative to the config file), or a `postgres://user@host:5432/db` URL for the
     * PostgreSQL store (docs/database.md). GRANTSCOPE_DATABASE_URL overrides it.
     */
    database: z
      .string()
      .min(1)
      .default('grantscope.db')
      .refine((v) => !isDatabaseUrl(v) || URL.canParse(v), {
        message: 'is not a valid PostgreSQL URL (expected postgres://user@host:5432/database)',
      }),
    /** Policy file (relative to the config file); built-in defaults when absent. */
    policy: z.string().min(1).optional(),
    /** Governance file or folder of *.yaml files (relative to the config file): owners, approvals, exceptions, retired. */
    governance: z.string().min(1).optional(),
    tls: z
      .object({
        /** Extra CA to trust: TLS-inspecting proxy, private endpoints, the emulator. */
        caFile: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    http: z
      .object({
        timeoutSeconds: z.number().positive().default(60),
        maxRetries: z.number().int().min(0).max(10).default(4),
        /** Upper bound for one back-off wait, whatever Retry-After says. */
        maxRetryWaitSeconds: z.number().positive().default(120),
      })
      .strict()
      .default({ timeoutSeconds: 60, maxRetries: 4, maxRetryWaitSeconds: 120 }),
    /** Concurrent API calls per connector. */
    concurrency: z.number().int().min(1).max(64).default(8),
    /** Extra connector packages (module names or paths) whose default export is a Connector. */
    plugins: z.array(z.string().min(1)).default([]),
    /** Ticketing sinks `grantscope tickets sync` keeps current (docs/tickets.md). */
    tickets: TicketsSection.optional(),
    /**
     * Folder (relative to the config file) where the queue worker that ends a round writes the round's
     * HTML report, `grantscope-round-<round>.html` (docs/distributed.md). Shared by every worker
     * through the config, as whichever worker ends the round writes it.
     */
    roundReportDir: z.string().min(1).optional(),
  })
  .strict();
export type EngineSettings = z.infer<typeof EngineSettings>;

const ENGINE_KEYS = new Set(Object.keys(EngineSettings.shape));

/** Whether a top-level key of the config file is an engine setting (else it is a connector's section). */
export const isEngineKey = (key: string): boolean => ENGINE_KEYS.has(key);

export interface ConfiguredConnector {
  connector: AnyConnector;
  config: unknown;
  tenant: string;
  /** Where in the file it came from, for messages (`github`, `microsoft365[1]`). */
  path: string;
}

export interface LoadedConfig {
  file: string;
  dir: string;
  settings: EngineSettings;
  /** Absolute database path. */
  database: string;
  /** Absolute policy path, when one is set. */
  policyFile: string | null;
  /** Absolute governance file or folder, when one is set. */
  governanceFile: string | null;
  /** Absolute CA file, when one is set. */
  caFile: string | null;
  connectors: ConfiguredConnector[];
  /** The vocabularies of every loaded connector, configured or not (labels, policy defaults). */
  vocabulary: Vocabulary;
}

/** Parse the engine settings only (to learn which plugins to load before validating sections). */
export function readConfigFile(file: string): { parsed: ParsedYaml; settings: EngineSettings } {
  const parsed = parseYaml(readYamlFile(file));
  if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    throw new ConfigError(file, [
      { path: '', line: 1, message: 'expected a mapping of settings and connector sections' },
    ]);
  }
  const engineOnly = Object.fromEntries(Object.entries(parsed.value).filter(([k]) => ENGINE_KEYS.has(k)));
  const settings = validateYaml(parsed, EngineSettings, engineOnly);
  return { parsed, settings };
}

function closest(word: string, options: string[]): string | null {
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(
          d[i - 1]![j]! + 1,
          d[i]![j - 1]! + 1,
          d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
    return d[a.length]![b.length]!;
  };
  let best: string | null = null;
  let bestD = 3;
  for (const o of options) {
    const dd = dist(word, o);
    if (dd < bestD) {
      best = o;
      bestD = dd;
    }
  }
  return best;
}

/** Validate the whole file against the engine schema and each connector's schema. */
export function loadConfig(file: string, connectors: readonly AnyConnector[]): LoadedConfig {
  const abs = resolve(file);
  const { parsed, settings } = readConfigFile(abs);
  const dir = dirname(abs);
  const byId = new Map(connectors.map((c) => [c.id, c]));
  const configured: ConfiguredConnector[] = [];
  const issues: Array<{ path: string; line: number | null; message: string }> = [];
  for (const [key, value] of Object.entries(parsed.value as Record<string, unknown>)) {
    if (ENGINE_KEYS.has(key)) continue;
    const connector = byId.get(key);
    if (!connector) {
      const hint = closest(key, [...byId.keys(), ...ENGINE_KEYS]);
      issues.push({
        path: key,
        line: parsed.lineOf([key]),
        message: `unknown section '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; connectors available: ${[...byId.keys()].join(', ')}`,
      });
      continue;
    }
    const entries = Array.isArray(value) ? value : [value];
    entries.forEach((entry, i) => {
      const path: (string | number)[] = Array.isArray(value) ? [key, i] : [key];
      try {
        const config = validateYaml(parsed, connector.configSchema, entry, path);
        configured.push({
          connector,
          config,
          tenant: connector.tenantOf(config),
          path: Array.isArray(value) ? `${key}[${i}]` : key,
        });
      } catch (err) {
        if (err instanceof ConfigError) issues.push(...err.issues);
        else throw err;
      }
    });
  }
  if (issues.length > 0) throw new ConfigError(abs, issues);
  const seen = new Set<string>();
  for (const c of configured) {
    const k = `${c.connector.id}:${c.tenant}`;
    if (seen.has(k)) {
      throw new ConfigError(abs, [
        {
          path: c.path,
          line: null,
          message: `tenant '${c.tenant}' is configured twice for ${c.connector.id}`,
        },
      ]);
    }
    seen.add(k);
  }
  return {
    file: abs,
    dir,
    settings,
    database: databaseFromEnv() ?? resolveDatabase(settings.database, dir),
    policyFile: settings.policy ? resolve(dir, settings.policy) : null,
    governanceFile: settings.governance ? resolve(dir, settings.governance) : null,
    caFile: settings.tls.caFile ? resolve(dir, settings.tls.caFile) : null,
    connectors: configured,
    vocabulary: combineVocabularies(connectors),
  };
}
