import type { CoverageReport } from '../../connector/coverage.js';
import { StoreError } from '../../errors.js';
import type { ScanRecord } from '../../model/index.js';
import type { ConnectorStateWrite, ScanSummary, ScanWriter } from '../store.js';
import { type PreparedRecord, prepareRecord } from './prepared-record.js';
import { checkCoverage } from './scan-commit.js';
import type { ScanSink } from './scan-sink.js';

/** Records are prepared here and handed to the scan's transaction this many at a time. */
const BATCH = 1000;

export interface ScanWriterContext {
  file: string;
  scanId: number;
  /** `commit_seq` of the newest committed scan when this one began. */
  baseSeq: number;
  sink: ScanSink;
  summary(): ScanSummary;
  /** Records the scan as failed without its transaction (when that is gone). */
  markFailed(reason: string, finishedAt: string): void;
  /** Called once the scan is completed or aborted. */
  finished(): void;
  /** Called before each batch goes to the sink (the first one takes the file's write lock). */
  writing?(): void;
}

/**
 * A running scan. Records are prepared (canonical JSON, hashes) in this thread and written by the
 * scan's transaction (scan-transaction.ts), in a worker thread when available. `complete()` closes
 * what the scan ended and marks it committed in that same transaction, so readers see all of the scan
 * or none of it. If `complete()` throws, nothing was committed and the writer stays open: retry it or
 * `abort()`. The transaction holds the database's write lock from the first write until `complete()`
 * / `abort()`: other writers wait (busy timeout), then fail with StoreLockedError.
 */
export class SqliteScanWriter implements ScanWriter {
  private buffer: PreparedRecord[] = [];
  private readonly sources = new Set<string>();
  private finished = false;
  /** A failed write leaves the transaction unreliable: the scan can only be aborted. */
  private broken: Error | null = null;

  constructor(private readonly ctx: ScanWriterContext) {}

  get scanId(): number {
    return this.ctx.scanId;
  }

  async write(records: readonly ScanRecord[]): Promise<void> {
    this.assertWritable('write to');
    for (const rec of records) {
      const prepared = prepareRecord(rec);
      this.sources.add(prepared.source);
      this.buffer.push(prepared);
      if (this.buffer.length >= BATCH) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    try {
      this.ctx.writing?.();
      await this.ctx.sink.write(batch);
    } catch (err) {
      this.broken = err as Error;
      throw err;
    }
  }

  async complete(
    coverage: readonly CoverageReport[],
    finishedAt: string,
    state: readonly ConnectorStateWrite[] = [],
  ): Promise<ScanSummary> {
    this.assertWritable('complete');
    checkCoverage(this.ctx.file, coverage, this.sources);
    await this.flush();
    await this.ctx.sink.complete({ coverage, finishedAt, baseSeq: this.ctx.baseSeq, state });
    this.finished = true;
    this.ctx.finished();
    return this.ctx.summary();
  }

  async abort(reason: string, finishedAt: string): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.buffer = [];
    try {
      await this.ctx.sink.abort(reason, finishedAt);
    } catch {
      // The transaction is gone with its thread or connection: record the failure directly.
      this.ctx.markFailed(reason, finishedAt);
    } finally {
      this.ctx.finished();
    }
  }

  private assertWritable(action: string): void {
    const { file, scanId } = this.ctx;
    if (this.finished) throw new StoreError(file, `scan ${scanId} is finished; cannot ${action} it`);
    if (this.broken) {
      throw new StoreError(file, `scan ${scanId} failed to write records (${this.broken.message}); abort it`);
    }
  }
}
