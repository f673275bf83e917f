import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StoreError } from '../errors.js';
import { appendReceived, type JournalWriter, type ReceivedAnswer } from './response-journal.js';

export type JournalThreadRequest =
  | { op: 'write'; received: ReceivedAnswer[] }
  | { op: 'drain' | 'close'; id: number };
export type JournalThreadReply = { id: number; error?: string };

/** Where a scan's received answers go to be checked (`journalable`) and appended to its journal. */
export interface JournalSink {
  write(received: ReceivedAnswer[]): void;
  /** Every answer written so far is in the file (or the first failure to write one is thrown). */
  drain(): Promise<void>;
  /** `drain`, then the sink is done (a thread ends). */
  close(): Promise<void>;
}

const THREAD_SCRIPT = new URL('./journal-thread.js', import.meta.url);

/** The worker script exists once compiled; from TypeScript sources (vitest) the journal is written inline. */
function threadAvailable(): boolean {
  return THREAD_SCRIPT.protocol === 'file:' && existsSync(fileURLToPath(THREAD_SCRIPT));
}

/** A sink writing through `writer` (appending to the journal `file` open as `fd`): on a thread when it can. */
export function journalSink(writer: JournalWriter, fd: number, file: string): JournalSink {
  return threadAvailable() ? new ThreadJournalSink(fd, file) : new InlineJournalSink(writer, file);
}

/**
 * On this thread, at once. A failure to write (a full disk) stops the writing and is the drain's to
 * report, as on a thread: `write` is called from a timer, where a throw would end the process.
 */
export class InlineJournalSink implements JournalSink {
  private failure: Error | null = null;

  constructor(
    private readonly writer: Pick<JournalWriter, 'append'>,
    private readonly file: string,
  ) {}

  write(received: ReceivedAnswer[]): void {
    if (this.failure) return;
    try {
      appendReceived(this.writer, received);
    } catch (err) {
      this.failure = cannotWrite(this.file, err instanceof Error ? err.message : String(err));
    }
  }

  async drain(): Promise<void> {
    if (this.failure) throw this.failure;
  }

  close(): Promise<void> {
    return this.drain();
  }
}

const cannotWrite = (file: string, detail: string) =>
  new StoreError(file, `cannot write the response journal: ${detail}`);

/**
 * On a worker thread (journal-thread.ts), appending to the same file descriptor: the answers are
 * copied to it (a string's copy costs far less than parsing, redacting and writing it) and written in
 * the order they came. The thread never holds the process open: a drain or close does, until answered.
 */
class ThreadJournalSink implements JournalSink {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;
  private ended = false;

  constructor(fd: number, file: string) {
    this.worker = new Worker(THREAD_SCRIPT, { workerData: { fd } });
    this.worker.unref();
    this.worker.on('message', (reply: JournalThreadReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (reply.error !== undefined) w.reject(cannotWrite(file, reply.error));
      else w.resolve();
    });
    this.worker.on('error', (err) => this.failAll(cannotWrite(file, err.message)));
    this.worker.on('exit', () => {
      this.ended = true;
      this.failAll(new StoreError(file, 'the response journal thread has ended'));
    });
  }

  write(received: ReceivedAnswer[]): void {
    if (this.ended || received.length === 0) return;
    this.worker.postMessage({ op: 'write', received } satisfies JournalThreadRequest);
  }

  drain(): Promise<void> {
    return this.request('drain');
  }

  async close(): Promise<void> {
    await this.request('close');
  }

  private request(op: 'drain' | 'close'): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ op, id } satisfies JournalThreadRequest);
    });
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}
