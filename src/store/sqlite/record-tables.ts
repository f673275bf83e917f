import type { ScanRecord as ModelRecord, ScanRecordType as RecordType } from '../../model/index.js';
import { identityKey, personKey } from '../../model/index.js';

/** How one record type maps onto its versions table. Readable columns are generated from `record`. */
export interface RecordTable {
  type: RecordType;
  table: 'identities' | 'grants' | 'credentials' | 'people';
  /** Position of the type in snapshots and diffs: identity, grant, credential (people come last). */
  order: number;
  /** JSON path of the identity kind in `record`, for `SnapshotFilter.kinds`. */
  kindPath: string;
  /**
   * Whether the type belongs to identity bundles and diffs. People do not: they are no one's
   * inventory, only what governance reads owners' statuses from (`readPeople`).
   */
  inBundles: boolean;
  /** The view with readable columns and `key` (migration 001; people: 005). */
  versionsView: string;
  identityKeyOf(rec: ModelRecord): string;
}

export const RECORD_TABLES: readonly RecordTable[] = [
  {
    type: 'identity',
    table: 'identities',
    order: 0,
    kindPath: '$.kind',
    inBundles: true,
    versionsView: 'identity_versions',
    identityKeyOf: (rec) => identityKey(rec as Extract<ModelRecord, { type: 'identity' }>),
  },
  {
    type: 'grant',
    table: 'grants',
    order: 1,
    kindPath: '$.identity.kind',
    inBundles: true,
    versionsView: 'grant_versions',
    identityKeyOf: (rec) => identityKey((rec as Extract<ModelRecord, { type: 'grant' }>).identity),
  },
  {
    type: 'credential',
    table: 'credentials',
    order: 2,
    kindPath: '$.identity.kind',
    inBundles: true,
    versionsView: 'credential_versions',
    identityKeyOf: (rec) => identityKey((rec as Extract<ModelRecord, { type: 'credential' }>).identity),
  },
  {
    type: 'person',
    table: 'people',
    order: 3,
    kindPath: '$.kind',
    inBundles: false,
    versionsView: 'person_versions',
    identityKeyOf: (rec) => personKey(rec as Extract<ModelRecord, { type: 'person' }>),
  },
];

/** The record types of identity bundles (snapshots) and diffs. */
export const BUNDLE_TABLES: readonly RecordTable[] = RECORD_TABLES.filter((t) => t.inBundles);

/** SQL: the row's identity kind is one of the JSON array `:kinds`. */
export function kindFilterSql(t: RecordTable, recordColumn = 'record'): string {
  return `json_extract(${recordColumn}, '${t.kindPath}') IN (SELECT value FROM json_each(:kinds))`;
}

export function tableFor(type: RecordType): RecordTable {
  const t = RECORD_TABLES.find((x) => x.type === type);
  if (!t) throw new TypeError(`cannot store a record of type ${JSON.stringify(type)}`);
  return t;
}
