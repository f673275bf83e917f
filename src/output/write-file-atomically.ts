import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  createWriteStream,
  renameSync,
  rmSync,
  statSync,
  type WriteStream,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A temporary name beside `path` (same folder, so the rename is atomic), hidden and unique. */
export function tempPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Whether `path` exists and is not a regular file (`/dev/null`, `/dev/stdout`, a named pipe): it is
 * written in place. Renaming over it would replace the device or pipe with a file (as root) or fail
 * (without write access to its folder), and it holds no previous content to keep.
 */
export function writtenInPlace(path: string): boolean {
  try {
    return !statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Writes `text` to `path` through a temporary file in the same folder renamed over it: a reader sees
 * the old file or the new one, never half of one, and a failure leaves no temporary file behind. A
 * device or pipe is written in place (`writtenInPlace`).
 */
export function writeFileAtomically(path: string, text: string, mode: number): void {
  if (writtenInPlace(path)) {
    writeFileSync(path, text);
    return;
  }
  const temp = tempPathBeside(path);
  try {
    writeFileSync(temp, text, { mode });
    // The umask can only take bits away; set exactly what was asked for.
    chmodSync(temp, mode);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Ends `out` (unless `write` did) and waits until it is closed. */
function closed(out: WriteStream): Promise<void> {
  if (out.closed) return Promise.resolve();
  return new Promise<void>((done, fail) => {
    out.once('error', fail);
    out.once('close', done);
    out.end();
  });
}

/**
 * What a streamed write buffers before it asks its writer to wait ('drain'). The default (16 KiB) is
 * less than one of the writes it is given (64 KiB, src/cli/output-file.ts), so the writer waited for
 * every write to reach the file before it rendered the next: a large report (25 MiB) spent hundreds
 * of such waits idle. With room for a few writes, rendering goes on while the file is written.
 */
export const STREAM_HIGH_WATER_MARK = 1024 * 1024;

/**
 * The streamed form of `writeFileAtomically`: `write` fills the temporary file (and may end it, as a
 * `pipeline` does); it is then closed, set to `mode` and renamed over `path`. On failure the temporary
 * file is removed and `path` is untouched. A device or pipe is written in place (`writtenInPlace`).
 */
export async function writeStreamAtomically(
  path: string,
  mode: number,
  write: (out: WriteStream) => Promise<void>,
): Promise<void> {
  if (writtenInPlace(path)) {
    const out = createWriteStream(path, { flags: 'w', highWaterMark: STREAM_HIGH_WATER_MARK });
    try {
      await write(out);
      await closed(out);
    } catch (err) {
      out.destroy();
      throw err;
    }
    return;
  }
  const temp = tempPathBeside(path);
  const out = createWriteStream(temp, { mode, flags: 'wx', highWaterMark: STREAM_HIGH_WATER_MARK });
  try {
    await write(out);
    await closed(out);
    chmodSync(temp, mode);
    renameSync(temp, path);
  } catch (err) {
    out.destroy();
    rmSync(temp, { force: true });
    throw err;
  }
}
