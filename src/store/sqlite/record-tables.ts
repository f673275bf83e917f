import type { ModelRecord, RecordType } from '../../model/index.js';
import { identityKey } from '../../model/index.js';

/** How one record type maps onto its versions table. Readable columns are generated from `record`. */
export interface RecordTable {
  type: RecordType;
  table: 'identities' | 'grants' | 'credentials';
  /** Position of the type in snapshots and diffs: identity, grant, credential. */
  order: number;
  /** SQL for the identity kind of a row, for `SnapshotFilter.kinds`. */
  kindExpr: string;
  /** The view with readable columns and `key` (migration 001). */
  versionsView: string;
  identityKeyOf(rec: ModelRecord): string;
}

export const RECORD_TABLES: readonly RecordTable[] = [
  {
    type: 'identity',
    table: 'identities',
    order: 0,
    kindExpr: "json_extract(record, '$.kind')",
    versionsView: 'identity_versions',
    identityKeyOf: (rec) => identityKey(rec as Extract<ModelRecord, { type: 'identity' }>),
  },
  {
    type: 'grant',
    table: 'grants',
    order: 1,
    kindExpr: "json_extract(record, '$.identity.kind')",
    versionsView: 'grant_versions',
    identityKeyOf: (rec) => identityKey((rec as Extract<ModelRecord, { type: 'grant' }>).identity),
  },
  {
    type: 'credential',
    table: 'credentials',
    order: 2,
    kindExpr: "json_extract(record, '$.identity.kind')",
    versionsView: 'credential_versions',
    identityKeyOf: (rec) => identityKey((rec as Extract<ModelRecord, { type: 'credential' }>).identity),
  },
];

export function tableFor(type: RecordType): RecordTable {
  const t = RECORD_TABLES.find((x) => x.type === type);
  if (!t) throw new TypeError(`cannot store a record of type ${JSON.stringify(type)}`);
  return t;
}
