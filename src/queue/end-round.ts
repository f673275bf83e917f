import { resolve } from 'node:path';
import type PgBoss from 'pg-boss';
import type { LoadedConfig } from '../config/config.js';
import { readConfigFile } from '../config/config.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { selectionCoverage } from '../selection/describe-selection.js';
import { selectNewestOfEachSource, withoutSources } from '../selection/scan-selection.js';
import { scansWithoutFindings } from '../selection/selection-reads.js';
import type { SnapshotStore } from '../store/store.js';
import { roundScans } from './round-completion.js';
import { writeRoundReport } from './round-report.js';

export interface EndRoundOptions {
  boss: PgBoss;
  store: SnapshotStore;
  config: LoadedConfig;
  round: string;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * What runs once per round, after every scan job of it ended. The round is read as a whole: the newest
 * scan of each tenant as of the round's last scan (a tenant whose job failed this round is read from
 * its previous scan, and listed as stale when that is more than 7 days older). Each configured ticket
 * sink is synced ONCE to that selection (so a digest sink posts one message per round), and, when the
 * config names `roundReportDir`, one HTML report of the round is written there. Returns the round's
 * outcome (stored as the round job's output; `grantscope jobs` shows it).
 */
export async function endRound(options: EndRoundOptions): Promise<Record<string, unknown>> {
  const { store, logger, round } = options;
  const scans = await roundScans(options.boss, round);
  const statuses: Record<string, number> = {};
  for (const s of scans) {
    const summary = await store.getScan(s.scanId);
    const status = summary?.status ?? 'missing';
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  const newest = Math.max(0, ...scans.map((s) => s.scanId));
  const read = newest > 0 ? await selectNewestOfEachSource(store, { atOrBefore: newest }) : null;
  // A scan whose analysis never ran cannot vouch for its tenant's findings: leave that tenant out.
  const unrecorded = read ? new Set(await scansWithoutFindings(store, read)) : new Set<number>();
  const selection = read && withoutSources(read, (s) => unrecorded.has(s.scan.id));
  if (unrecorded.size > 0)
    logger.warn(
      `round ${round}: findings of scan ${[...unrecorded].join(', ')} were never recorded; their tenants are left out`,
    );
  const { parsed, settings } = readConfigFile(options.config.file);
  const tickets: Array<{ sink: string; synced: number; actions: number; error: string | null }> = [];
  if (settings.tickets && selection) {
    const { configuredSinks, SinkTypeRegistry } = await import('../tickets/registry.js');
    const { syncSink } = await import('../tickets/sync.js');
    const sinks = configuredSinks(parsed, settings.tickets, new SinkTypeRegistry());
    const context = { configDir: options.config.dir, caFile: options.config.caFile };
    for (const configured of sinks) {
      if (options.signal.aborted) throw options.signal.reason;
      const sink = configured.type.create(configured.settings, context);
      const row = { sink: configured.settings.name, synced: 0, actions: 0, error: null as string | null };
      tickets.push(row);
      // A sink never goes back: a later round (or a `tickets sync`) already took it further.
      const last = await store.lastTicketSync(configured.settings.name);
      if (last && last.scanId > selection.newest.id) continue;
      try {
        const result = await syncSink({
          store,
          sink,
          settings: configured.settings,
          scan: selection,
          logger,
        });
        row.synced = 1;
        row.actions = result.done;
        if (result.error) row.error = result.error.message;
      } catch (err) {
        row.error = describeError(err);
      }
      if (row.error) logger.error(`round ${round}: ticket sink ${row.sink} failed`, { error: row.error });
    }
  }
  let report: { file: string } | { error: string } | null = null;
  if (settings.roundReportDir && selection) {
    const dir = resolve(options.config.dir, settings.roundReportDir);
    try {
      report = { file: await writeRoundReport({ store, config: options.config, selection, round, dir }) };
    } catch (err) {
      // The round's tickets are synced: a report that cannot be written is said, not retried over them.
      report = { error: describeError(err) };
      logger.error(`round ${round}: the round's report was not written`, { error: report.error });
    }
  }
  logger.info('round ended', { round, scans: scans.length });
  return {
    round,
    scans: scans.length,
    statuses,
    ...(selection && { read: selectionCoverage(selection) }),
    tickets,
    ...(report && { report }),
  };
}
