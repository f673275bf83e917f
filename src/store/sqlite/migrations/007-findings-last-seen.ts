/**
 * Schema version 7: an unchanged open finding costs nothing to re-record. Frozen once released, like
 * every migration.
 *
 * Until now every scan rewrote the last-seen scan of every open finding (and its entry in the
 * `findings_open` index): 124k row updates per unchanged rescan of a large tenant, and page splits each
 * time the scan id needs one more byte (1 → 2, 127 → 128, ...). Now the last-seen scan of an open
 * finding that the newest recording of its source saw is not stored per row (`last_seen_scan` /
 * `last_seen_at` are NULL in `stored_findings`): it is that recording, kept once per source in
 * `finding_sources`. A row holds its own last seen only when it differs: resolved findings, and open
 * ones that a recording did not see. The `findings` view computes the documented columns as before.
 */
export const findingsLastSeenSchema = `
CREATE TABLE finding_sources (
  platform        TEXT NOT NULL,
  tenant          TEXT NOT NULL,
  last_seen_scan  INTEGER NOT NULL REFERENCES scans (id),
  last_seen_at    TEXT NOT NULL,
  PRIMARY KEY (platform, tenant)
) WITHOUT ROWID;

CREATE TABLE stored_findings (
  fingerprint      TEXT PRIMARY KEY,
  rule             TEXT NOT NULL,
  severity         TEXT NOT NULL,
  platform         TEXT NOT NULL,
  tenant           TEXT NOT NULL,
  identity_kind    TEXT NOT NULL,
  identity_id      TEXT NOT NULL,
  identity_name    TEXT,
  subject          TEXT,
  title            TEXT NOT NULL,
  evidence         TEXT NOT NULL,
  remediation      TEXT NOT NULL,
  frameworks       TEXT NOT NULL,
  first_seen_scan  INTEGER NOT NULL REFERENCES scans (id),
  first_seen_at    TEXT NOT NULL,
  last_seen_scan   INTEGER REFERENCES scans (id),
  last_seen_at     TEXT,
  resolved_scan    INTEGER REFERENCES scans (id),
  resolved_at      TEXT,
  governance       TEXT,
  CHECK ((last_seen_scan IS NULL) = (last_seen_at IS NULL)),
  CHECK (last_seen_scan IS NOT NULL OR resolved_scan IS NULL)
) WITHOUT ROWID;

-- Each source's newest recording: the scan that saw every open finding with no last seen of its own.
INSERT INTO finding_sources (platform, tenant, last_seen_scan, last_seen_at)
SELECT platform, tenant, max(last_seen_scan), last_seen_at FROM findings GROUP BY platform, tenant;

INSERT INTO stored_findings
SELECT f.fingerprint, f.rule, f.severity, f.platform, f.tenant, f.identity_kind, f.identity_id,
  f.identity_name, f.subject, f.title, f.evidence, f.remediation, f.frameworks,
  f.first_seen_scan, f.first_seen_at,
  CASE WHEN f.resolved_scan IS NULL AND f.last_seen_scan = s.last_seen_scan THEN NULL ELSE f.last_seen_scan END,
  CASE WHEN f.resolved_scan IS NULL AND f.last_seen_scan = s.last_seen_scan THEN NULL ELSE f.last_seen_at END,
  f.resolved_scan, f.resolved_at, f.governance
FROM findings AS f JOIN finding_sources AS s ON s.platform = f.platform AND s.tenant = f.tenant;

DROP VIEW open_findings;
DROP TABLE findings;

-- Open findings with a last seen of their own (not seen by their source's newest recording): few.
CREATE INDEX stored_findings_behind ON stored_findings (platform, tenant, last_seen_scan)
  WHERE resolved_scan IS NULL AND last_seen_scan IS NOT NULL;
-- Open findings that their source's newest recording saw, for moving that recording on.
CREATE INDEX stored_findings_current ON stored_findings (platform, tenant)
  WHERE last_seen_scan IS NULL;

-- The documented table, as before: one row per fingerprint with its first, last seen and resolved scan.
CREATE VIEW findings AS
SELECT f.fingerprint, f.rule, f.severity, f.platform, f.tenant, f.identity_kind, f.identity_id,
  f.identity_name, f.subject, f.title, f.evidence, f.remediation, f.frameworks,
  f.first_seen_scan, f.first_seen_at,
  coalesce(f.last_seen_scan, s.last_seen_scan) AS last_seen_scan,
  CASE WHEN f.last_seen_scan IS NULL THEN s.last_seen_at ELSE f.last_seen_at END AS last_seen_at,
  f.resolved_scan, f.resolved_at, f.governance
FROM stored_findings AS f
LEFT JOIN finding_sources AS s ON s.platform = f.platform AND s.tenant = f.tenant;

-- Findings not resolved yet.
CREATE VIEW open_findings AS
SELECT * FROM findings WHERE resolved_scan IS NULL;
`;
