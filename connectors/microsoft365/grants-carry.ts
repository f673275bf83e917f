import { createHash } from 'node:crypto';
import type { CollectorRun } from '../../src/connector/collector.js';
import type { ModelRecordInput } from '../../src/model/record.js';
import { TOOL_VERSION } from '../../src/version.js';

/**
 * The connector-state key of the digest of the delegated grant records a scan stored (see
 * `recordsDigest`): the next scan compares its own records' digest with it.
 */
export const GRANTS_RECORDS_DIGEST = 'oauth2PermissionGrants.recordsDigest';

/**
 * Bump when what the digest covers changes meaning, so that a digest kept by an older build never
 * matches.
 */
const DIGEST_FORMAT = 'grants-records/1';

/**
 * Digest of the records a collector emits, as a set: each record's JSON is hashed, the hashes sorted
 * and hashed again, so that the order the grant objects came in (a delta rebuild, a full list) does
 * not matter. The tool version is in it too: the engine checks and normalises records after the
 * connector, and a new version may do it differently.
 */
export function recordsDigest(records: Iterable<ModelRecordInput>): { digest: string; count: number } {
  const hashes: string[] = [];
  for (const r of records) hashes.push(createHash('sha256').update(JSON.stringify(r)).digest('base64'));
  hashes.sort();
  const all = createHash('sha256').update(`${DIGEST_FORMAT}\n${TOOL_VERSION}\n`);
  for (const h of hashes) all.update(h);
  return { digest: all.digest('hex'), count: hashes.length };
}

/**
 * Keeps `digest` for the next scan and says whether the previous scan stored exactly these records:
 * its digest (kept only when the collector completed there) is the same and from the previous scan
 * itself. Then the scan id to carry the records forward from, else null. Never under `--full`, and
 * never without a store behind the scan.
 */
export function unchangedSince(run: Pick<CollectorRun, 'ctx'>, key: string, digest: string): number | null {
  const { state, previous } = run.ctx;
  if (!state) return null;
  const stored = state.get(key);
  state.set(key, digest);
  if (state.fullResync || !stored || previous.scanId === null) return null;
  return stored.scanId === previous.scanId && stored.value === digest ? stored.scanId : null;
}
