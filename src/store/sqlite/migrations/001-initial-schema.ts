/**
 * Schema version 1. Frozen: once released, a migration is never edited; later changes are new migrations.
 * Documented for users in README.md ("The database").
 */
const VERSION_TABLES = ['identities', 'grants', 'credentials'] as const;
const VERSIONS_VIEW = {
  identities: 'identity_versions',
  grants: 'grant_versions',
  credentials: 'credential_versions',
};

export const initialSchema = `
CREATE TABLE schema_migrations (
  version      INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  applied_at   TEXT NOT NULL
);

CREATE TABLE scans (
  id              INTEGER PRIMARY KEY,
  started_at      TEXT NOT NULL,
  finished_at     TEXT,
  status          TEXT NOT NULL CHECK (status IN ('running', 'complete', 'incomplete', 'failed')),
  label           TEXT,
  tool_version    TEXT NOT NULL,
  failure         TEXT,
  commit_seq      INTEGER UNIQUE,
  writer_pid      INTEGER,
  writer_host     TEXT,
  identities      INTEGER NOT NULL DEFAULT 0,
  grants          INTEGER NOT NULL DEFAULT 0,
  credentials     INTEGER NOT NULL DEFAULT 0,
  records_written INTEGER NOT NULL DEFAULT 0,
  versions_added  INTEGER NOT NULL DEFAULT 0,
  versions_closed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scans_by_status ON scans (status, id);

CREATE TABLE sources (
  id         INTEGER PRIMARY KEY,
  source     TEXT NOT NULL UNIQUE,
  platform   TEXT NOT NULL,
  tenant     TEXT NOT NULL
);

CREATE TABLE scan_sources (
  scan_id    INTEGER NOT NULL REFERENCES scans (id),
  source_id  INTEGER NOT NULL REFERENCES sources (id),
  source     TEXT NOT NULL,
  connector  TEXT NOT NULL,
  platform   TEXT NOT NULL,
  tenant     TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('complete', 'incomplete')),
  requests   INTEGER NOT NULL,
  PRIMARY KEY (scan_id, source_id)
) WITHOUT ROWID;
CREATE INDEX scan_sources_by_source ON scan_sources (source_id, scan_id);

CREATE TABLE scan_collectors (
  scan_id      INTEGER NOT NULL,
  source       TEXT NOT NULL,
  collector    TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('complete', 'skipped', 'unavailable', 'failed')),
  reason       TEXT,
  http_status  INTEGER,
  api          TEXT,
  requests     INTEGER NOT NULL,
  items        INTEGER NOT NULL,
  started_at   TEXT,
  finished_at  TEXT,
  notes        TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (scan_id, source, collector)
) WITHOUT ROWID;

${VERSION_TABLES.map(
  (t) => `
CREATE TABLE ${t} (
  id            INTEGER PRIMARY KEY,
  source_id     INTEGER NOT NULL REFERENCES sources (id),
  identity_key  TEXT NOT NULL,
  key_digest    BLOB NOT NULL,
  hash          TEXT NOT NULL,
  valid_from    INTEGER NOT NULL REFERENCES scans (id),
  valid_to      INTEGER REFERENCES scans (id),
  record        TEXT NOT NULL,
  CHECK (valid_to IS NULL OR valid_to > valid_from)
);
-- Open (current) versions by identity, then key: change detection while a scan is written
-- (covering) and the order snapshots are read in.
CREATE INDEX ${t}_open ON ${t} (source_id, identity_key, key_digest, valid_from, hash) WHERE valid_to IS NULL;
-- Versions opened / closed by a scan: diffs read only what changed; snapshots of earlier scans.
CREATE INDEX ${t}_added ON ${t} (source_id, valid_from);
CREATE INDEX ${t}_closed ON ${t} (source_id, valid_to, key_digest) WHERE valid_to IS NOT NULL;
`,
).join('')}
-- Readable columns are views over the record JSON rather than table columns: SQLite computes even
-- VIRTUAL generated columns on INSERT, which doubled the cost of writing a million grants.
CREATE VIEW identity_versions AS
SELECT v.id, s.source, s.platform, s.tenant, v.identity_key AS key, v.valid_from, v.valid_to, v.hash,
  json_extract(v.record, '$.collector') AS collector,
  json_extract(v.record, '$.kind') AS kind,
  json_extract(v.record, '$.nativeId') AS native_id,
  json_extract(v.record, '$.displayName') AS display_name,
  json_extract(v.record, '$.origin') AS origin,
  json_extract(v.record, '$.publisher.name') AS publisher_name,
  json_extract(v.record, '$.publisher.id') AS publisher_id,
  json_extract(v.record, '$.publisher.verified') AS publisher_verified,
  json_extract(v.record, '$.createdAt') AS created_at,
  json_extract(v.record, '$.enabled') AS enabled,
  json_extract(v.record, '$.lastUsed.at') AS last_used_at,
  json_extract(v.record, '$.lastUsed.source') AS last_used_source,
  json_array_length(v.record, '$.owners') AS owners,
  (SELECT count(*) FROM json_each(v.record, '$.owners') AS o WHERE json_extract(o.value, '$.active') = 1) AS active_owners,
  json_extract(v.record, '$.manageUrl') AS manage_url,
  v.record
FROM identities AS v JOIN sources AS s ON s.id = v.source_id;

CREATE VIEW grant_versions AS
SELECT v.id, s.source, s.platform, s.tenant, v.identity_key,
  -- grantKey() of src/model/record.ts (a test asserts they agree).
  v.identity_key || '|' || coalesce(json_extract(v.record, '$.permission.resource'), '') || '|' ||
    json_extract(v.record, '$.permission.id') || '|' || coalesce(json_extract(v.record, '$.principal.id'), '') || '|' ||
    CASE WHEN json_extract(v.record, '$.target.breadth') IN ('user', 'resource')
      THEN coalesce(json_extract(v.record, '$.target.id'), '') ELSE '' END AS key,
  v.valid_from, v.valid_to, v.hash,
  json_extract(v.record, '$.collector') AS collector,
  json_extract(v.record, '$.identity.kind') AS identity_kind,
  json_extract(v.record, '$.identity.nativeId') AS identity_native_id,
  json_extract(v.record, '$.permission.id') AS permission_id,
  json_extract(v.record, '$.permission.name') AS permission_name,
  json_extract(v.record, '$.permission.resource') AS permission_resource,
  json_extract(v.record, '$.permission.nativeLevel') AS native_level,
  json_extract(v.record, '$.permission.access') AS access,
  json_extract(v.record, '$.target.breadth') AS target_breadth,
  json_extract(v.record, '$.target.type') AS target_type,
  json_extract(v.record, '$.target.id') AS target_id,
  json_extract(v.record, '$.target.count') AS target_count,
  json_extract(v.record, '$.grantedVia') AS granted_via,
  json_extract(v.record, '$.grantedBy.id') AS granted_by,
  json_extract(v.record, '$.grantedAt') AS granted_at,
  json_extract(v.record, '$.principal.id') AS principal_id,
  json_extract(v.record, '$.principal.active') AS principal_active,
  json_extract(v.record, '$.risk.tier') AS risk_tier,
  v.record
FROM grants AS v JOIN sources AS s ON s.id = v.source_id;

CREATE VIEW credential_versions AS
SELECT v.id, s.source, s.platform, s.tenant, v.identity_key,
  -- credentialKey() of src/model/record.ts (a test asserts they agree).
  v.identity_key || '|' || json_extract(v.record, '$.credentialType') || '|' || json_extract(v.record, '$.nativeId') AS key,
  v.valid_from, v.valid_to, v.hash,
  json_extract(v.record, '$.collector') AS collector,
  json_extract(v.record, '$.identity.kind') AS identity_kind,
  json_extract(v.record, '$.identity.nativeId') AS identity_native_id,
  json_extract(v.record, '$.credentialType') AS credential_type,
  json_extract(v.record, '$.nativeId') AS native_id,
  json_extract(v.record, '$.displayName') AS display_name,
  json_extract(v.record, '$.createdAt') AS created_at,
  json_extract(v.record, '$.expiresAt') AS expires_at,
  json_extract(v.record, '$.lastUsed.at') AS last_used_at,
  json_extract(v.record, '$.lastUsed.source') AS last_used_source,
  json_extract(v.record, '$.enabled') AS enabled,
  v.record
FROM credentials AS v JOIN sources AS s ON s.id = v.source_id;

${VERSION_TABLES.map(
  (t) => `
-- The state at any committed scan: SELECT * FROM ${t}_at_scan WHERE scan_id = 12
CREATE VIEW ${t}_at_scan AS
SELECT ss.scan_id AS scan_id, r.*
FROM scan_sources AS ss
JOIN ${t} AS v ON v.source_id = ss.source_id AND v.valid_from <= ss.scan_id
  AND (v.valid_to IS NULL OR v.valid_to > ss.scan_id)
JOIN ${VERSIONS_VIEW[t]} AS r ON r.id = v.id;

-- Each source as of the newest scan that included it.
CREATE VIEW current_${t} AS
SELECT r.* FROM ${t} AS v JOIN ${VERSIONS_VIEW[t]} AS r ON r.id = v.id WHERE v.valid_to IS NULL;
`,
).join('')}
CREATE TABLE findings (
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
  last_seen_scan   INTEGER NOT NULL REFERENCES scans (id),
  last_seen_at     TEXT NOT NULL,
  resolved_scan    INTEGER REFERENCES scans (id),
  resolved_at      TEXT
) WITHOUT ROWID;
CREATE INDEX findings_open ON findings (platform, tenant, last_seen_scan) WHERE resolved_scan IS NULL;

-- Findings not resolved yet.
CREATE VIEW open_findings AS
SELECT * FROM findings WHERE resolved_scan IS NULL;
`;
