import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StoreError } from '../../errors.js';
import type { PreparedRecord } from './prepared-record.js';
import type { CommitRequest } from './scan-commit.js';
import { deserializeError, type ScanSink, type ScanSinkOptions } from './scan-sink.js';
import { packBatch, type ScanThreadReply, type ScanThreadRequest } from './scan-thread-protocol.js';

/** Batches allowed in flight before `write()` waits: bounds memory while keeping the thread busy. */
const MAX_IN_FLIGHT = 4;

const THREAD_SCRIPT = new URL('./scan-thread.js', import.meta.url);

/** The worker script exists once compiled; from TypeScript sources (vitest) scans run inline. */
export function scanThreadAvailable(): boolean {
  return THREAD_SCRIPT.protocol === 'file:' && existsSync(fileURLToPath(THREAD_SCRIPT));
}

type Op = ScanThreadRequest['op'];

/** Runs the scan's transaction in a worker thread (scan-thread.ts). */
export class ThreadScanSink implements ScanSink {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private readonly inFlight: Promise<void>[] = [];
  private readonly exited: Promise<void>;
  private nextId = 1;
  private hasExited = false;
  private awaitedExit = false;
  /** First failure of a write in flight, or of the thread itself. */
  private failure: Error | null = null;

  constructor(options: ScanSinkOptions) {
    this.worker = new Worker(THREAD_SCRIPT, { workerData: options });
    this.worker.unref();
    this.worker.on('message', (reply: ScanThreadReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0 && !this.awaitedExit) this.worker.unref();
      if ('error' in reply) w.reject(deserializeError(reply.error, options.file));
      else w.resolve();
    });
    this.worker.on('error', (err) =>
      this.failAll(new StoreError(options.file, `scan thread failed: ${err.message}`, { cause: err })),
    );
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', () => {
        this.hasExited = true;
        this.failAll(new StoreError(options.file, `scan ${options.scanId}: the scan thread has ended`));
        resolve();
      });
    });
  }

  async write(batch: PreparedRecord[]): Promise<void> {
    this.throwIfFailed();
    const wire = packBatch(batch);
    const sent = this.request({ op: 'write', batch: wire }, [wire.tables.buffer as ArrayBuffer]).catch(
      (err: Error) => {
        this.failure ??= err;
      },
    );
    this.inFlight.push(sent);
    if (this.inFlight.length > MAX_IN_FLIGHT) await this.inFlight.shift();
    this.throwIfFailed();
  }

  async complete(req: CommitRequest): Promise<void> {
    await this.drain();
    this.throwIfFailed();
    await this.request({ op: 'complete', req });
  }

  async abort(reason: string, finishedAt: string): Promise<void> {
    await this.drain();
    await this.request({ op: 'abort', reason, finishedAt });
  }

  closed(): Promise<void> {
    // Whoever waits for the thread (store.close()) keeps the process alive until it ends.
    this.awaitedExit = true;
    if (!this.hasExited) this.worker.ref();
    return this.exited;
  }

  private async drain(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight.shift();
  }

  private request(msg: { op: Op } & Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Keep the process alive while the thread owes an answer.
      this.worker.ref();
      this.worker.postMessage({ ...msg, id } as ScanThreadRequest, transfer);
    });
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
