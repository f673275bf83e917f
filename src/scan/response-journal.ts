import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import type { ExchangeRequest, StoredAnswer } from '../connector/http.js';
import { hasSecretFields, redactSecrets, scrubText } from '../log/redact.js';
import { eachLine, LineReader, type LineRef } from './ndjson-index.js';

/**
 * The response journal of one scan attempt: every data answer the scan received, one JSON line each,
 * appended as it arrives, so that a scan cut off part-way (kill -9, Ctrl-C, a spent quota) can be
 * resumed without asking again. A line is written with one `write(2)`: a process killed at any point
 * leaves whole lines and at most one cut-off last line, which reading drops. The file is created
 * owner-only (0600): it holds what the APIs answered (secrets redacted, as in the database).
 */

/** First line of a journal: which scan wrote it and what it scanned. */
export interface JournalHeader {
  kind: 'grantscope-response-journal';
  version: 1;
  scanId: number;
  /** The attempt this one resumed (its answers are copied in first), or null. */
  resumeOf: number | null;
  startedAt: string;
  /** Each scanned source with a fingerprint of its connector configuration. */
  sources: JournalSource[];
}

export interface JournalSource {
  /** `platform:tenant`. */
  source: string;
  connector: string;
  /** SHA-256 of the connector's configuration (never the configuration itself). */
  config: string;
}

/** One journaled answer. */
export interface JournalEntry {
  source: string;
  method: string;
  url: string;
  bodyHash: string | null;
  /** 0 for the first time this scan sent this exact request, 1 for the second, … */
  occurrence: number;
  answer: StoredAnswer;
}

/** The key of a request, as journal entries are looked up. */
export function requestKey(source: string, request: ExchangeRequest): string {
  return `${source}\u0000${request.method}\u0000${request.url}\u0000${request.bodyHash ?? ''}`;
}

/**
 * The answer as it may be written down: its body with secret-named fields redacted (what the
 * database would hold anyway), or null when it must not be kept at all: not JSON, a secret in its
 * URL, or free text that looks like a credential (dropped rather than altered, so a replay never
 * differs from what the API said).
 */
export function journalable(url: string, answer: StoredAnswer): StoredAnswer | null {
  if (scrubText(url) !== url) return null;
  if (answer.status === 304) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return null;
  }
  if (hasSecretFields(parsed)) {
    const redacted = JSON.stringify(redactSecrets(parsed));
    return scrubText(redacted) === redacted ? { ...answer, body: redacted } : null;
  }
  // Nothing to redact: the body is kept as it came, and checked as it will be written. A body with
  // escapes is checked as parsed text too, so that an escaped credential is not missed.
  if (scrubText(answer.body) !== answer.body) return null;
  if (answer.body.includes('\\')) {
    const text = JSON.stringify(parsed);
    if (scrubText(text) !== text) return null;
  }
  return answer;
}

/** An answer received, to be journaled; `kept`: written as it is (a cached answer a 304 confirmed). */
export interface ReceivedAnswer {
  entry: JournalEntry;
  kept: boolean;
}

/** Writes each received answer as `journalable` lets it be kept (a `kept` one as it is). */
export function appendReceived(
  writer: Pick<JournalWriter, 'append'>,
  received: readonly ReceivedAnswer[],
): void {
  for (const { entry, kept } of received) {
    const answer = kept ? entry.answer : journalable(entry.url, entry.answer);
    if (answer) writer.append(answer === entry.answer ? entry : { ...entry, answer });
  }
}

/** Appends to a journal file (created 0600, header first). */
export class JournalWriter {
  private fd: number | null;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /**
   * Appends to a journal another writer created and will close (`fd` is the process's: a worker
   * thread appends to the journal its scan opened). Never closes `fd`.
   */
  static appendingTo(fd: number): Pick<JournalWriter, 'append'> {
    return new JournalWriter(fd);
  }

  /**
   * A new journal at `file` starting with `header`, then a resumed attempt's entry lines, copied as
   * bytes (they are not held in memory). The resumed journal then reads its entries from this file.
   */
  static create(file: string, header: JournalHeader, carried: ReadJournal | null = null): JournalWriter {
    const fd = openSync(file, 'w', 0o600);
    const writer = new JournalWriter(fd);
    const head = `${JSON.stringify(header)}\n`;
    writeSync(fd, head);
    carried?.moveInto(file, fd, Buffer.byteLength(head));
    return writer;
  }

  append(entry: JournalEntry): void {
    this.line(entry);
  }

  /** The open file's descriptor (another thread may append through it until this writer closes). */
  get descriptor(): number | null {
    return this.fd;
  }

  private line(value: unknown): void {
    if (this.fd === null) return;
    writeSync(this.fd, `${JSON.stringify(value)}\n`);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * A journal read back: its header, and where each entry line lies in the file (by request key and
 * occurrence), so that a resume of a scan of GBs holds only the index and reads an answer when asked.
 */
export class ReadJournal {
  private reader: LineReader;
  private shift = 0;

  constructor(
    file: string,
    readonly header: JournalHeader,
    private readonly index: Map<string, LineRef>,
    private readonly range: { start: number; end: number },
    /** Whole entry lines. */
    readonly count: number,
    /** Lines dropped at the end (a line cut off by a kill, or garbled). */
    readonly dropped: number,
  ) {
    this.reader = new LineReader(file);
  }

  /** The answer journaled for this request key's `occurrence`-th sending, if any. */
  lookup(key: string, occurrence: number): JournalEntry | undefined {
    const ref = this.index.get(`${key}\u0000${occurrence}`);
    if (!ref) return undefined;
    return JSON.parse(
      this.reader.read({ offset: ref.offset + this.shift, length: ref.length }),
    ) as JournalEntry;
  }

  /** Every entry, in file order (read one at a time). */
  *entries(): Generator<JournalEntry> {
    const refs = [...this.index.values()].sort((a, b) => a.offset - b.offset);
    for (const ref of refs) {
      yield JSON.parse(
        this.reader.read({ offset: ref.offset + this.shift, length: ref.length }),
      ) as JournalEntry;
    }
  }

  /**
   * Copies the entry lines to `fd` (the journal `file` being written, at byte `at`), and reads them from
   * there from now on: the resumed attempt's file can then be deleted.
   */
  moveInto(file: string, fd: number, at: number): void {
    this.reader.copyRange(this.range.start + this.shift, this.range.end + this.shift, fd);
    this.reader.close();
    this.shift += at - (this.range.start + this.shift);
    this.reader = new LineReader(file);
  }

  close(): void {
    this.reader.close();
  }
}

/** Reads a journal; a cut-off or garbled tail is dropped, the prefix before it kept. Null if unusable. */
export function readJournal(file: string): ReadJournal | null {
  if (!existsSync(file)) return null;
  let header: JournalHeader | null = null;
  let bad = false;
  const index = new Map<string, LineRef>();
  const range = { start: 0, end: 0 };
  let count = 0;
  const skipped = eachLine(file, (line, ref) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return false;
    }
    if (header === null) {
      const h = value as Partial<JournalHeader>;
      if (h?.kind !== 'grantscope-response-journal' || h.version !== 1) {
        bad = true;
        return false;
      }
      header = h as JournalHeader;
      range.start = range.end = ref.offset + ref.length + 1;
      return true;
    }
    const e = value as Partial<JournalEntry>;
    if (typeof e?.url !== 'string' || typeof e.answer?.body !== 'string') return false;
    const entry = e as JournalEntry;
    index.set(`${requestKey(entry.source, entry)}\u0000${entry.occurrence}`, ref);
    range.end = ref.offset + ref.length + 1;
    count += 1;
    return true;
  });
  if (!header || bad) return null;
  // A line that failed to parse stopped the visit: it and every line after it are dropped, and so is
  // a cut-off last line (no newline), which eachLine never visits.
  const stoppedOn = skipped > 0 || lineAfter(file, range.end) ? 1 : 0;
  return new ReadJournal(file, header, index, range, count, skipped + stoppedOn);
}

/** Whether any byte follows `end` (a line that did not parse, or a cut-off tail). */
function lineAfter(file: string, end: number): boolean {
  const reader = new LineReader(file);
  try {
    reader.read({ offset: end, length: 1 });
    return true;
  } catch {
    return false;
  } finally {
    reader.close();
  }
}
