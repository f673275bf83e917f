import type { ScanRecord } from '../../model/index.js';
import { recordKey, sourceKey } from '../../model/index.js';
import { fastCanonicalJson } from './canonical-record.js';
import { RECORD_TABLES, tableFor } from './record-tables.js';

/**
 * A record reduced to what the versions tables store: its table, source, keys and canonical JSON.
 * Hashing happens where it is written (scan-transaction.ts), in the scan thread when there is one.
 */
export interface PreparedRecord {
  /** Index into RECORD_TABLES. */
  table: number;
  source: string;
  identityKey: string;
  key: string;
  json: string;
}

export function prepareRecord(rec: ScanRecord): PreparedRecord {
  const spec = tableFor(rec.type);
  return {
    table: RECORD_TABLES.indexOf(spec),
    source: sourceKey(rec),
    identityKey: spec.identityKeyOf(rec),
    key: recordKey(rec),
    json: fastCanonicalJson(rec),
  };
}
