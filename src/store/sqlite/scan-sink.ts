import type Database from 'better-sqlite3';
import { StoreCorruptError, StoreError, StoreLockedError } from '../../errors.js';
import type { PreparedRecord } from './prepared-record.js';
import { abortScan, type CommitRequest, commitScan } from './scan-commit.js';
import { ScanTransaction } from './scan-transaction.js';
import { guard } from './sqlite-errors.js';

/** Where a scan's prepared records go: its transaction, in this thread or in a worker thread. */
export interface ScanSink {
  write(batch: PreparedRecord[]): Promise<void>;
  complete(req: CommitRequest): Promise<void>;
  abort(reason: string, finishedAt: string): Promise<void>;
  /** Resolves once the sink's connection is closed (a worker may checkpoint after `complete`). */
  closed(): Promise<void>;
}

export interface ScanSinkOptions {
  file: string;
  scanId: number;
  busyTimeoutMs: number;
  cacheMiB: number;
}

/** Runs the scan's transaction on a connection in this thread. */
export class InlineScanSink implements ScanSink {
  private readonly tx: ScanTransaction;

  constructor(
    private readonly db: Database.Database,
    private readonly options: ScanSinkOptions,
  ) {
    this.tx = new ScanTransaction(db, options.file, options.scanId);
  }

  async write(batch: PreparedRecord[]): Promise<void> {
    guard(this.options.file, `writing records of scan ${this.options.scanId}`, () => this.tx.write(batch));
  }

  async complete(req: CommitRequest): Promise<void> {
    guard(this.options.file, `completing scan ${this.options.scanId}`, () =>
      commitScan(this.db, this.options.file, this.tx, req),
    );
    this.close();
  }

  async abort(reason: string, finishedAt: string): Promise<void> {
    try {
      guard(this.options.file, `aborting scan ${this.options.scanId}`, () =>
        abortScan(this.db, this.tx, reason, finishedAt),
      );
    } finally {
      this.close();
    }
  }

  async closed(): Promise<void> {}

  private close(): void {
    if (this.db.open) this.db.close();
  }
}

/** A store error as it crosses the thread boundary. */
export interface SerializedError {
  code: string | null;
  message: string;
  file: string | null;
}

export function serializeError(err: unknown): SerializedError {
  const e = err as { code?: unknown; message?: unknown; file?: unknown };
  return {
    code: typeof e?.code === 'string' ? e.code : null,
    message: typeof e?.message === 'string' ? e.message : String(err),
    file: typeof e?.file === 'string' ? e.file : null,
  };
}

export function deserializeError(e: SerializedError, file: string): Error {
  const detail =
    e.file && e.message.startsWith(`${e.file}: `) ? e.message.slice(e.file.length + 2) : e.message;
  switch (e.code) {
    case 'STORE_LOCKED':
      return new StoreLockedError(e.file ?? file, detail);
    case 'STORE_CORRUPT':
      return new StoreCorruptError(e.file ?? file, detail);
    default:
      return new StoreError(e.file ?? file, detail);
  }
}
