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
  { header: 'sink', value: (r) => r.sink },
  { header: 'action', value: (r) => r.action.kind },
  { header: 'ticket', value: (r) => r.action.next.remoteId ?? r.action.ref?.id ?? '(new)', maxWidth: 40 },
  { header: 'key', value: (r) => r.action.key, maxWidth: 48 },
  { header: 'reason', value: (r) => r.action.reason, maxWidth: 70 },
  { header: 'status', value: (r) => r.status },
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
  { header: 'sink', value: (t) => t.sink },
  { header: 'state', value: (t) => (t.pending ? `${t.state} (pending)` : t.state) },
  { header: 'ticket', value: (t) => t.remoteId ?? '', maxWidth: 40 },
  { header: 'severity', value: (t) => t.severity },
  { header: 'findings', value: (t) => Object.keys(t.items).length, align: 'right' },
  { header: 'title', value: (t) => t.title, maxWidth: 60 },
  { header: 'changed', value: (t) => `scan ${t.changedScan}` },
  { header: 'url', value: (t) => t.remoteUrl ?? '', maxWidth: 60 },
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
