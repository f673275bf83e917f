import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { UsageError } from '../errors.js';
import { writeStreamAtomically } from '../output/write-file-atomically.js';
import type { PackFile } from './pack-files.js';

/** Every zip entry gets this date, so that the same files give the same zip. */
// Built from local fields on purpose: zip stores local DOS time, so any time zone writes 1980-01-01 00:00.
const ZIP_ENTRY_DATE = () => new Date(1980, 0, 1, 0, 0, 0);

/** Write the pack as a folder, owner-only; refuses a folder that already holds files. */
export function writePackFolder(files: readonly PackFile[], dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new UsageError(`--out ${dir}: is a file, not a folder; choose a new folder for the evidence pack`);
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new UsageError(`--out ${dir}: folder is not empty; choose a new folder for the evidence pack`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const f of files) {
      const path = join(dir, ...f.path.split('/'));
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, f.content, { mode: 0o600 });
    }
  } catch (err) {
    throw new UsageError(`--out ${dir}: cannot write the evidence pack: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Write the pack as a zip whose entries sit under `root/`, in the files' order, each dated
 * 1980-01-01 without the extended timestamp field: written atomically (temporary file, then renamed).
 */
export async function writePackZip(files: readonly PackFile[], zipPath: string, root: string): Promise<void> {
  if (!existsSync(dirname(zipPath)))
    throw new UsageError(`--zip ${zipPath}: folder ${dirname(zipPath)} does not exist`);
  const zip = new ZipFile();
  for (const f of files) {
    zip.addBuffer(f.content, `${root}/${f.path}`, {
      mtime: ZIP_ENTRY_DATE(),
      mode: 0o100600,
      forceDosTimestamp: true,
      compress: true,
    });
  }
  zip.end();
  try {
    await writeStreamAtomically(zipPath, 0o600, (out) => pipeline(zip.outputStream, out));
  } catch (err) {
    throw new UsageError(`--zip ${zipPath}: cannot write the zip: ${(err as Error).message}`, { cause: err });
  }
}
