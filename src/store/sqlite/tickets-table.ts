import type Database from 'better-sqlite3';
import type { StoredTicket, TicketSyncRecord } from '../store.js';

interface TicketRow {
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
  opened_scan: number;
  changed_scan: number;
  opened_at: string;
  changed_at: string;
}

interface SyncRow {
  sink: string;
  scan_id: number;
  started_at: string;
  finished_at: string;
  status: TicketSyncRecord['status'];
  actions: number;
  error: string | null;
}

function toTicket(r: TicketRow): StoredTicket {
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
    openedScan: r.opened_scan,
    changedScan: r.changed_scan,
    openedAt: r.opened_at,
    changedAt: r.changed_at,
  };
}

/** The `tickets` and `ticket_syncs` tables (schema 6): the ticket lifecycle's state per sink. */
export class TicketsTable {
  constructor(private readonly db: Database.Database) {}

  read(sink: string): StoredTicket[] {
    return this.db
      .prepare<[string], TicketRow>('SELECT * FROM tickets WHERE sink = ? ORDER BY key')
      .all(sink)
      .map(toTicket);
  }

  save(t: StoredTicket): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO tickets (sink, key, remote_id, remote_url, state, items, pending_items, content_hash, severity,
           title, opened_scan, changed_scan, opened_at, changed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        t.sink,
        t.key,
        t.remoteId,
        t.remoteUrl,
        t.state,
        JSON.stringify(t.items),
        t.pending === null ? null : JSON.stringify(t.pending),
        t.contentHash,
        t.severity,
        t.title,
        t.openedScan,
        t.changedScan,
        t.openedAt,
        t.changedAt,
      );
  }

  recordSync(s: TicketSyncRecord): void {
    this.db
      .prepare(
        `INSERT INTO ticket_syncs (sink, scan_id, started_at, finished_at, status, actions, error)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(s.sink, s.scanId, s.startedAt, s.finishedAt, s.status, s.actions, s.error);
  }

  lastSync(sink: string): TicketSyncRecord | null {
    const r = this.db
      .prepare<[string], SyncRow>(
        "SELECT * FROM ticket_syncs WHERE sink = ? AND status = 'complete' ORDER BY id DESC LIMIT 1",
      )
      .get(sink);
    return r
      ? {
          sink: r.sink,
          scanId: r.scan_id,
          startedAt: r.started_at,
          finishedAt: r.finished_at,
          status: r.status,
          actions: r.actions,
          error: r.error,
        }
      : null;
  }
}
