import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { ExchangeRequest, StoredAnswer } from '../connector/http.js';
import { redactSecrets, scrubText } from '../log/redact.js';

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
  const redacted = JSON.stringify(redactSecrets(parsed));
  if (scrubText(redacted) !== redacted) return null;
  const same = redacted === JSON.stringify(parsed);
  return { ...answer, body: same ? answer.body : redacted };
}

/** Appends to a journal file (created 0600, header first). */
export class JournalWriter {
  private fd: number | null;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** A new journal at `file` starting with `header`, then `carried` lines (a resumed attempt's). */
  static create(file: string, header: JournalHeader, carried: readonly JournalEntry[] = []): JournalWriter {
    const fd = openSync(file, 'w', 0o600);
    const writer = new JournalWriter(fd);
    writer.line(header);
    for (const entry of carried) writer.line(entry);
    return writer;
  }

  append(entry: JournalEntry): void {
    this.line(entry);
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

export interface ReadJournal {
  header: JournalHeader;
  entries: JournalEntry[];
  /** Lines dropped at the end (a line cut off by a kill). */
  dropped: number;
}

/** Reads a journal; a cut-off or garbled tail is dropped, the prefix before it kept. Null if unusable. */
export function readJournal(file: string): ReadJournal | null {
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  let header: JournalHeader | null = null;
  const entries: JournalEntry[] = [];
  let i = 0;
  for (; i < lines.length; i++) {
    let value: unknown;
    try {
      value = JSON.parse(lines[i]!);
    } catch {
      break;
    }
    if (i === 0) {
      const h = value as Partial<JournalHeader>;
      if (h?.kind !== 'grantscope-response-journal' || h.version !== 1) return null;
      header = h as JournalHeader;
      continue;
    }
    const e = value as Partial<JournalEntry>;
    if (typeof e?.url !== 'string' || typeof e.answer?.body !== 'string') break;
    entries.push(e as JournalEntry);
  }
  if (!header) return null;
  return { header, entries, dropped: lines.length - i };
}
