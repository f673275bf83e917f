import { UsageError } from '../errors.js';
import type { Finding } from '../findings/finding.js';
import type { Logger } from '../log/logger.js';
import { asSelection, type ScanSelection } from '../selection/scan-selection.js';
import { readSelectedFindings, scansWithoutFindings } from '../selection/selection-reads.js';
import type { ScanSummary, SnapshotStore, StoredTicket } from '../store/store.js';
import { buildDigest, digestIsEmpty } from './digest.js';
import { buildPlan, type PlanSink, remoteChecks, type TicketPlan } from './plan.js';
import {
  type AnySink,
  type DigestSink,
  isDigestSink,
  type RemoteTicketState,
  type SyncDigest,
  type TicketSink,
  TicketSinkError,
} from './sink.js';

export interface SyncOptions {
  store: SnapshotStore;
  sink: AnySink;
  settings: PlanSink;
  /** The scan synced to, or a selection (the newest scan of each tenant: a round), read as one. */
  scan: ScanSummary | ScanSelection;
  /** Plan only: the sink is asked about tickets (reads) but nothing is changed anywhere. */
  dryRun?: boolean;
  now?: () => Date;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

export interface SyncResult {
  sink: string;
  scanId: number;
  plan: TicketPlan;
  /** Actions carried out (all of them unless `error`). */
  done: number;
  /** Sink requests the sync made (state reads included). */
  calls: number;
  /** The failure that stopped the sync; the actions before it are saved, the rest run next time. */
  error: TicketSinkError | null;
  /** For a digest sink: what the sync reported (or would report, on a dry run). */
  digest?: SyncDigest;
}

/** 404/410 on a ticket we hold: it was deleted on the sink. */
const GONE = new Set([404, 410]);

/**
 * Brings one sink up to date with scan `scan`: reads the sink's state of the tickets the plan needs,
 * plans, then carries out the plan in order, saving each ticket's record as soon as its action
 * succeeded. A sink that fails stops the sync there: what succeeded is kept, nothing is lost, and the
 * next sync plans the rest again (an action is never half-recorded: the record is written after the
 * sink confirmed it).
 */
export async function syncSink(options: SyncOptions): Promise<SyncResult> {
  const { store, sink } = options;
  const scan = asSelection(options.scan).newest;
  const now = options.now ?? (() => new Date());
  const missing = await scansWithoutFindings(store, asSelection(options.scan));
  if (missing.length > 0) {
    // Their silence would close every ticket: refuse, the next scan records findings again.
    throw new UsageError(
      `scan ${missing.join(', ')}: its findings were never recorded (the scan stopped before its analysis); run a new scan before syncing tickets`,
    );
  }
  const startedAt = now().toISOString();
  if (options.dryRun) return runSync(options, startedAt);
  // One sync per sink at a time: two would both open the same new tickets.
  const syncId = await store.beginTicketSync({ sink: sink.name, scanId: scan.id, startedAt });
  let outcome: SyncResult | null = null;
  try {
    outcome = await runSync(options, startedAt);
    return outcome;
  } finally {
    await store.finishTicketSync(syncId, {
      finishedAt: now().toISOString(),
      status: outcome && !outcome.error ? 'complete' : 'failed',
      actions: outcome?.done ?? 0,
      error: outcome ? (outcome.error?.message ?? null) : 'stopped by an error',
    });
  }
}

async function runSync(options: SyncOptions, startedAt: string): Promise<SyncResult> {
  const { sink } = options;
  return isDigestSink(sink)
    ? runDigestSync({ ...options, sink }, startedAt)
    : runTicketSync({ ...options, sink }, startedAt);
}

async function planInput(options: SyncOptions, startedAt: string) {
  const { store, settings } = options;
  const selection = asSelection(options.scan);
  const findings: Finding[] = [];
  for await (const f of readSelectedFindings(store, selection)) findings.push(f);
  const tickets = await store.readTickets(options.sink.name);
  return {
    sink: settings,
    // Filed under the newest scan read; each source vouches for absence as its own scan completed.
    scan: {
      id: selection.newest.id,
      sources: selection.sources.map(({ source: s }) => ({ source: s.source, status: s.status })),
    },
    findings,
    tickets,
    now: startedAt,
  };
}

/**
 * A digest sink gets one message for the whole plan: sent first, then every ticket record is saved. A
 * send that fails saves nothing but what needs no sink (the plan stays pending), so the next sync
 * reports the same changes again: a digest can repeat after an outage, never miss a change.
 */
async function runDigestSync(
  options: SyncOptions & { sink: DigestSink },
  startedAt: string,
): Promise<SyncResult> {
  const { store, sink } = options;
  const base = await planInput(options, startedAt);
  const plan = buildPlan({ ...base, remote: new Map() });
  for (const action of plan.actions) {
    // The ticket id is ours, as for a webhook: the sink has no tickets to address.
    if (action.kind === 'open') {
      action.next = { ...action.next, remoteId: `${sink.name}:${action.key}`, remoteUrl: null };
    }
  }
  const digest = buildDigest(plan, base.tickets, base.findings);
  const requestsBefore = sink.requests ?? 0;
  const result = (done: number, error: TicketSinkError | null): SyncResult => ({
    sink: sink.name,
    scanId: base.scan.id,
    plan,
    done,
    calls: (sink.requests ?? 0) - requestsBefore,
    error,
    digest,
  });
  if (options.dryRun) return result(0, null);
  if (!digestIsEmpty(digest)) {
    try {
      await sink.send(digest);
    } catch (err) {
      await keepPending(store, plan, 0, base.tickets);
      return result(0, asSinkError(sink.name, 'send', err));
    }
  }
  for (const action of plan.actions) await store.saveTicket(action.next);
  await clearInStep(store, plan, base.tickets);
  return result(plan.actions.length, null);
}

async function runTicketSync(
  options: SyncOptions & { sink: TicketSink },
  startedAt: string,
): Promise<SyncResult> {
  const { store, sink } = options;
  const base = await planInput(options, startedAt);
  const { tickets } = base;
  let calls = 0;
  const remote = new Map<string, RemoteTicketState>();
  const requestsBefore = sink.requests;
  const result = (plan: TicketPlan, done: number, error: TicketSinkError | null): SyncResult => ({
    sink: sink.name,
    scanId: base.scan.id,
    plan,
    done,
    // What the sink counted (pages, retries) when it counts; else one per call.
    calls:
      typeof sink.requests === 'number' && typeof requestsBefore === 'number'
        ? sink.requests - requestsBefore
        : calls,
    error,
  });
  const fail = (plan: TicketPlan, done: number, error: TicketSinkError) => result(plan, done, error);
  if (sink.canReadState) {
    const checks = remoteChecks(base);
    try {
      if (sink.states && checks.length > 0) {
        calls += 1;
        const answer = await sink.states(checks.map((c) => c.ref));
        for (const c of checks) remote.set(c.key, answer.get(c.ref.id) ?? 'missing');
      } else {
        for (const check of checks) {
          calls += 1;
          remote.set(check.key, await sink.state(check.ref));
        }
      }
    } catch (err) {
      const error = asSinkError(sink.name, 'state', err);
      // Nothing can be done, but what this scan means for each ticket is kept (pending), as when
      // an action fails: a next scan that cannot see these findings still catches up.
      const plan = buildPlan({ ...base, remote: new Map() });
      if (!options.dryRun) await keepPending(store, plan, 0, tickets);
      return fail(plan, 0, error);
    }
  }
  const plan = buildPlan({ ...base, remote });
  if (options.dryRun) return result(plan, 0, null);

  let done = 0;
  for (const action of plan.actions) {
    let next: StoredTicket = action.next;
    try {
      switch (action.kind) {
        case 'open': {
          calls += 1;
          const ref = await sink.open(action.content!);
          next = { ...next, remoteId: ref.id, remoteUrl: ref.url };
          break;
        }
        case 'comment':
          calls += 1;
          await sink.comment(action.ref!, action.comment!);
          break;
        case 'close':
          calls += 1;
          await sink.close(action.ref!, action.comment!, next.state === 'excepted' ? 'excepted' : 'resolved');
          break;
        case 'reopen':
          calls += 1;
          await sink.reopen(action.ref!, action.comment!);
          break;
        case 'record':
          break;
      }
    } catch (err) {
      const error = asSinkError(sink.name, action.kind === 'record' ? 'state' : action.kind, err);
      if (action.ref && error.status !== null && GONE.has(error.status)) {
        // Deleted on the sink between the state read and now (or on a sink that cannot be asked):
        // noticed like a deletion by hand, never re-created while the finding stays open.
        const prev = tickets.find((t) => t.key === action.key)!;
        // A comment's finding is still open: deleted by hand. A close or reopen leaves it closed
        // without a ticket: a recurrence (or this reopen, next sync) opens a new one.
        next = {
          ...prev,
          state: action.kind === 'comment' ? 'deleted-by-hand' : 'closed',
          remoteId: null,
          remoteUrl: null,
          changedScan: base.scan.id,
          changedAt: startedAt,
        };
        options.logger?.warn(
          `ticket sink ${sink.name}: ticket ${action.ref.id} is gone (HTTP ${error.status})`,
        );
      } else {
        await keepPending(store, plan, done, tickets);
        return fail(plan, done, error);
      }
    }
    await store.saveTicket(next);
    // The result shows the ticket as saved (an opened one with the sink's id and link).
    plan.actions[done] = { ...action, next };
    done += 1;
  }
  await clearInStep(store, plan, tickets);
  return result(plan, done, null);
}

/**
 * After a failure: the actions not carried out are remembered as pending on their tickets (a ticket
 * not opened yet gets a placeholder record without a sink id), so that the next sync starts from what
 * this one meant to do even if its scan cannot see the findings. State changes that need no sink call
 * are saved as planned.
 */
async function keepPending(
  store: SnapshotStore,
  plan: TicketPlan,
  done: number,
  tickets: readonly StoredTicket[],
): Promise<void> {
  await clearInStep(store, plan, tickets);
  const byKey = new Map(tickets.map((t) => [t.key, t]));
  for (const action of plan.actions.slice(done)) {
    if (action.kind === 'record') {
      await store.saveTicket(action.next);
      continue;
    }
    const intended = action.next.state === 'open' ? action.next.items : {};
    const prev = byKey.get(action.key);
    const base: StoredTicket = prev ?? {
      ...action.next,
      remoteId: null,
      remoteUrl: null,
      state: 'closed',
      items: {},
      contentHash: '',
    };
    await store.saveTicket({ ...base, pending: intended });
  }
}

/** Tickets the plan leaves alone are in step with the scan: what a failed sync left pending is done. */
async function clearInStep(
  store: SnapshotStore,
  plan: TicketPlan,
  tickets: readonly StoredTicket[],
): Promise<void> {
  const acted = new Set(plan.actions.map((a) => a.key));
  for (const t of tickets)
    if (t.pending && !acted.has(t.key)) await store.saveTicket({ ...t, pending: null });
}

function asSinkError(sink: string, operation: TicketSinkError['operation'], err: unknown): TicketSinkError {
  if (err instanceof TicketSinkError) return err;
  const status = (err as { status?: unknown }).status;
  return new TicketSinkError(
    sink,
    operation,
    (err as Error).message ?? String(err),
    typeof status === 'number' ? status : null,
    {
      cause: err,
    },
  );
}
