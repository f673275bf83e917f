import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readConfigFile } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { ScanSummary, SnapshotStore } from '../store/store.js';
import type { SyncResult } from '../tickets/sync.js';
import type { EmulatorPackage } from './load-emulator.js';

type JiraEmulatorPackage = Pick<EmulatorPackage, 'startJiraEmulator' | 'fakeJiraApiToken'>;

/** The `tickets.sinks` entry of the local Jira. */
export const LOCAL_JIRA_SINK = 'local-jira';

/**
 * A local Jira Cloud beside the world (same CA, so `tls.caFile` covers it): one user, project SEC. Writes
 * the throw-away API token into `dir`; the `tickets.sinks` entry that uses it goes into grantscope.yaml.
 */
export async function startLocalJira(
  dir: string,
  { startJiraEmulator, fakeJiraApiToken }: JiraEmulatorPackage,
  over: Record<string, unknown> = {},
) {
  const email = 'grantscope-bot@example.com';
  const apiToken = fakeJiraApiToken();
  const emulator = await startJiraEmulator({
    users: [{ email, apiToken, projects: ['SEC'] }],
    projects: [{ key: 'SEC' }],
  });
  const tokenFile = join(dir, 'jira-api-token.txt');
  writeFileSync(tokenFile, `${apiToken}\n`, { mode: 0o600 });
  chmodSync(tokenFile, 0o600);
  const entry = {
    name: LOCAL_JIRA_SINK,
    type: 'jira',
    baseUrl: emulator.origin,
    email,
    apiTokenFile: 'jira-api-token.txt',
    project: 'SEC',
    priorities: { critical: 'Highest', high: 'High', medium: 'Medium', low: 'Low' },
    ...over,
  };
  return { emulator, entry };
}

/**
 * What `grantscope tickets sync` does, for the demo: every sink of the config file brought up to date
 * with `scan`, through the same registry, settings and lifecycle.
 */
export async function syncConfiguredSinks(
  configFile: string,
  store: SnapshotStore,
  scan: ScanSummary,
  logger: Pick<Logger, 'info' | 'warn'>,
): Promise<SyncResult[]> {
  // Loaded here, not at the top: every command loads this module (through `demo` and `emulator`), and
  // the sinks bring their SDKs (Octokit, jira.js, Slack's client), which only a sync needs.
  const { configuredSinks, SinkTypeRegistry } = await import('../tickets/registry.js');
  const { syncSink } = await import('../tickets/sync.js');
  const { parsed, settings } = readConfigFile(configFile);
  const configDir = dirname(parsed.file);
  const context = {
    configDir,
    caFile: settings.tls.caFile ? resolve(configDir, settings.tls.caFile) : null,
  };
  const results: SyncResult[] = [];
  for (const s of configuredSinks(parsed, settings.tickets, new SinkTypeRegistry())) {
    const sink = s.type.create(s.settings, context);
    results.push(await syncSink({ store, sink, settings: s.settings, scan, logger }));
  }
  return results;
}
