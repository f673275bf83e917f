/**
 * Schema version 11: what carrying an unchanged identity's findings forward needs beyond the inputs
 * (src/analysis/findings-reuse.ts). `finding_sources.analysis_as_of`: the time the recording's rules
 * judged against (a carry needs a later one). `finding_carry`: per identity of a source, the first
 * instant (ms since the epoch) at which its findings as recorded may no longer hold (a credential nears
 * expiry, a day count ticks, an idle threshold passes; NULL: for as long as its records do), and
 * `projection`, what cross-identity rules read of it (JSON by rule id: idle-partner's vendor facts), so
 * that they can be judged without reading it. No row: neither.
 * Frozen once released, like every migration.
 */
export const findingsCarrySchema = `
ALTER TABLE finding_sources ADD COLUMN analysis_as_of TEXT;
CREATE TABLE finding_carry (
  platform     TEXT NOT NULL,
  tenant       TEXT NOT NULL,
  identity_key TEXT NOT NULL,
  valid_until  INTEGER,
  projection   TEXT,
  PRIMARY KEY (platform, tenant, identity_key)
) WITHOUT ROWID;
`;
