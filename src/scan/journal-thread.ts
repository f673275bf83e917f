/**
 * Worker-thread entry: checks and appends a scan's received answers to its response journal
 * (journal-sink.ts), so that parsing, redacting and writing megabytes of answers is not done on the
 * thread that reads the next ones and builds records.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { JournalThreadReply, JournalThreadRequest } from './journal-sink.js';
import { appendReceived, JournalWriter } from './response-journal.js';

const port = parentPort!;
const writer = JournalWriter.appendingTo((workerData as { fd: number }).fd);
/** The first failure: nothing is written after it (a line after a missing one is no harm, but a full disk stays full). */
let failure: string | null = null;

port.on('message', (msg: JournalThreadRequest) => {
  if (msg.op === 'write') {
    if (failure !== null) return;
    try {
      appendReceived(writer, msg.received);
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    return;
  }
  // Messages come in order: every write sent before this drain has been done.
  const reply: JournalThreadReply = failure === null ? { id: msg.id } : { id: msg.id, error: failure };
  port.postMessage(reply);
  if (msg.op === 'close') port.close();
});
