import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { StoreLockedError } from '../../errors.js';
import type { StoredTicket, TicketSyncRecord } from '../store.js';
import { type TicketRow, type TicketSyncRow, toTicket, toTicketSync } from '../ticket-rows.js';
import { writerIsGone } from './scan-rows.js';

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

  /** Inside a write transaction: refuses while a live process syncs `sink`; takes over a dead one's. */
  beginSync(s: { sink: string; scanId: number; startedAt: string }, location: string): number {
    const running = this.db
      .prepare<[string], TicketSyncRow>("SELECT * FROM ticket_syncs WHERE sink = ? AND status = 'running'")
      .all(s.sink);
    for (const r of running) {
      if (!writerIsGone(r)) {
        throw new StoreLockedError(
          location,
          `ticket sink ${JSON.stringify(s.sink)} is being synced by process ${r.writer_pid} on ${r.writer_host} (since ${r.started_at}); try again when it ends`,
        );
      }
      this.db
        .prepare(
          "UPDATE ticket_syncs SET status = 'failed', finished_at = ?, error = ? WHERE id = ? AND status = 'running'",
        )
        .run(s.startedAt, `interrupted: process ${r.writer_pid} ended before the sync did`, r.id);
    }
    const info = this.db
      .prepare(
        `INSERT INTO ticket_syncs (sink, scan_id, started_at, status, writer_pid, writer_host)
         VALUES (?, ?, ?, 'running', ?, ?)`,
      )
      .run(s.sink, s.scanId, s.startedAt, process.pid, hostname());
    return Number(info.lastInsertRowid);
  }

  finishSync(
    id: number,
    o: { finishedAt: string; status: 'complete' | 'failed'; actions: number; error: string | null },
  ): void {
    this.db
      .prepare('UPDATE ticket_syncs SET status = ?, finished_at = ?, actions = ?, error = ? WHERE id = ?')
      .run(o.status, o.finishedAt, o.actions, o.error, id);
  }

  lastSync(sink: string): TicketSyncRecord | null {
    const r = this.db
      .prepare<[string], TicketSyncRow>(
        "SELECT * FROM ticket_syncs WHERE sink = ? AND status = 'complete' ORDER BY id DESC LIMIT 1",
      )
      .get(sink);
    return r ? toTicketSync(r) : null;
  }
}
