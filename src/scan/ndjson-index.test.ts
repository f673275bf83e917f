import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eachLine, LineReader, type LineRef } from './ndjson-index.js';

describe('NDJSON line index', () => {
  it('finds every whole line, also lines longer than the read chunk and multi-byte text, and reads them back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-ndjson-'));
    const file = join(dir, 'a.ndjson');
    const lines = ['{"a":1}', JSON.stringify({ big: 'x'.repeat(3 * 2 ** 20 + 7) }), '{"é":"ü€"}', '{"z":2}'];
    writeFileSync(file, `${lines.join('\n')}\n{"cut":`);
    const seen: Array<{ line: string; ref: LineRef }> = [];
    const skipped = eachLine(file, (line, ref) => {
      seen.push({ line, ref });
      return true;
    });
    expect(skipped).toBe(0);
    expect(seen.map((s) => s.line)).toEqual(lines);
    const reader = new LineReader(file);
    for (const s of seen) expect(reader.read(s.ref)).toBe(s.line);
    // Bytes of lines 2..3 copied elsewhere are those lines exactly.
    const copy = join(dir, 'b.ndjson');
    const fd = openSync(copy, 'w');
    reader.copyRange(seen[2]!.ref.offset, seen[3]!.ref.offset + seen[3]!.ref.length + 1, fd);
    closeSync(fd);
    reader.close();
    expect(readFileSync(copy, 'utf8')).toBe(`${lines[2]}\n${lines[3]}\n`);
  });

  it('stops when asked and counts the whole lines it did not visit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-ndjson-'));
    const file = join(dir, 'a.ndjson');
    writeFileSync(file, '1\n2\nbad\n4\n5\n');
    const visited: string[] = [];
    const skipped = eachLine(file, (line) => {
      visited.push(line);
      return line !== 'bad';
    });
    expect(visited).toEqual(['1', '2', 'bad']);
    expect(skipped).toBe(2);
  });
});
