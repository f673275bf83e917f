import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STREAM_HIGH_WATER_MARK, writeStreamAtomically } from './write-file-atomically.js';

/**
 * A streamed output file takes a few of the CLI's 64 KiB writes before it asks the writer to wait for
 * 'drain', so that rendering the next part overlaps writing the last one (it asked at every write).
 */
describe('writeStreamAtomically: room for writes', () => {
  it('takes several 64 KiB writes without asking to wait, and writes them all', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gs-room-')), 'out.json');
    const part = 'x'.repeat(64 * 1024);
    const accepted: boolean[] = [];
    await writeStreamAtomically(path, 0o600, async (out) => {
      for (let i = 0; i < 4; i++) accepted.push(out.write(part));
    });
    expect(accepted).toEqual([true, true, true, true]);
    expect(STREAM_HIGH_WATER_MARK).toBeGreaterThan(4 * part.length);
    expect(readFileSync(path, 'utf8')).toBe(part.repeat(4));
  });
});
