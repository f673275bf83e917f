import type Database from 'better-sqlite3';
import { connect } from './connection.js';

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
    const fresh = connect(this.file, { busyTimeoutMs: this.busyTimeoutMs, cacheMiB: 64, readonly: true });
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
