import { randomBytes } from 'node:crypto';
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
