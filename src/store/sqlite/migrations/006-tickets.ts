/**
 * Schema version 6: the ticket lifecycle (`grantscope tickets sync`, issue 14). Frozen once released,
 * like every migration.
 *
 * `tickets` holds, per sink and lifecycle key (a finding fingerprint, or a group key when the sink groups
 * findings), the ticket the sink created and what was last sent to it, so that an unchanged finding costs
 * no request, a changed one one comment, and a finding that comes back reopens the same ticket.
 * `ticket_syncs` records each sync of a sink (the scan it synced to, how it ended), so a sync never goes
 * back to an older scan and a failed one is visible.
 */
export const ticketsSchema = `
CREATE TABLE tickets (
  sink          TEXT NOT NULL,
  key           TEXT NOT NULL,
  remote_id     TEXT,
  remote_url    TEXT,
  state         TEXT NOT NULL
                CHECK (state IN ('open', 'closed', 'excepted', 'closed-by-hand', 'deleted-by-hand')),
  items         TEXT NOT NULL,
  pending_items TEXT,
  content_hash  TEXT NOT NULL,
  severity      TEXT NOT NULL,
  title         TEXT NOT NULL,
  opened_scan   INTEGER NOT NULL REFERENCES scans (id),
  changed_scan  INTEGER NOT NULL REFERENCES scans (id),
  opened_at     TEXT NOT NULL,
  changed_at    TEXT NOT NULL,
  PRIMARY KEY (sink, key)
) WITHOUT ROWID;

CREATE TABLE ticket_syncs (
  id           INTEGER PRIMARY KEY,
  sink         TEXT NOT NULL,
  scan_id      INTEGER NOT NULL REFERENCES scans (id),
  started_at   TEXT NOT NULL,
  finished_at  TEXT,
  status       TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
  actions      INTEGER NOT NULL DEFAULT 0,
  error        TEXT,
  writer_pid   INTEGER,
  writer_host  TEXT
);
CREATE INDEX ticket_syncs_by_sink ON ticket_syncs (sink, id);
CREATE INDEX ticket_syncs_running ON ticket_syncs (sink) WHERE status = 'running';
`;
