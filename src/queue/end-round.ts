import type PgBoss from 'pg-boss';
import type { LoadedConfig } from '../config/config.js';
import { readConfigFile } from '../config/config.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { SnapshotStore } from '../store/store.js';
import { roundScans } from './round-completion.js';

export interface EndRoundOptions {
  boss: PgBoss;
  store: SnapshotStore;
  config: LoadedConfig;
  round: string;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * What runs once per round, after every scan job of it ended: each configured ticket sink is brought up
 * to date with each scan the round stored, oldest first. A round stores one scan per tenant, and a
 * sync to a scan touches only the findings of that scan's tenant (a ticket whose finding belongs to
 * another tenant is left alone), so syncing them in order covers the round. Returns the round's report
 * (stored as the round job's output; `grantscope jobs` shows it).
 */
export async function endRound(options: EndRoundOptions): Promise<Record<string, unknown>> {
  const { store, logger } = options;
  const scans = await roundScans(options.boss, options.round);
  const statuses: Record<string, number> = {};
  for (const s of scans) {
    const summary = await store.getScan(s.scanId);
    const status = summary?.status ?? 'missing';
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  const { parsed, settings } = readConfigFile(options.config.file);
  const tickets: Array<{ sink: string; synced: number; actions: number; error: string | null }> = [];
  if (settings.tickets && scans.length > 0) {
    const { configuredSinks, SinkTypeRegistry } = await import('../tickets/registry.js');
    const { syncSink } = await import('../tickets/sync.js');
    const sinks = configuredSinks(parsed, settings.tickets, new SinkTypeRegistry());
    const context = { configDir: options.config.dir, caFile: options.config.caFile };
    for (const configured of sinks) {
      const sink = configured.type.create(configured.settings, context);
      const row = { sink: configured.settings.name, synced: 0, actions: 0, error: null as string | null };
      tickets.push(row);
      const last = await store.lastTicketSync(configured.settings.name);
      for (const s of scans) {
        if (options.signal.aborted) throw options.signal.reason;
        // A sink never goes back: scans older than its last sync were covered by it.
        if (last && last.scanId > s.scanId) continue;
        const scan = await store.getScan(s.scanId);
        if (!scan || !(await store.findingsRecorded(s.scanId))) continue;
        try {
          const result = await syncSink({ store, sink, settings: configured.settings, scan, logger });
          row.synced += 1;
          row.actions += result.done;
          if (result.error) {
            row.error = result.error.message;
            break;
          }
        } catch (err) {
          row.error = describeError(err);
          break;
        }
      }
      if (row.error)
        logger.error(`round ${options.round}: ticket sink ${row.sink} failed`, { error: row.error });
    }
  }
  logger.info('round ended', { round: options.round, scans: scans.length });
  return { round: options.round, scans: scans.length, statuses, tickets };
}
