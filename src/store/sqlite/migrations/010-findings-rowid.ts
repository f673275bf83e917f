/**
 * Schema version 10: `stored_findings` becomes an ordinary (rowid) table, with `fingerprint` still its
 * unique primary key. Same columns, constraints, indexes and views: nothing a query sees changes. Frozen
 * once released, like every migration.
 *
 * As a WITHOUT ROWID table its rows were B-tree keys: a key longer than about a quarter of a page
 * (evidence makes one in five findings longer) spills into an overflow page of its own, mostly empty,
 * and interior pages hold whole rows. A large tenant's findings took 4,055 pages of 8 KiB for 17 MB of
 * data; as a rowid table, 2,480. Every page of a first recording is written twice (WAL, then
 * checkpoint) and read back for the report, and comparing a re-recorded finding read its overflow page.
 */
export const findingsRowidSchema = `
DROP VIEW open_findings;
DROP VIEW findings;

CREATE TABLE stored_findings_rowid (
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
);

INSERT INTO stored_findings_rowid (fingerprint, rule, severity, platform, tenant, identity_kind, identity_id,
  identity_name, subject, title, evidence, remediation, frameworks, first_seen_scan, first_seen_at,
  last_seen_scan, last_seen_at, resolved_scan, resolved_at, governance)
SELECT fingerprint, rule, severity, platform, tenant, identity_kind, identity_id,
  identity_name, subject, title, evidence, remediation, frameworks, first_seen_scan, first_seen_at,
  last_seen_scan, last_seen_at, resolved_scan, resolved_at, governance
FROM stored_findings ORDER BY fingerprint;

DROP TABLE stored_findings;
ALTER TABLE stored_findings_rowid RENAME TO stored_findings;

-- As in schema 7.
CREATE INDEX stored_findings_behind ON stored_findings (platform, tenant, last_seen_scan)
  WHERE resolved_scan IS NULL AND last_seen_scan IS NOT NULL;
CREATE INDEX stored_findings_current ON stored_findings (platform, tenant)
  WHERE last_seen_scan IS NULL;

CREATE VIEW findings AS
SELECT f.fingerprint, f.rule, f.severity, f.platform, f.tenant, f.identity_kind, f.identity_id,
  f.identity_name, f.subject, f.title, f.evidence, f.remediation, f.frameworks,
  f.first_seen_scan, f.first_seen_at,
  coalesce(f.last_seen_scan, s.last_seen_scan) AS last_seen_scan,
  CASE WHEN f.last_seen_scan IS NULL THEN s.last_seen_at ELSE f.last_seen_at END AS last_seen_at,
  f.resolved_scan, f.resolved_at, f.governance
FROM stored_findings AS f
LEFT JOIN finding_sources AS s ON s.platform = f.platform AND s.tenant = f.tenant;

CREATE VIEW open_findings AS
SELECT * FROM findings WHERE resolved_scan IS NULL;
`;
