import type { ModelRecord } from '../../model/index.js';
import { recordKey, sourceKey } from '../../model/index.js';
import { canonicalRecord, keyDigest } from './canonical-record.js';
import { RECORD_TABLES, tableFor } from './record-tables.js';

/** A record reduced to what the versions tables store: keys, digest, content hash and JSON. */
export interface PreparedRecord {
  /** Index into RECORD_TABLES. */
  table: number;
  source: string;
  identityKey: string;
  digest: Buffer;
  hash: string;
  json: string;
}

export function prepareRecord(rec: ModelRecord): PreparedRecord {
  const spec = tableFor(rec.type);
  const key = recordKey(rec);
  const { json, hash } = canonicalRecord(rec);
  return {
    table: RECORD_TABLES.indexOf(spec),
    source: sourceKey(rec),
    identityKey: spec.identityKeyOf(rec),
    digest: keyDigest(key),
    hash,
    json,
  };
}
