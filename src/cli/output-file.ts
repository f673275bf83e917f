import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomically, writeStreamAtomically } from '../output/write-file-atomically.js';

/** Output files hold an inventory of who can reach what: owner-only unless `--mode` says otherwise. */
export const DEFAULT_OUTPUT_MODE = 0o600;

export function parseFileMode(value: string | undefined): number {
  if (value === undefined) return DEFAULT_OUTPUT_MODE;
  if (!/^0?[0-7]{3}$/.test(value))
    throw new UsageError(`--mode: not an octal file mode: '${value}' (e.g. 600, 640)`);
  return Number.parseInt(value, 8);
}

function startsWithSqliteHeader(file: string): boolean {
  const header = Buffer.alloc(16);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    readSync(fd, header, 0, 16, 0);
    return header.toString('latin1') === 'SQLite format 3\0';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * `-o FILE`, checked before any work starts so that a long scan never ends in an unwritable path,
 * and written atomically (a temporary file renamed over the target) with an owner-only mode; a device
 * or named pipe (`/dev/null`, `/dev/stdout`) is written in place (`writtenInPlace`).
 */
export class OutputFile {
  readonly path: string;

  constructor(
    path: string,
    private readonly mode: number,
    /** Files `-o` must never replace: the database and the config in use. */
    protectedFiles: readonly string[],
  ) {
    this.path = resolve(path);
    const refuse = (why: string) => new UsageError(`-o ${path}: ${why}`);
    if (protectedFiles.some((p) => resolve(p) === this.path)) {
      throw refuse('is the database or config file in use; choose another output file');
    }
    if (existsSync(this.path)) {
      const stat = statSync(this.path);
      if (stat.isDirectory()) throw refuse('is a directory');
      if (!stat.isFile()) {
        // Written in place (write-file-atomically.ts): its folder need not be writable.
        try {
          accessSync(this.path, constants.W_OK);
        } catch {
          throw refuse('is not writable');
        }
        return;
      }
      if (startsWithSqliteHeader(this.path)) throw refuse('is a SQLite database; choose another output file');
      try {
        accessSync(this.path, constants.W_OK);
      } catch {
        throw refuse('is not writable');
      }
    }
    const dir = dirname(this.path);
    if (!existsSync(dir)) throw refuse(`folder ${dir} does not exist`);
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch {
      throw refuse(`folder ${dir} is not writable`);
    }
  }

  write(text: string): void {
    try {
      writeFileAtomically(this.path, text, this.mode);
    } catch (err) {
      throw this.cannotWrite(err);
    }
  }

  /**
   * Writes `chunks` as they come, with backpressure, to a temporary file renamed over the target when
   * all is written: a failure part-way leaves the previous file untouched and no temporary file.
   */
  async writeStream(chunks: AsyncIterable<string>): Promise<void> {
    try {
      await writeStreamAtomically(this.path, this.mode, (out) => writeChunks(out, chunks));
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw this.cannotWrite(err);
    }
  }

  private cannotWrite(err: unknown): UsageError {
    return new UsageError(`-o ${this.path}: cannot write the output: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Output is gathered into writes of about this size (fewer system calls than one per finding). */
const WRITE_SIZE = 64 * 1024;

/** Writes `chunks` to `out`, waiting for 'drain' whenever it buffers more than its high-water mark. */
export async function writeChunks(out: NodeJS.WritableStream, chunks: AsyncIterable<string>): Promise<void> {
  let pending = '';
  let failure: unknown = null;
  const onError = (err: unknown) => {
    failure = err;
  };
  out.on('error', onError);
  const flush = async () => {
    if (failure) throw failure;
    const text = pending;
    pending = '';
    if (!out.write(text)) {
      await new Promise<void>((done, fail) => {
        const onDrain = () => {
          out.off('error', onFail);
          done();
        };
        const onFail = (err: unknown) => {
          out.off('drain', onDrain);
          fail(err);
        };
        out.once('drain', onDrain);
        out.once('error', onFail);
      });
    }
  };
  try {
    for await (const chunk of chunks) {
      pending += chunk;
      if (pending.length >= WRITE_SIZE) await flush();
    }
    if (pending) await flush();
    if (failure) throw failure;
  } finally {
    out.off('error', onError);
  }
}
