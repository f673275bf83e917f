/**
 * Schema version 2: per-source connector state (delta links, last read times) and how each
 * collector ran (`full` or `incremental`). Frozen once released, like every migration.
 */
export const connectorStateSchema = `
CREATE TABLE connector_state (
  source_id  INTEGER NOT NULL REFERENCES sources (id),
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  scan_id    INTEGER NOT NULL REFERENCES scans (id),
  PRIMARY KEY (source_id, key)
) WITHOUT ROWID;

ALTER TABLE scan_collectors ADD COLUMN mode TEXT NOT NULL DEFAULT 'full' CHECK (mode IN ('full', 'incremental'));
`;
