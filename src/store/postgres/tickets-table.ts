import { hostname } from 'node:os';
import type pg from 'pg';
import { StoreLockedError } from '../../errors.js';
import { writerIsGone } from '../sqlite/scan-rows.js';
import type { StoredTicket, TicketSyncRecord } from '../store.js';
import { type TicketRow, type TicketSyncRow, toTicket, toTicketSync } from '../ticket-rows.js';

export async function readTickets(client: pg.PoolClient, sink: string): Promise<StoredTicket[]> {
  const r = await client.query<TicketRow>('SELECT * FROM tickets WHERE sink = $1 ORDER BY key COLLATE "C"', [
    sink,
  ]);
  return r.rows.map(toTicket);
}

export async function saveTicket(client: pg.PoolClient, t: StoredTicket): Promise<void> {
  await client.query(
    `INSERT INTO tickets (sink, key, remote_id, remote_url, state, items, pending_items, content_hash, severity,
       title, opened_scan, changed_scan, opened_at, changed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT (sink, key) DO UPDATE SET remote_id = excluded.remote_id, remote_url = excluded.remote_url,
       state = excluded.state, items = excluded.items, pending_items = excluded.pending_items,
       content_hash = excluded.content_hash, severity = excluded.severity, title = excluded.title,
       opened_scan = excluded.opened_scan, changed_scan = excluded.changed_scan, opened_at = excluded.opened_at,
       changed_at = excluded.changed_at`,
    [
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
    ],
  );
}

/**
 * One sync per sink across every machine: a transaction-scoped advisory lock on the sink's name makes
 * the check-and-insert atomic; a live sync (any host) refuses, a dead one on this host is taken over.
 */
export async function beginTicketSync(
  client: pg.PoolClient,
  s: { sink: string; scanId: number; startedAt: string },
  location: string,
): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('grantscope ticket sync ' || $1))", [s.sink]);
    const running = await client.query<TicketSyncRow>(
      "SELECT * FROM ticket_syncs WHERE sink = $1 AND status = 'running'",
      [s.sink],
    );
    for (const r of running.rows) {
      if (!writerIsGone(r)) {
        throw new StoreLockedError(
          location,
          `ticket sink ${JSON.stringify(s.sink)} is being synced by process ${r.writer_pid} on ${r.writer_host} (since ${r.started_at}); try again when it ends`,
        );
      }
      await client.query(
        "UPDATE ticket_syncs SET status = 'failed', finished_at = $1, error = $2 WHERE id = $3 AND status = 'running'",
        [s.startedAt, `interrupted: process ${r.writer_pid} ended before the sync did`, r.id],
      );
    }
    const inserted = await client.query<{ id: string }>(
      `INSERT INTO ticket_syncs (sink, scan_id, started_at, status, writer_pid, writer_host)
       VALUES ($1, $2, $3, 'running', $4, $5) RETURNING id`,
      [s.sink, s.scanId, s.startedAt, process.pid, hostname()],
    );
    await client.query('COMMIT');
    return Number(inserted.rows[0]!.id);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

export async function finishTicketSync(
  client: pg.PoolClient,
  id: number,
  o: { finishedAt: string; status: 'complete' | 'failed'; actions: number; error: string | null },
): Promise<void> {
  await client.query(
    'UPDATE ticket_syncs SET status = $1, finished_at = $2, actions = $3, error = $4 WHERE id = $5',
    [o.status, o.finishedAt, o.actions, o.error, id],
  );
}

export async function lastTicketSync(client: pg.PoolClient, sink: string): Promise<TicketSyncRecord | null> {
  const r = (
    await client.query<TicketSyncRow>(
      "SELECT * FROM ticket_syncs WHERE sink = $1 AND status = 'complete' ORDER BY id DESC LIMIT 1",
      [sink],
    )
  ).rows[0];
  return r ? toTicketSync(r) : null;
}
