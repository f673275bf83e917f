import { describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { InlineJournalSink } from './journal-sink.js';
import type { JournalEntry, ReceivedAnswer } from './response-journal.js';

const entry = (url: string, body: string): JournalEntry => ({
  source: 'p:t',
  method: 'GET',
  url,
  bodyHash: null,
  occurrence: 0,
  answer: { status: 200, headers: { 'content-type': 'application/json' }, body },
});

const received = (...entries: JournalEntry[]): ReceivedAnswer[] =>
  entries.map((e) => ({ entry: e, kept: false }));

describe('InlineJournalSink', () => {
  it('writes what journalable keeps, in order, and drops what it does not', async () => {
    const lines: JournalEntry[] = [];
    const sink = new InlineJournalSink({ append: (e) => lines.push(e) }, '/db.journal/3.ndjson');
    sink.write(received(entry('https://x/a', '{"a":1}'), entry('https://x/b', 'not json')));
    sink.write(received(entry('https://x/c', '{"c":[1]}')));
    await sink.close();
    expect(lines.map((l) => [l.url, l.answer.body])).toEqual([
      ['https://x/a', '{"a":1}'],
      ['https://x/c', '{"c":[1]}'],
    ]);
  });

  it('stops at the first failure to write and reports it when drained, naming the journal', async () => {
    const urls: string[] = [];
    const sink = new InlineJournalSink(
      {
        append: (e) => {
          if (e.url.endsWith('/b')) throw new Error('ENOSPC: no space left on device');
          urls.push(e.url);
        },
      },
      '/db.journal/3.ndjson',
    );
    // Called from a timer in a scan: it must not throw there.
    expect(() => sink.write(received(entry('https://x/a', '{}'), entry('https://x/b', '{}')))).not.toThrow();
    sink.write(received(entry('https://x/c', '{}')));
    const failure = await sink.drain().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as Error).message).toBe(
      '/db.journal/3.ndjson: cannot write the response journal: ENOSPC: no space left on device',
    );
    await expect(sink.close()).rejects.toThrow(/ENOSPC/);
    expect(urls).toEqual(['https://x/a']);
  });
});
