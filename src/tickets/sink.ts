import type { Severity } from '../findings/finding.js';

/**
 * The contract between the ticket lifecycle (which decides what to do) and a ticketing sink (which
 * does it on one system: Jira, GitHub Issues, ServiceNow, a webhook). A sink knows its API and
 * nothing about findings, rules or the store; the lifecycle knows no API. A fourth system arrives as
 * one more `TicketSink`.
 */

/** The neutral body of a ticket or comment, rendered by each sink (Jira ADF, Markdown, plain text). */
export type TicketBlock =
  | { kind: 'paragraph'; text: string }
  | { kind: 'heading'; text: string }
  | { kind: 'bullets'; items: string[] }
  /** A table of label/value rows: evidence, owner, approval. */
  | { kind: 'facts'; rows: { label: string; value: string }[] }
  | { kind: 'link'; text: string; url: string }
  | { kind: 'code'; text: string };

export interface TicketDocument {
  blocks: TicketBlock[];
}

/** What a ticket says: everything is already redacted and safe to send (no secrets). */
export interface TicketContent {
  /** One line; sinks truncate to their own limit. */
  title: string;
  body: TicketDocument;
  /** The highest severity among the ticket's findings, mapped to a priority by the sink's config. */
  severity: Severity;
  labels: string[];
  /**
   * The lifecycle's key for this ticket: a finding fingerprint, or a group key (identity or owner)
   * when the sink groups findings. Sinks that can store it on the ticket (a label, a hidden field)
   * do, so a lost local state can be rebuilt by searching the sink.
   */
  key: string;
  /** The fingerprints the ticket covers. */
  fingerprints: string[];
}

/** A ticket as the sink knows it. `id` is what the sink's API addresses (Jira key, issue number, sys_id). */
export interface TicketRef {
  id: string;
  /** A link for people, when the sink has one. */
  url: string | null;
}

/** Why the lifecycle closes a ticket. */
export type TicketCloseReason = 'resolved' | 'excepted';

/** What the sink says about a ticket it was asked about. */
export type RemoteTicketState = 'open' | 'closed' | 'missing';

export interface TicketSink {
  /** The sink's name in grantscope.yaml (`tickets.sinks[].name`). */
  readonly name: string;
  /** The kind of system: 'jira', 'github-issues', 'servicenow', 'webhook'. */
  readonly kind: string;
  /**
   * Whether the sink can tell the state of a ticket (a webhook cannot: it only receives events).
   * When false, the lifecycle trusts its own state and never expects `state` to be called.
   */
  readonly canReadState: boolean;
  /**
   * Optional (added after the first contract): HTTP requests made so far, retries and pages included,
   * when the sink counts them: what a sync costs. Otherwise a sync counts one per call.
   */
  readonly requests?: number;
  open(content: TicketContent): Promise<TicketRef>;
  /** Adds a comment (the change in severity or evidence). */
  comment(ref: TicketRef, comment: TicketDocument): Promise<void>;
  /**
   * Closes (resolves) the ticket with a comment saying why. `reason` (optional, added for the webhook's
   * event names) tells a resolved finding from one accepted by an exception.
   */
  close(ref: TicketRef, comment: TicketDocument, reason?: TicketCloseReason): Promise<void>;
  /** Reopens a ticket the lifecycle closed, with a comment saying why. */
  reopen(ref: TicketRef, comment: TicketDocument): Promise<void>;
  /** The ticket's state on the sink: noticed when a person closed or deleted it by hand. */
  state(ref: TicketRef): Promise<RemoteTicketState>;
  /**
   * Optional (added after the first contract): the states of many tickets in few requests, by
   * `TicketRef.id` (Jira: one JQL search per page of keys). An id absent from the answer is `missing`.
   * When present, a sync reads states through it instead of one `state` call per ticket.
   */
  states?(refs: readonly TicketRef[]): Promise<Map<string, RemoteTicketState>>;
}

/** A sink's failure, with what was being done, for the sync's report and exit code. */
export class TicketSinkError extends Error {
  constructor(
    readonly sink: string,
    readonly operation: 'open' | 'comment' | 'close' | 'reopen' | 'state' | 'search' | 'send',
    message: string,
    readonly status: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(
      `ticket sink ${JSON.stringify(sink)}: ${operation} failed${status ? ` (HTTP ${status})` : ''}: ${message}`,
      options,
    );
    this.name = 'TicketSinkError';
  }
}

/** One finding in a digest: what was last sent of it (titles are already made safe and cut). */
export interface DigestEntry {
  fingerprint: string;
  title: string;
  severity: Severity;
  /** For `changed`: the severity before, when it changed (else the evidence changed). */
  previousSeverity?: Severity;
}

/**
 * What one sync changed, for sinks that post a summary instead of keeping tickets (a chat channel).
 * Built from the same plan as tickets, so a digest reports a finding as new once, and as resolved once.
 */
export interface SyncDigest {
  sink: string;
  scanId: number;
  /** Findings that got a ticket (or joined one) in this sync. */
  opened: DigestEntry[];
  /** Findings that came back after being resolved. */
  reopened: DigestEntry[];
  /** Findings whose severity or evidence changed. */
  changed: DigestEntry[];
  /** Findings gone from a complete scan (or now below the sink's threshold). */
  resolved: DigestEntry[];
  /** Findings accepted by an exception. */
  excepted: DigestEntry[];
  /** Findings still open for this sink after the sync (the digest's "N open" line). */
  open: number;
}

/**
 * A sink that receives one digest per sync (Slack incoming webhooks) rather than per-ticket calls.
 * It cannot be asked about anything, so the lifecycle keeps the state, as for a webhook. A digest
 * that fails to send leaves every change pending: the next sync reports it again, nothing is lost.
 */
export interface DigestSink {
  readonly name: string;
  readonly kind: string;
  readonly delivery: 'digest';
  /** HTTP requests made so far (retries included). */
  readonly requests?: number;
  send(digest: SyncDigest): Promise<void>;
}

/** Either kind of sink a sink type builds. */
export type AnySink = TicketSink | DigestSink;

export function isDigestSink(sink: AnySink): sink is DigestSink {
  return (sink as DigestSink).delivery === 'digest';
}
