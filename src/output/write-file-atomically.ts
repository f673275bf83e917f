import { randomBytes } from 'node:crypto';
import { chmodSync, createWriteStream, renameSync, rmSync, type WriteStream, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A temporary name beside `path` (same folder, so the rename is atomic), hidden and unique. */
export function tempPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes `text` to `path` through a temporary file in the same folder renamed over it: a reader sees
 * the old file or the new one, never half of one, and a failure leaves no temporary file behind.
 */
export function writeFileAtomically(path: string, text: string, mode: number): void {
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

/**
 * The streamed form of `writeFileAtomically`: `write` fills the temporary file (and may end it, as a
 * `pipeline` does); it is then closed, set to `mode` and renamed over `path`. On failure the temporary
 * file is removed and `path` is untouched.
 */
export async function writeStreamAtomically(
  path: string,
  mode: number,
  write: (out: WriteStream) => Promise<void>,
): Promise<void> {
  const temp = tempPathBeside(path);
  const out = createWriteStream(temp, { mode, flags: 'wx' });
  try {
    await write(out);
    if (!out.closed)
      await new Promise<void>((done, fail) => {
        out.once('error', fail);
        out.once('close', done);
        out.end();
      });
    chmodSync(temp, mode);
    renameSync(temp, path);
  } catch (err) {
    out.destroy();
    rmSync(temp, { force: true });
    throw err;
  }
}
