import type { PreparedRecord } from './prepared-record.js';
import type { CommitRequest } from './scan-commit.js';
import type { SerializedError } from './scan-sink.js';

/** A batch of prepared records, column-wise, so it crosses threads as a few arrays and one buffer. */
export interface WireBatch {
  tables: Uint8Array;
  sources: string[];
  identityKeys: string[];
  hashes: string[];
  jsons: string[];
  /** 16 bytes per record. */
  digests: Uint8Array;
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
    hashes: new Array(n),
    jsons: new Array(n),
    digests: new Uint8Array(n * 16),
  };
  for (let i = 0; i < n; i++) {
    const r = batch[i]!;
    wire.tables[i] = r.table;
    wire.sources[i] = r.source;
    wire.identityKeys[i] = r.identityKey;
    wire.hashes[i] = r.hash;
    wire.jsons[i] = r.json;
    wire.digests.set(r.digest, i * 16);
  }
  return wire;
}

export function unpackBatch(wire: WireBatch): PreparedRecord[] {
  const digests = Buffer.from(wire.digests.buffer, wire.digests.byteOffset, wire.digests.byteLength);
  return wire.jsons.map((json, i) => ({
    table: wire.tables[i]!,
    source: wire.sources[i]!,
    identityKey: wire.identityKeys[i]!,
    hash: wire.hashes[i]!,
    json,
    digest: digests.subarray(i * 16, i * 16 + 16),
  }));
}
