import type { StoredTicket } from '../../store/store.js';
import { digestIsEmpty, digestSummary } from '../../tickets/digest.js';
import type { TicketAction } from '../../tickets/plan.js';
import type { SyncResult } from '../../tickets/sync.js';
import { type Column, type OutputFormat, renderJson, renderRows } from '../format.js';

interface Row {
  sink: string;
  action: TicketAction;
  status: 'planned' | 'done' | 'pending';
}

const COLUMNS: Column<Row>[] = [
  { header: 'Sink', value: (r) => r.sink },
  { header: 'Action', value: (r) => r.action.kind },
  { header: 'Ticket', value: (r) => r.action.next.remoteId ?? r.action.ref?.id ?? '(new)' },
  { header: 'Key', value: (r) => r.action.key },
  { header: 'Reason', value: (r) => r.action.reason },
  { header: 'Status', value: (r) => r.status },
];

function rowsOf(results: readonly SyncResult[], dryRun: boolean): Row[] {
  return results.flatMap((res) =>
    res.plan.actions.map((action, i) => ({
      sink: res.sink,
      action,
      status: dryRun ? ('planned' as const) : i < res.done ? ('done' as const) : ('pending' as const),
    })),
  );
}

/** `tickets sync` output: the plan (with --dry-run) or what was done, per sink, and a summary line each. */
export function renderTicketSync(
  results: readonly SyncResult[],
  format: OutputFormat,
  dryRun: boolean,
): string {
  if (format === 'json') {
    return renderJson(
      results.map((r) => ({
        sink: r.sink,
        scanId: r.scanId,
        dryRun,
        done: r.done,
        unchanged: r.plan.unchanged,
        requests: r.calls,
        ...(r.digest ? { digest: r.digest } : {}),
        error: r.error
          ? { operation: r.error.operation, status: r.error.status, message: r.error.message }
          : null,
        actions: r.plan.actions.map((a, i) => ({
          kind: a.kind,
          key: a.key,
          reason: a.reason,
          ticket: a.next.remoteId ?? a.ref?.id ?? null,
          url: a.next.remoteUrl ?? a.ref?.url ?? null,
          state: a.next.state,
          status: dryRun ? 'planned' : i < r.done ? 'done' : 'pending',
        })),
      })),
    );
  }
  const rows = rowsOf(results, dryRun);
  const table = rows.length > 0 ? renderRows(format, rows, COLUMNS) : '';
  if (format !== 'table') return table;
  const summary = results.map((r) => `${ticketSyncSummary(r, dryRun)}\n`).join('');
  return `${table}${table ? '\n' : ''}${summary}`;
}

const STORED: Column<StoredTicket>[] = [
  { header: 'Sink', value: (t) => t.sink },
  { header: 'State', value: (t) => (t.pending ? `${t.state} (pending)` : t.state) },
  { header: 'Ticket', value: (t) => t.remoteId ?? '' },
  { header: 'Severity', value: (t) => t.severity },
  { header: 'Findings', value: (t) => Object.keys(t.items).length, align: 'right' },
  { header: 'Title', value: (t) => t.title },
  { header: 'Changed', value: (t) => `scan ${t.changedScan}` },
  { header: 'URL', value: (t) => t.remoteUrl ?? '' },
];

/** `tickets list`: the lifecycle's record of each ticket. */
export function renderStoredTickets(tickets: readonly StoredTicket[], format: OutputFormat): string {
  if (format === 'json') {
    return renderJson(
      tickets.map((t) => ({
        sink: t.sink,
        key: t.key,
        state: t.state,
        ticket: t.remoteId,
        url: t.remoteUrl,
        severity: t.severity,
        title: t.title,
        fingerprints: Object.keys(t.items),
        pending: t.pending !== null,
        openedScan: t.openedScan,
        changedScan: t.changedScan,
        openedAt: t.openedAt,
        changedAt: t.changedAt,
      })),
    );
  }
  return renderRows(format, tickets, STORED);
}

/** One line per sink: what the sync planned and how it went ("local-jira (scan 2): 3 to open, …; 7 done"). */
export function ticketSyncSummary(r: SyncResult, dryRun: boolean): string {
  const count = (k: string) => r.plan.actions.filter((a) => a.kind === k).length;
  const what = r.digest
    ? `digest of ${digestSummary(r.digest)}${digestIsEmpty(r.digest) ? ' (nothing to post)' : ''}`
    : `${count('open')} to open, ${count('comment')} to comment, ${count('close')} to close, ${count('reopen')} to reopen, ${count('record')} noticed, ${r.plan.unchanged} unchanged`;
  const outcome = dryRun
    ? 'dry run: nothing changed'
    : r.error
      ? `FAILED after ${r.done} of ${r.plan.actions.length}: ${r.error.message}`
      : `${r.done} done, ${r.calls} requests`;
  return `${r.sink} (scan ${r.scanId}): ${what}; ${outcome}`;
}
