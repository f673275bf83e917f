import type { z } from 'zod';
import type { ParsedYaml } from '../config/yaml-file.js';
import { ConfigError } from '../errors.js';
import { checkUniqueNames, type SinkCommon, type TicketsSection, validateSinkEntry } from './config.js';
import type { AnySink, TicketSink } from './sink.js';
import { githubIssuesSinkType } from './sinks/github-issues/index.js';
import { jiraSinkType } from './sinks/jira/index.js';
import { servicenowSinkType } from './sinks/servicenow/index.js';
import { slackSinkType } from './sinks/slack/index.js';
import { webhookSinkType } from './sinks/webhook/index.js';

/** What a sink is built with besides its settings. */
export interface SinkContext {
  /** Directory of grantscope.yaml: relative secret and CA files resolve against it. */
  configDir: string;
  /** Extra CA to trust (`tls.caFile`), when set: private endpoints, the local emulators. */
  caFile: string | null;
  /** Environment secrets are read from (process.env unless a test gives its own). */
  env?: NodeJS.ProcessEnv;
}

/**
 * A kind of ticketing system: its own settings (beyond the shared ones) and how to build the sink. A new
 * system is one more entry; the lifecycle does not change.
 */
export interface TicketSinkType<S extends SinkCommon = SinkCommon, K extends AnySink = TicketSink> {
  type: string;
  /** The whole entry's schema: `SinkCommon.extend({...}).strict()` plus the type's checks. */
  settings: z.ZodType<S>;
  /** A ticket sink, or a digest sink (`delivery: 'digest'`) that gets one summary per sync. */
  create(settings: S, context: SinkContext): K;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds types of differing settings
type AnySinkType = TicketSinkType<any, AnySink>;

const BUILTIN: AnySinkType[] = [
  webhookSinkType,
  jiraSinkType,
  servicenowSinkType,
  githubIssuesSinkType,
  slackSinkType,
];

/** The sink types known to this build; others register with `registerSinkType` (jira, github-issues, …). */
export class SinkTypeRegistry {
  private readonly types = new Map<string, AnySinkType>();
  constructor(types: readonly AnySinkType[] = BUILTIN) {
    for (const t of types) this.register(t);
  }
  register(t: AnySinkType): void {
    this.types.set(t.type, t);
  }
  get(type: string): AnySinkType | undefined {
    return this.types.get(type);
  }
  names(): string[] {
    return [...this.types.keys()].sort();
  }
}

export interface ConfiguredSink {
  settings: SinkCommon & Record<string, unknown>;
  type: AnySinkType;
}

/** Validates `tickets.sinks` of a parsed config file against each sink's type; errors name the key and line. */
export function configuredSinks(
  parsed: ParsedYaml,
  section: TicketsSection | undefined,
  registry: SinkTypeRegistry,
): ConfiguredSink[] {
  if (!section) return [];
  const issues: ConfigError['issues'][number][] = [];
  const out: ConfiguredSink[] = [];
  section.sinks.forEach((entry, i) => {
    const type = registry.get(entry.type);
    if (!type) {
      issues.push({
        path: `tickets.sinks[${i}].type`,
        line: parsed.lineOf(['tickets', 'sinks', i, 'type']),
        message: `unknown sink type '${entry.type}'; known types: ${registry.names().join(', ')}`,
      });
      return;
    }
    const raw = (parsed.value as { tickets: { sinks: unknown[] } }).tickets.sinks[i];
    try {
      out.push({ settings: validateSinkEntry(parsed, type.settings, raw, i), type });
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      else throw err;
    }
  });
  if (issues.length > 0) throw new ConfigError(parsed.file, issues);
  checkUniqueNames(
    parsed.file,
    parsed,
    out.map((s) => s.settings),
  );
  return out;
}
