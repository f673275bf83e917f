import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ConfiguredConnector } from '../config/config.js';
import type { ExchangeRequest, HttpExchange, StoredAnswer } from '../connector/http.js';
import type { Logger } from '../log/logger.js';
import type { ScanStatus, SnapshotStore } from '../store/store.js';
import { InlineJournalSink, type JournalSink, journalSink } from './journal-sink.js';
import { eachLine, LineReader, type LineRef } from './ndjson-index.js';
import {
  type JournalEntry,
  type JournalSource,
  JournalWriter,
  type ReadJournal,
  type ReceivedAnswer,
  readJournal,
  requestKey,
} from './response-journal.js';

/**
 * A scan's answers outside the database, in `<database>.journal/`:
 * - `<scanId>.ndjson`: the response journal of a scan attempt (see response-journal.ts). Deleted when
 *   the scan completes; kept when it fails or ends incomplete, for `grantscope scan --resume`.
 * - `validators/<source>.ndjson`: for each source, the GET answers of its last complete scan that
 *   carried an `ETag`. The next scan sends them as `If-None-Match`; a `304 Not Modified` is answered
 *   with the body kept here (GitHub: a 304 "does not count against your primary rate limit", docs
 *   "Best practices for using the REST API", "Use conditional requests if appropriate").
 */

export function journalSources(connectors: readonly ConfiguredConnector[]): JournalSource[] {
  return connectors.map((cc) => ({
    source: `${cc.connector.platform}:${cc.tenant}`,
    connector: cc.connector.id,
    config: createHash('sha256')
      .update(JSON.stringify(cc.config ?? null))
      .digest('hex'),
  }));
}

/** The scan attempt a `--resume` continues. */
export interface ResumePlan {
  scanId: number;
  journal: ReadJournal;
  /** How this scan's sources differ from the attempt's (empty when they are the same). */
  differences: string[];
}

/**
 * The newest scan attempt that did not complete (failed, killed, interrupted or incomplete) and left
 * a readable journal, or null. A scan still running in another process is not resumable.
 */
export async function findResumable(
  store: SnapshotStore,
  dir: string,
  sources: readonly JournalSource[],
): Promise<ResumePlan | null> {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return null;
  }
  const ids = files
    .map((f) => /^(\d+)\.ndjson$/.exec(f)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number)
    .sort((a, b) => b - a);
  const unfinished = new Map(
    (await store.listScans({ status: ['failed', 'incomplete'] })).map((s) => [s.id, s.startedAt]),
  );
  for (const id of ids) {
    const startedAt = unfinished.get(id);
    if (startedAt === undefined) continue;
    const journal = readJournal(join(dir, `${id}.ndjson`));
    if (!journal) continue;
    // The same scan, not a scan that reuses its id in a database made again since (ids restart).
    if (!sameScanStart(journal.header.startedAt, startedAt)) continue;
    return { scanId: id, journal, differences: sourceDifferences(journal.header.sources, sources) };
  }
  return null;
}

/**
 * Whether a journal's start time is its scan's: equal since they are written from one clock reading;
 * journals of earlier versions read the clock twice, a moment apart.
 */
function sameScanStart(journal: string, scan: string): boolean {
  return Math.abs(Date.parse(journal) - Date.parse(scan)) < 60_000;
}

function sourceDifferences(before: readonly JournalSource[], now: readonly JournalSource[]): string[] {
  const out: string[] = [];
  const then = new Map(before.map((s) => [s.source, s]));
  const current = new Map(now.map((s) => [s.source, s]));
  for (const s of now) {
    const old = then.get(s.source);
    if (!old) out.push(`${s.source} was not in it`);
    else if (old.config !== s.config || old.connector !== s.connector)
      out.push(`${s.source}: its configuration changed`);
  }
  for (const s of before) if (!current.has(s.source)) out.push(`${s.source} is not scanned now`);
  return out;
}

export interface ScanJournalOptions {
  /** `<database>.journal`. */
  dir: string;
  /** The attempt to resume, or null. */
  resume: ResumePlan | null;
}

/** What the journal did for one scan. */
export interface ScanJournalSummary {
  resumeOf: number | null;
  /** Answers the resumed attempt had journaled. */
  journaled: number;
  /** Of those, answered from the journal in this scan (nothing sent). */
  replayed: number;
  /** Data requests sent to the network. */
  sent: number;
  /** Of those, conditional requests answered `304 Not Modified` (served from the validator cache). */
  notModified: number;
}

const VALIDATORS = 'validators';

function validatorFile(dir: string, source: string): string {
  return join(dir, VALIDATORS, `${encodeURIComponent(source)}.ndjson`);
}

/**
 * A source's validator cache: URL → the ETag and where the answer that carried it lies in the file.
 * Only the index is held; an answer is read from the file when a 304 asks for it.
 */
class Validators {
  private constructor(
    private readonly reader: LineReader | null,
    private readonly byUrl: Map<string, { etag: string; ref: LineRef }>,
  ) {}

  static read(file: string): Validators {
    if (!existsSync(file)) return new Validators(null, new Map());
    const byUrl = new Map<string, { etag: string; ref: LineRef }>();
    eachLine(file, (line, ref) => {
      if (line === '') return true;
      let v: { url?: unknown; answer?: StoredAnswer };
      try {
        v = JSON.parse(line);
      } catch {
        return false;
      }
      const etag = v.answer?.headers?.etag;
      if (typeof v.url === 'string' && typeof v.answer?.body === 'string' && etag)
        byUrl.set(v.url, { etag, ref });
      return true;
    });
    return new Validators(new LineReader(file), byUrl);
  }

  etag(url: string): string | undefined {
    return this.byUrl.get(url)?.etag;
  }

  answer(url: string): StoredAnswer | undefined {
    const hit = this.byUrl.get(url);
    if (!hit || !this.reader) return undefined;
    return (JSON.parse(this.reader.read(hit.ref)) as { answer: StoredAnswer }).answer;
  }

  close(): void {
    this.reader?.close();
  }
}

/**
 * One scan's journal: records the answers it gets, replays a resumed attempt's, revalidates the last
 * complete scan's. Create with {@link ScanJournal.open} once the scan has its id.
 */
export class ScanJournal {
  private readonly occurrences = new Map<string, number>();
  private readonly counts = { replayed: 0, sent: 0, notModified: 0 };
  /** Whether the journal may hold an ETag-carrying GET answer (else finish need not read it back). */
  private carriesEtags: boolean;
  /**
   * Answers not yet written, in the order they came (see `after`): written a moment later, or at close.
   * `kept`: the answer may be written as it is (a cached answer a 304 confirmed); else it is checked
   * by `journalable` first.
   */
  private unwritten: ReceivedAnswer[] = [];
  private writeScheduled = false;
  /** Where the answers are checked and written: a thread of its own, when the build has it. */
  private readonly sink: JournalSink;

  private constructor(
    private readonly dir: string,
    private readonly scanId: number,
    private readonly file: string,
    private readonly writer: JournalWriter,
    private readonly plan: ResumePlan | null,
    private readonly validators: Map<string, Validators>,
    private readonly logger: Logger,
  ) {
    // A resumed attempt's lines are copied in unread: they may carry ETags.
    this.carriesEtags = plan !== null;
    const fd = writer.descriptor;
    this.sink = fd === null ? new InlineJournalSink(writer, file) : journalSink(writer, fd, file);
  }

  static async open(
    options: ScanJournalOptions,
    scan: { scanId: number; startedAt: string; sources: JournalSource[] },
    logger: Logger,
  ): Promise<ScanJournal> {
    mkdirSync(join(options.dir, VALIDATORS), { recursive: true, mode: 0o700 });
    const file = join(options.dir, `${scan.scanId}.ndjson`);
    const plan = options.resume;
    // The resumed attempt's answers are carried into this one's journal first: if this attempt is
    // cut off too, the next resume still has them.
    const writer = JournalWriter.create(
      file,
      {
        kind: 'grantscope-response-journal',
        version: 1,
        scanId: scan.scanId,
        resumeOf: plan?.scanId ?? null,
        startedAt: scan.startedAt,
        sources: scan.sources,
      },
      plan?.journal ?? null,
    );
    if (plan) rmSync(join(options.dir, `${plan.scanId}.ndjson`), { force: true });
    const validators = new Map<string, Validators>();
    for (const s of scan.sources)
      validators.set(s.source, Validators.read(validatorFile(options.dir, s.source)));
    return new ScanJournal(options.dir, scan.scanId, file, writer, plan, validators, logger);
  }

  /** The exchange hook for one source's HTTP policy. */
  exchangeFor(source: string): HttpExchange {
    const cached = this.validators.get(source);
    const occurrenceOf = new WeakMap<ExchangeRequest, number>();
    return {
      before: (request) => {
        const key = requestKey(source, request);
        const occurrence = this.occurrences.get(key) ?? 0;
        this.occurrences.set(key, occurrence + 1);
        occurrenceOf.set(request, occurrence);
        const journaled = this.plan?.journal.lookup(key, occurrence);
        if (journaled) {
          this.counts.replayed += 1;
          return { answer: journaled.answer };
        }
        this.counts.sent += 1;
        const etag = request.method === 'GET' ? cached?.etag(request.url) : undefined;
        return etag ? { headers: { 'if-none-match': etag } } : null;
      },
      after: (request, received) => {
        const occurrence = occurrenceOf.get(request) ?? 0;
        occurrenceOf.delete(request);
        const entry = {
          source,
          method: request.method,
          url: request.url,
          bodyHash: request.bodyHash,
          occurrence,
        };
        // Checked and written once the answer's reader has had it: a list then asks for its next page
        // before this (a scan of megabytes of pages spends much of its CPU here) comes first.
        if (received.status !== 304) {
          this.unwritten.push({ entry: { ...entry, answer: received }, kept: false });
          this.scheduleWrite();
          return null;
        }
        const answer = cached?.answer(request.url) ?? null;
        if (!answer) return null;
        this.counts.notModified += 1;
        this.unwritten.push({ entry: { ...entry, answer }, kept: true });
        this.scheduleWrite();
        return answer;
      },
    };
  }

  private scheduleWrite(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    setImmediate(() => this.writeReceived());
  }

  /** Hands the answers received so far to the sink, which writes them as `journalable` lets them be kept. */
  private writeReceived(): void {
    this.writeScheduled = false;
    const received = this.unwritten;
    this.unwritten = [];
    // Whether one is written is the sink's to decide: one that may be is enough to read the journal back.
    for (const { entry } of received)
      if (entry.method === 'GET' && entry.answer.headers.etag) this.carriesEtags = true;
    this.sink.write(received);
  }

  summary(): ScanJournalSummary {
    return {
      resumeOf: this.plan?.scanId ?? null,
      journaled: this.plan?.journal.count ?? 0,
      ...this.counts,
    };
  }

  /**
   * The scan ended with `status`. Complete: each source's ETag-carrying answers become its validator
   * cache and the journals of this and earlier attempts are deleted. Otherwise the journal stays, for
   * `--resume`.
   */
  async finish(status: ScanStatus): Promise<void> {
    this.writeReceived();
    try {
      await this.sink.close();
    } finally {
      this.writer.close();
      this.release();
    }
    const s = this.summary();
    if (s.resumeOf !== null) {
      this.logger.warn(`resumed scan #${s.resumeOf}`, {
        replayed: `${s.replayed} of ${s.journaled} journaled answers`,
        sent: s.sent,
      });
    }
    if (status !== 'complete') return;
    // Each source's ETag-carrying answers are copied line by line into its new validator file.
    const out = new Map<string, { tmp: string; file: string; fd: number }>();
    try {
      for (const source of this.validators.keys()) {
        const file = validatorFile(this.dir, source);
        const tmp = `${file}.${process.pid}.tmp`;
        out.set(source, { tmp, file, fd: openSync(tmp, 'w', 0o600) });
      }
      // Graph's lists carry no ETag, say: then every validator file is emptied without reading the
      // journal (megabytes of answers) back.
      if (this.carriesEtags)
        eachLine(this.file, (line) => {
          let e: Partial<JournalEntry>;
          try {
            e = JSON.parse(line);
          } catch {
            return false;
          }
          if (e.method !== 'GET' || !e.answer?.headers?.etag || typeof e.source !== 'string') return true;
          const target = out.get(e.source);
          if (target) writeSync(target.fd, `${JSON.stringify({ url: e.url, answer: e.answer })}\n`);
          return true;
        });
    } finally {
      for (const t of out.values()) closeSync(t.fd);
    }
    for (const t of out.values()) renameSync(t.tmp, t.file);
    for (const f of readdirSync(this.dir)) {
      const id = /^(\d+)\.ndjson$/.exec(f)?.[1];
      if (id !== undefined && Number(id) <= this.scanId) rmSync(join(this.dir, f), { force: true });
    }
  }

  /**
   * The scan stopped (interrupt, crash): the journal stays for `--resume`, with what could be written
   * of it (a resume asks again for what is not there).
   */
  async close(): Promise<void> {
    this.writeReceived();
    try {
      await this.sink.close();
    } catch {
      // The scan's own failure is what the caller reports.
    } finally {
      this.writer.close();
      this.release();
    }
  }

  private release(): void {
    this.plan?.journal.close();
    for (const v of this.validators.values()) v.close();
  }
}
