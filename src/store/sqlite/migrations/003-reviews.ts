/**
 * Schema version 3: recertification reviews (`grantscope review`) and the hash of the governance
 * files in force for each scan. Frozen once released, like every migration.
 *
 * Reviews are an evidence trail: append-only (triggers refuse UPDATE and DELETE), the newest row per
 * identity is the decision in force. Identities are keyed the way the model keys them: platform,
 * tenant, kind and native id (the same four values a finding names).
 */
export const reviewsSchema = `
CREATE TABLE reviews (
  id             INTEGER PRIMARY KEY,
  platform       TEXT NOT NULL,
  tenant         TEXT NOT NULL,
  identity_kind  TEXT NOT NULL,
  identity_id    TEXT NOT NULL,
  identity_name  TEXT,
  decision       TEXT NOT NULL CHECK (decision IN ('keep', 'reduce', 'revoke')),
  reviewer       TEXT NOT NULL,
  note           TEXT,
  until          TEXT,
  reviewed_at    TEXT NOT NULL,
  scan_id        INTEGER REFERENCES scans (id),
  grants_digest  TEXT
);
CREATE INDEX reviews_by_identity ON reviews (platform, tenant, identity_kind, identity_id, id);

CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews
BEGIN SELECT RAISE(ABORT, 'reviews are append-only: record a new review instead'); END;
CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews
BEGIN SELECT RAISE(ABORT, 'reviews are append-only: record a new review instead'); END;

CREATE VIEW latest_reviews AS
SELECT r.* FROM reviews AS r
WHERE r.id = (
  SELECT max(x.id) FROM reviews AS x
  WHERE x.platform = r.platform AND x.tenant = r.tenant
    AND x.identity_kind = r.identity_kind AND x.identity_id = r.identity_id
);

ALTER TABLE scans ADD COLUMN governance_hash TEXT;
`;
