/**
 * Schema version 5: the people of each platform (person records: GitHub org members, Google Workspace
 * users, Entra users the scan read), versioned like the other records so that an unchanged person
 * costs nothing per rescan. Governance reads them to tell whether a registered owner has left. Frozen
 * once released, like every migration.
 */
export const peopleSchema = `
CREATE TABLE people (
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
CREATE INDEX people_open ON people (source_id, identity_key, key_digest, valid_from, hash) WHERE valid_to IS NULL;
CREATE INDEX people_added ON people (source_id, valid_from);
CREATE INDEX people_closed ON people (source_id, valid_to, key_digest) WHERE valid_to IS NOT NULL;

CREATE VIEW person_versions AS
SELECT v.id, s.source, s.platform, s.tenant, v.identity_key AS key, v.valid_from, v.valid_to, v.hash,
  json_extract(v.record, '$.collector') AS collector,
  json_extract(v.record, '$.nativeId') AS native_id,
  json_extract(v.record, '$.name') AS name,
  json_extract(v.record, '$.displayName') AS display_name,
  json_extract(v.record, '$.status') AS status,
  json_extract(v.record, '$.listing') AS listing,
  v.record
FROM people AS v JOIN sources AS s ON s.id = v.source_id;

-- The people at any committed scan: SELECT * FROM people_at_scan WHERE scan_id = 12
CREATE VIEW people_at_scan AS
SELECT ss.scan_id AS scan_id, r.*
FROM scan_sources AS ss
JOIN people AS v ON v.source_id = ss.source_id AND v.valid_from <= ss.scan_id
  AND (v.valid_to IS NULL OR v.valid_to > ss.scan_id)
JOIN person_versions AS r ON r.id = v.id;

-- Each source's people as of the newest scan that included it.
CREATE VIEW current_people AS
SELECT r.* FROM people AS v JOIN person_versions AS r ON r.id = v.id WHERE v.valid_to IS NULL;
`;
