import type { StoredTicket, TicketSyncRecord } from './store.js';

/**
 * The `tickets` and `ticket_syncs` rows as both stores' drivers return them. Integer columns are numbers
 * from SQLite and strings from PostgreSQL (bigint), hence `number | string` and `Number()` below.
 */
export interface TicketRow {
  sink: string;
  key: string;
  remote_id: string | null;
  remote_url: string | null;
  state: StoredTicket['state'];
  items: string;
  pending_items: string | null;
  content_hash: string;
  severity: string;
  title: string;
  opened_scan: number | string;
  changed_scan: number | string;
  opened_at: string;
  changed_at: string;
}

export interface TicketSyncRow {
  id: number | string;
  sink: string;
  scan_id: number | string;
  started_at: string;
  finished_at: string | null;
  writer_pid: number | null;
  writer_host: string | null;
  status: TicketSyncRecord['status'];
  actions: number | string;
  error: string | null;
}

export function toTicket(r: TicketRow): StoredTicket {
  return {
    sink: r.sink,
    key: r.key,
    remoteId: r.remote_id,
    remoteUrl: r.remote_url,
    state: r.state,
    items: JSON.parse(r.items) as StoredTicket['items'],
    pending: r.pending_items === null ? null : (JSON.parse(r.pending_items) as StoredTicket['items']),
    contentHash: r.content_hash,
    severity: r.severity,
    title: r.title,
    openedScan: Number(r.opened_scan),
    changedScan: Number(r.changed_scan),
    openedAt: r.opened_at,
    changedAt: r.changed_at,
  };
}

export function toTicketSync(r: TicketSyncRow): TicketSyncRecord {
  return {
    sink: r.sink,
    scanId: Number(r.scan_id),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    status: r.status,
    actions: Number(r.actions),
    error: r.error,
  };
}
