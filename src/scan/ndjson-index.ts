import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/** Where one line of a file lies: its first byte and its length in bytes (without the newline). */
export interface LineRef {
  offset: number;
  length: number;
}

const CHUNK = 1 << 20;

/**
 * Visits each newline-terminated line of `file` with its place in the file, reading a MiB at a time,
 * so that a journal of GBs is indexed without being held. A line with no newline after it (cut off by a
 * kill) is not visited. `visit` returns false to stop. Returns how many whole lines were not visited.
 */
export function eachLine(file: string, visit: (line: string, ref: LineRef) => boolean): number {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let position = 0;
    let lineStart = 0;
    let stopped = false;
    let skipped = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK, position);
      if (n === 0) break;
      let from = 0;
      for (;;) {
        const nl = chunk.indexOf(10, from);
        if (nl === -1 || nl >= n) break;
        const part = chunk.subarray(from, nl);
        const length = pendingBytes + part.length;
        if (stopped) skipped += 1;
        else {
          const text =
            pending.length > 0 ? Buffer.concat([...pending, part]).toString('utf8') : part.toString('utf8');
          if (!visit(text, { offset: lineStart, length })) stopped = true;
        }
        pending = [];
        pendingBytes = 0;
        lineStart += length + 1;
        from = nl + 1;
      }
      if (from < n && !stopped) {
        pending.push(Buffer.from(chunk.subarray(from, n)));
        pendingBytes += n - from;
      } else if (from < n) {
        pendingBytes += n - from;
      }
      position += n;
    }
    return skipped;
  } finally {
    closeSync(fd);
  }
}

/** Reads lines back by their {@link LineRef}s; keeps one descriptor open until closed. */
export class LineReader {
  private fd: number | null = null;

  constructor(private readonly file: string) {}

  read(ref: LineRef): string {
    this.fd ??= openSync(this.file, 'r');
    const buf = Buffer.allocUnsafe(ref.length);
    let done = 0;
    while (done < ref.length) {
      const n = readSync(this.fd, buf, done, ref.length - done, ref.offset + done);
      if (n === 0) throw new Error(`${this.file}: ended before byte ${ref.offset + ref.length}`);
      done += n;
    }
    return buf.toString('utf8');
  }

  /** Copies bytes [start, end) of the file to `fd`, a MiB at a time. */
  copyRange(start: number, end: number, fd: number): void {
    this.fd ??= openSync(this.file, 'r');
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let at = start; at < end; ) {
      const n = readSync(this.fd, buf, 0, Math.min(CHUNK, end - at), at);
      if (n === 0) throw new Error(`${this.file}: ended before byte ${end}`);
      writeSync(fd, buf, 0, n);
      at += n;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
