import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputFile } from './output-file.js';

/**
 * A named pipe in a fresh folder, and everything a reader gets from it until the writer closes it. The
 * reader is another process: a pipe opens once both ends do, and a synchronous write blocks this thread.
 */
function pipe() {
  const path = join(mkdtempSync(join(tmpdir(), 'gs-output-pipe-')), 'out.fifo');
  execFileSync('mkfifo', [path]);
  const reader = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const received = new Promise<string>((done, fail) => {
    let text = '';
    reader.stdout.setEncoding('utf8').on('data', (c: string) => (text += c));
    reader.on('close', () => done(text)).on('error', fail);
  });
  return { path, received };
}

async function* chunks(n: number) {
  for (let i = 0; i < n; i++) yield `line ${i}\n`;
}

describe('-o FILE that is not a regular file (a device or a named pipe, as /dev/null is)', () => {
  it('streams into it in place: the pipe stays a pipe and its reader gets everything', async () => {
    const p = pipe();
    await new OutputFile(p.path, 0o600, []).writeStream(chunks(20_000));
    const text = await p.received;
    expect(text.split('\n')).toHaveLength(20_001);
    expect(text.startsWith('line 0\nline 1\n')).toBe(true);
    expect(statSync(p.path).isFIFO()).toBe(true);
  });

  it('writes a whole text into it in place', async () => {
    const p = pipe();
    new OutputFile(p.path, 0o600, []).write('{"ok":true}\n');
    expect(await p.received).toBe('{"ok":true}\n');
    expect(statSync(p.path).isFIFO()).toBe(true);
  });

  it('still replaces a regular file whole, owner-only', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gs-output-file-')), 'out.txt');
    writeFileSync(path, 'old', { mode: 0o644 });
    await new OutputFile(path, 0o600, []).writeStream(chunks(3));
    expect(readFileSync(path, 'utf8')).toBe('line 0\nline 1\nline 2\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
