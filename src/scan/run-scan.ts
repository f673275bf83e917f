import { setMaxListeners } from 'node:events';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { ConfiguredConnector } from '../config/config.js';
import { ConnectorStateTracker } from '../connector/connector-state.js';
import type { Clock, ConnectorContext, PreviousSnapshot } from '../connector/context.js';
import {
  beginAttribution,
  type CoverageReport,
  CoverageTracker,
  fromTenantFailure,
} from '../connector/coverage.js';
import { createHttpPolicy, type HttpPolicyOptions } from '../connector/http.js';
import { scanTenant } from '../connector/runner.js';
import { ConnectorContractError, describeError, InterruptedError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../log/progress.js';
import { redactedOrSame } from '../log/redact.js';
import { ScanRecord } from '../model/record.js';
import type { ConnectorStateWrite, ScanSummary, SnapshotStore } from '../store/store.js';
import { journalSources, ScanJournal, type ScanJournalOptions } from './scan-journal.js';

/**
 * Records checked between two turns of the event loop. A transform hands over its records synchronously
 * and checking them is CPU work (schema, redaction); awaiting the generator only runs microtasks. Without
 * a turn of the event loop now and then, the other collectors' HTTP answers wait unread and no new request
 * is sent until a batch is written: the platform's connection slots idle while the process is busy.
 */
const RECORDS_PER_TURN = 250;

/**
 * Bundles of the previous snapshot handed to a connector between two turns of the event loop: reading
 * them is CPU work too (a carried collector reads thousands), done while other collectors wait on
 * their answers (see RECORDS_PER_TURN).
 */
const BUNDLES_PER_TURN = 250;

export interface RunScanOptions {
  store: SnapshotStore;
  connectors: readonly ConfiguredConnector[];
  /** Directory relative key-file paths are resolved against. */
  configDir: string;
  http: Omit<HttpPolicyOptions, 'onRequest'>;
  concurrency: number;
  logger: Logger;
  progress: Progress;
  clock: Clock;
  signal: AbortSignal;
  toolVersion: string;
  label?: string | null;
  /** `Governance.hash` of the governance files in force, stored with the scan (`scans.governance_hash`). */
  governanceHash?: string | null;
  /** Records are written to the store in batches of this size. */
  batchSize?: number;
  /** Ignore stored connector state (delta links, read times): read everything in full (`--full`). */
  fullResync?: boolean;
  /** Journal answers beside the database (for `--resume` and conditional requests); none when absent. */
  journal?: ScanJournalOptions | null;
  /**
   * Called once, when the scan sends its first request: what is needed only after the collection (the
   * analysis' and the output's modules) can load then, while the scan waits on the network, instead of
   * delaying that first request.
   */
  onFirstRequest?: () => void;
}

export interface ScanOutcome {
  scan: ScanSummary;
  coverage: CoverageReport[];
  /** Records rejected because they broke the model contract (connector bugs). */
  rejected: number;
}

/**
 * Run every configured connector (concurrently, each with its own limiter and request accounting),
 * validate and redact what they emit, and store it as one atomic snapshot. A connector or collector
 * that fails is recorded in coverage; the scan still commits, as `incomplete`.
 */
export async function runScan(options: RunScanOptions): Promise<ScanOutcome> {
  const { store, clock, logger } = options;
  // Every connector's requests and sleeps listen to the one signal: a scan of many tenants is not a leak.
  setMaxListeners(10 + options.connectors.length * (options.concurrency + 4), options.signal);
  const batchSize = options.batchSize ?? 2000;
  const startedAt = clock.now().toISOString();
  const writer = await store.beginScan({
    startedAt,
    toolVersion: options.toolVersion,
    label: options.label ?? null,
    governanceHash: options.governanceHash ?? null,
  });
  logger.info('scan started', { scan: writer.scanId, connectors: options.connectors.length });
  const journal = options.journal
    ? await ScanJournal.open(
        options.journal,
        {
          scanId: writer.scanId,
          startedAt,
          sources: journalSources(options.connectors),
        },
        logger,
      )
    : null;
  let rejected = 0;
  // Writes are serialised: the store's writer is not re-entrant.
  let writeChain: Promise<void> = Promise.resolve();
  const write = (batch: ScanRecord[]) => {
    writeChain = writeChain.then(() => writer.write(batch));
    return writeChain;
  };

  const previousOf = async (platform: string, tenant: string): Promise<PreviousSnapshot> => {
    const source = `${platform}:${tenant}`;
    const scans = await store.listScans({ status: ['complete', 'incomplete'] });
    const prev =
      scans.find((s) => s.id < writer.scanId && s.sources.some((x) => x.source === source)) ?? null;
    return {
      scanId: prev?.id ?? null,
      scannedAt: prev?.startedAt ?? null,
      async *bundles(filter) {
        if (!prev) return;
        let n = 0;
        for await (const bundle of store.readSnapshot(prev.id, {
          platform,
          tenant,
          kinds: filter?.kinds,
          types: filter?.types,
          collectors: filter?.collectors,
          fields: filter?.fields,
        })) {
          yield bundle;
          if (++n % BUNDLES_PER_TURN === 0) await nextMacrotask();
        }
      },
    };
  };

  let sentFirstRequest = false;
  const onRequestSent = () => {
    if (sentFirstRequest) return;
    sentFirstRequest = true;
    options.onFirstRequest?.();
  };

  const stateWrites: ConnectorStateWrite[] = [];
  const runOne = async (cc: ConfiguredConnector): Promise<CoverageReport> => {
    const { connector } = cc;
    const source = `${connector.platform}:${cc.tenant}`;
    const state = new ConnectorStateTracker(
      source,
      await store.readConnectorState(source),
      options.fullResync ?? false,
    );
    const log = logger.child({ connector: connector.id, tenant: cc.tenant });
    const coverage = new CoverageTracker(
      connector.id,
      connector.platform,
      cc.tenant,
      () => clock.now(),
      connector.collectors.map((c) => c.name),
    );
    const ctx: ConnectorContext = {
      logger: log,
      progress: options.progress,
      limit: pLimit(options.concurrency),
      http: createHttpPolicy({
        ...options.http,
        onRequest: () => {
          coverage.countRequest();
          onRequestSent();
        },
        ...(journal ? { exchange: journal.exchangeFor(`${connector.platform}:${cc.tenant}`) } : {}),
      }),
      clock,
      coverage,
      signal: options.signal,
      configDir: options.configDir,
      previous: await previousOf(connector.platform, cc.tenant),
      state,
    };
    const task = `${connector.id}:${cc.tenant}`;
    options.progress.start(task, undefined, 'records');
    let batch: ScanRecord[] = [];
    try {
      for await (const input of scanTenant(connector, cc.config, ctx)) {
        const parsed = ScanRecord.safeParse(input);
        const collector = (input as { collector?: unknown }).collector;
        if (!parsed.success) {
          rejected += 1;
          const where = typeof collector === 'string' ? collector : 'unknown';
          const detail = parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.')}: ${i.message}`)
            .join('; ');
          log.warn('connector emitted an invalid record', { collector: where, detail });
          coverage.fail(where, new ConnectorContractError(`emitted an invalid record (${detail})`));
          continue;
        }
        const rec = parsed.data;
        if (rec.platform !== connector.platform || rec.tenant.id !== cc.tenant) {
          rejected += 1;
          coverage.fail(
            rec.collector,
            new ConnectorContractError(
              `emitted a record for ${rec.platform}:${rec.tenant.id}, expected ${connector.platform}:${cc.tenant}`,
            ),
          );
          continue;
        }
        // Copied only when something is redacted: most records hold no secret-named field.
        rec.raw = redactedOrSame(rec.raw);
        rec.attributes = redactedOrSame(rec.attributes);
        batch.push(rec);
        options.progress.tick(task);
        if (batch.length % RECORDS_PER_TURN === 0) await nextMacrotask();
        if (batch.length >= batchSize) {
          const full = batch;
          batch = [];
          await write(full);
          log.debug('stored a batch of records', { records: full.length });
        }
      }
      if (batch.length > 0) await write(batch);
    } catch (err) {
      // The connector itself failed (bad credentials, a bug): every collector is failed with this
      // reason, so nothing it owns is reported as removed.
      log.error('connector failed', { error: describeError(err) });
      coverage.failAll(err);
    } finally {
      options.progress.done(task);
    }
    // A configuration problem is not a partial scan: stop and let the user fix it (exit 2).
    if (coverage.fatal) throw coverage.fatal;
    const report = coverage.report();
    stateWrites.push(...state.toCommit(report));
    // A failure that stopped the tenant is said once, for the tenant, with the collectors it left not
    // run; then one line per other distinct reason.
    const stoppedBy = report.tenantFailure;
    const failed = report.collectors.filter((x) => x.status === 'failed');
    const byTenantFailure = stoppedBy ? failed.filter((c) => fromTenantFailure(c, stoppedBy)) : [];
    if (stoppedBy) {
      const prefix = `${stoppedBy.summary}: `;
      log.warn(stoppedBy.summary, {
        reason: stoppedBy.reason.startsWith(prefix)
          ? stoppedBy.reason.slice(prefix.length)
          : stoppedBy.reason,
        collectors: byTenantFailure.map((c) => c.collector).join(', '),
      });
    }
    const byReason = new Map<string, string[]>();
    for (const c of failed.filter((x) => !byTenantFailure.includes(x))) {
      const reason = c.reason ?? 'no reason given';
      byReason.set(reason, [...(byReason.get(reason) ?? []), c.collector]);
    }
    for (const [reason, collectors] of byReason) {
      if (collectors.length === 1) log.warn('collector failed', { collector: collectors[0], reason });
      else log.warn('collectors failed', { collectors: collectors.join(', '), reason });
    }
    return report;
  };

  // An interrupt ends the scan at once: connectors may be asleep in a back-off for a minute.
  const interrupted = new Promise<never>((_, reject) => {
    const fire = () => {
      const reason = String((options.signal.reason as Error | undefined)?.message ?? '');
      const signal = reason.includes('SIGTERM') ? 'SIGTERM' : 'SIGINT';
      reject(
        new InterruptedError(
          `scan #${writer.scanId} interrupted by ${signal}; nothing from it was stored, the database is as it was before the scan`,
          signal,
        ),
      );
    };
    if (options.signal.aborted) fire();
    else options.signal.addEventListener('abort', fire, { once: true });
  });
  interrupted.catch(() => {});
  const endAttribution = beginAttribution();
  try {
    const reports = await Promise.race([Promise.all(options.connectors.map(runOne)), interrupted]);
    // The collectors have ended: what follows (store, analysis, outputs) attributes no request.
    endAttribution();
    const storing = `storing scan #${writer.scanId}`;
    options.progress.start(storing);
    let scan: Awaited<ReturnType<typeof writer.complete>>;
    try {
      await Promise.race([writeChain, interrupted]);
      scan = await writer.complete(reports, clock.now().toISOString(), stateWrites);
    } finally {
      options.progress.done(storing);
    }
    logger.info('scan finished', { scan: scan.id, status: scan.status });
    // The snapshot is stored: a journal that cannot be tidied costs a warning, not the scan.
    await journal
      ?.finish(scan.status)
      .catch((err: unknown) => logger.warn('response journal not tidied', { error: describeError(err) }));
    return { scan, coverage: reports, rejected };
  } catch (err) {
    endAttribution();
    await writeChain.catch(() => {});
    await journal?.close();
    await writer.abort(describeError(err), clock.now().toISOString());
    throw err;
  }
}
