import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readCaFile } from '../../../connector/http.js';
import { CredentialSourceError } from '../../../errors.js';
import type { TicketSink } from '../../sink.js';
import { JiraSinkSettings } from './config.js';
import { JiraSink, type JiraSinkConfig, type JiraSinkDeps } from './jira-sink.js';

export { toAdf } from './adf.js';
export { JiraSinkSettings, jiraSettingsShape } from './config.js';
export { JiraSink, type JiraSinkConfig, type JiraSinkDeps, keyLabel, sinkLabel } from './jira-sink.js';

/** What a sink is built with besides its settings (the lifecycle's registry passes it). */
export interface JiraSinkContext {
  /** Directory of grantscope.yaml: a relative apiTokenFile or caFile resolves against it. */
  configDir: string;
  /** Extra CA to trust (PEM file path), when set: a private endpoint, the local emulator. */
  caFile: string | null;
  /** Environment the token variable is read from (process.env unless a test gives its own). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The API token, from `apiTokenFile` or `apiTokenEnv`. Errors name the key and where it points, never
 * the value.
 */
export function readJiraApiToken(settings: JiraSinkSettings, context: JiraSinkContext): string {
  const key = `tickets.sinks[${settings.name}]`;
  if (settings.apiTokenFile !== undefined) {
    const path = resolve(context.configDir, settings.apiTokenFile);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new CredentialSourceError(
        `${key}.apiTokenFile: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    const value = text.trim();
    if (!value) throw new CredentialSourceError(`${key}.apiTokenFile: ${path} is empty`);
    return value;
  }
  const name = settings.apiTokenEnv!;
  const value = (context.env ?? process.env)[name]?.trim();
  if (!value) throw new CredentialSourceError(`${key}.apiTokenEnv: environment variable ${name} is not set`);
  return value;
}

/** A Jira sink from resolved settings (the token's value in hand). */
export function createJiraSink(config: JiraSinkConfig, deps: JiraSinkDeps = {}): JiraSink {
  return new JiraSink(config, deps);
}

/** The sink from its grantscope.yaml entry: reads the token and the extra CA. */
export function createJiraSinkFromSettings(
  settings: JiraSinkSettings,
  context: JiraSinkContext,
  deps: JiraSinkDeps = {},
): TicketSink {
  const ca = context.caFile ? readCaFile(resolve(context.configDir, context.caFile)) : null;
  return createJiraSink(
    {
      name: settings.name,
      baseUrl: settings.baseUrl,
      email: settings.email,
      apiToken: readJiraApiToken(settings, context),
      project: settings.project,
      issueType: settings.issueType,
      labels: settings.labels,
      ...(settings.priorities ? { priorities: settings.priorities } : {}),
      transitions: settings.transitions,
    },
    { ca, ...deps },
  );
}

/**
 * The Jira sink type for the lifecycle's registry, looked up by `type: jira`. `settings` (alias
 * `configSchema`) checks the sink's own keys and passes the shared ones (group, minSeverity, rules)
 * through for the lifecycle.
 */
export const jiraSinkType = {
  type: 'jira',
  configSchema: JiraSinkSettings,
  settings: JiraSinkSettings,
  create: (settings: JiraSinkSettings, context: JiraSinkContext): TicketSink =>
    createJiraSinkFromSettings(settings, context),
} as const;
