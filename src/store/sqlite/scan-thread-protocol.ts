import type { PreparedRecord } from './prepared-record.js';
import type { CommitRequest } from './scan-commit.js';
import type { SerializedError } from './scan-sink.js';

/** A batch of prepared records, column-wise, so it crosses threads as a few arrays. */
export interface WireBatch {
  tables: Uint8Array;
  sources: string[];
  identityKeys: string[];
  keys: string[];
  jsons: string[];
}

export type ScanThreadRequest =
  | { id: number; op: 'write'; batch: WireBatch }
  | { id: number; op: 'complete'; req: CommitRequest }
  | { id: number; op: 'abort'; reason: string; finishedAt: string };

export type ScanThreadReply = { id: number; ok: true } | { id: number; error: SerializedError };

export function packBatch(batch: readonly PreparedRecord[]): WireBatch {
  const n = batch.length;
  const wire: WireBatch = {
    tables: new Uint8Array(n),
    sources: new Array(n),
    identityKeys: new Array(n),
    keys: new Array(n),
    jsons: new Array(n),
  };
  for (let i = 0; i < n; i++) {
    const r = batch[i]!;
    wire.tables[i] = r.table;
    wire.sources[i] = r.source;
    wire.identityKeys[i] = r.identityKey;
    wire.keys[i] = r.key;
    wire.jsons[i] = r.json;
  }
  return wire;
}

export function unpackBatch(wire: WireBatch): PreparedRecord[] {
  return wire.jsons.map((json, i) => ({
    table: wire.tables[i]!,
    source: wire.sources[i]!,
    identityKey: wire.identityKeys[i]!,
    key: wire.keys[i]!,
    json,
  }));
}
