import type Database from 'better-sqlite3';
import { connect } from './connection.js';

/**
 * Page cache of a reader, in MiB. Small on purpose: a reader streams (each page is read once, in
 * order) and starts cold anyway, since another connection's commit empties its cache; a large cache
 * then only costs a fresh allocation per page read. Reading a scan's 23,000 records on a new
 * connection took 290 ms of CPU with 64 MiB and 75 ms with 2 MiB (older scans' random reads by
 * id: 250 ms and 100 ms).
 */
const READER_CACHE_MIB = 2;

/**
 * Read-only connections for streaming reads. better-sqlite3 refuses writes on a connection while
 * one of its iterators is open, and a connection keeps the snapshot its oldest open statement
 * started with; so each stream gets a connection of its own (idle ones are reused), and the write
 * connection stays free for scans and findings.
 */
export class ReaderPool {
  private readonly idle: Database.Database[] = [];
  private readonly all = new Set<Database.Database>();

  constructor(
    private readonly file: string,
    private readonly busyTimeoutMs: number,
    private readonly maxIdle = 4,
  ) {}

  acquire(): Database.Database {
    const db = this.idle.pop();
    if (db) return db;
    const fresh = connect(this.file, {
      busyTimeoutMs: this.busyTimeoutMs,
      cacheMiB: READER_CACHE_MIB,
      readonly: true,
    });
    this.all.add(fresh);
    return fresh;
  }

  release(db: Database.Database): void {
    if (!db.open) {
      this.all.delete(db);
      return;
    }
    if (this.idle.length < this.maxIdle) this.idle.push(db);
    else {
      this.all.delete(db);
      db.close();
    }
  }

  closeAll(): void {
    for (const db of this.all) {
      try {
        db.close();
      } catch {
        // An iterator still open on it: the process is shutting the store down anyway.
      }
    }
    this.all.clear();
    this.idle.length = 0;
  }
}
