/**
 * Worker-thread entry: runs one scan's transaction (scan-transaction.ts) off the main thread, so
 * that preparing records (canonical JSON, hashes) and writing them to SQLite overlap.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from './connection.js';
import { abortScan, commitScan } from './scan-commit.js';
import { type ScanSinkOptions, serializeError } from './scan-sink.js';
import { type ScanThreadReply, type ScanThreadRequest, unpackBatch } from './scan-thread-protocol.js';
import { ScanTransaction } from './scan-transaction.js';
import { toStoreError } from './sqlite-errors.js';

const options = workerData as ScanSinkOptions;
const port = parentPort!;
const db = connect(options.file, { busyTimeoutMs: options.busyTimeoutMs, cacheMiB: options.cacheMiB });
// The checkpoint of a big scan runs after `complete()` has answered (below), not inside it.
db.pragma('wal_autocheckpoint = 0');
const tx = new ScanTransaction(db, options.file, options.scanId);

function handle(msg: ScanThreadRequest): 'continue' | 'committed' | 'aborted' {
  switch (msg.op) {
    case 'write':
      tx.write(unpackBatch(msg.batch));
      return 'continue';
    case 'complete':
      commitScan(db, options.file, tx, msg.req);
      return 'committed';
    case 'abort':
      abortScan(db, tx, msg.reason, msg.finishedAt);
      return 'aborted';
  }
}

const doing = { write: 'writing records of', complete: 'completing', abort: 'aborting' } as const;

port.on('message', (msg: ScanThreadRequest) => {
  let outcome: ReturnType<typeof handle> = 'continue';
  let reply: ScanThreadReply;
  try {
    outcome = handle(msg);
    reply = { id: msg.id, ok: true };
  } catch (err) {
    const mapped = toStoreError(options.file, err, `${doing[msg.op]} scan ${options.scanId}`);
    reply = { id: msg.id, error: serializeError(mapped) };
    if (msg.op === 'abort') outcome = 'aborted';
  }
  port.postMessage(reply);
  if (outcome === 'continue') return;
  try {
    // Fold the scan into the database file while the caller goes on; readers are not blocked.
    if (outcome === 'committed') db.pragma('wal_checkpoint(PASSIVE)');
  } finally {
    db.close();
    port.close();
  }
});
