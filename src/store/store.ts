import type { CollectorCoverage, CoverageReport } from '../connector/coverage.js';
import type { Finding, FindingDraft } from '../findings/finding.js';
import type { Severity } from '../findings/severity.js';
import type {
  Credential,
  Grant,
  Identity,
  ModelRecord,
  Person,
  RecordType,
  ScanRecord,
} from '../model/index.js';

export type ScanStatus = 'running' | 'complete' | 'incomplete' | 'failed';

export interface ScanSource {
  /** `${platform}:${tenant}`: the unit records are versioned in. */
  source: string;
  connector: string;
  platform: string;
  tenant: string;
  status: 'complete' | 'incomplete';
  requests: number;
  collectors: CollectorCoverage[];
}

export interface ScanSummary {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  status: ScanStatus;
  /** Free-form label (CLI args, demo phase). */
  label: string | null;
  toolVersion: string;
  /**
   * sha256 of the governance files in force for the scan (`Governance.hash`), so an auditor can see
   * which decisions applied to each snapshot; null when none was given.
   */
  governanceHash?: string | null;
  sources: ScanSource[];
  counts: { identities: number; grants: number; credentials: number };
}

/** What `SnapshotStore.latestScanOfEachSource` looks at: scans up to an id, some sources only. */
export interface SourceScanQuery {
  /** Only scans with an id at or below this one (the newest of each source as of that scan). */
  atOrBefore?: number;
  platform?: string;
  tenant?: string;
}

/** One source (`platform:tenant`) and the newest committed scan that covered it. */
export interface SourceScan {
  source: string;
  platform: string;
  tenant: string;
  scan: ScanSummary;
}

export interface BeginScanOptions {
  startedAt: string;
  toolVersion: string;
  label?: string | null;
  /** `Governance.hash` of the governance files in force, stored with the scan. */
  governanceHash?: string | null;
}

/**
 * A value a connector keeps for the next scan of its source (a Graph delta link, the time Reports were
 * last read). Never a secret. `value: null` forgets the key.
 */
export interface ConnectorStateWrite {
  /** `${platform}:${tenant}` */
  source: string;
  key: string;
  value: string | null;
}

/** A stored connector-state value and the scan that wrote it. */
export interface ConnectorStateValue {
  value: string;
  scanId: number;
}

/** An open scan. Nothing it writes is visible to readers until `complete()` commits. */
export interface ScanWriter {
  readonly scanId: number;
  /** Add records (already validated). Any order, any batch size. */
  write(records: readonly ScanRecord[]): Promise<void>;
  /**
   * Commit atomically. For each source in `coverage`: records not written this scan are closed
   * (ended) only when their collector's status is authoritative (`complete`/`skipped`); records of
   * collectors that failed or were unavailable are carried over unchanged. An incremental collector
   * (`incremental` in its coverage) closes only the records it names as removed. `state` is kept for
   * the next scan of its source, committed in the same transaction.
   */
  complete(
    coverage: readonly CoverageReport[],
    finishedAt: string,
    state?: readonly ConnectorStateWrite[],
  ): Promise<ScanSummary>;
  /** Give up: nothing is changed except the scan being recorded as failed with `reason`. */
  abort(reason: string, finishedAt: string): Promise<void>;
}

/** One record as stored: a version valid from scan `validFrom` until (excluding) `validTo`. */
export interface StoredRecord<R extends ModelRecord = ModelRecord> {
  source: string;
  key: string;
  hash: string;
  validFrom: number;
  validTo: number | null;
  record: R;
}

/** All records of one identity at a scan. `identity` is null if only grants/credentials reference it. */
export interface IdentityBundle {
  source: string;
  identityKey: string;
  identity: Identity | null;
  grants: Grant[];
  credentials: Credential[];
}

/** A record that differs between two scans: present in one only, or in both with different content. */
export interface RecordChange {
  type: RecordType;
  source: string;
  key: string;
  before: ModelRecord | null;
  after: ModelRecord | null;
}

/** A source's people at a scan (`SnapshotStore.peopleDirectories`). */
export interface PeopleDirectoryStatus {
  source: string;
  platform: string;
  tenant: string;
  /**
   * Whether the platform's people were listed completely at that scan: then someone missing from
   * them is gone (deleted, no longer a member). Otherwise missing means unknown.
   */
  complete: boolean;
  people: number;
}

export interface SnapshotFilter {
  platform?: string;
  tenant?: string;
  /** Identity kinds to include. */
  kinds?: string[];
}

/** What `readSnapshot` reads: a source, identity kinds, and the record types a reader needs. */
export interface SnapshotReadFilter extends SnapshotFilter {
  /**
   * Record types to read (default all). A reader that needs only grants, say, skips parsing the
   * rest; a bundle then holds only those (identity null when identities are not read).
   */
  types?: RecordType[];
  /**
   * Collectors whose records to read (a record's `collector`; default all). A reader that needs one
   * collector's records, say, skips reading the rest; a bundle then holds only those.
   */
  collectors?: string[];
  /**
   * The top-level record fields a reader uses (default all; `type` is always read). The store may leave
   * the others out, which saves parsing them (a carried collector needs one field of each of thousands of
   * records): each record then holds these fields only, as stored (a field the record lacks stays absent),
   * and a bundle's grants and credentials come in no particular order.
   */
  fields?: string[];
  /**
   * Per source (`platform:tenant`), the identity keys (`kind:nativeId`) to read: only their bundles come
   * (a rescan that carries the findings of the others, src/analysis/findings-reuse.ts). A source not in
   * the map is read whole.
   */
  identities?: ReadonlyMap<string, readonly string[]>;
}

/** What `recordFindings` did: each finding counted once, by what recording it cost. */
export interface FindingsRecorded {
  /** Distinct fingerprints recorded. */
  total: number;
  /** Not in the store before. */
  added: number;
  /** Stored before with other content (severity, evidence, ...): rewritten. */
  changed: number;
  /** Same content as stored: only the last-seen scan moved (and reopened if it was resolved). */
  unchanged: number;
  /** Open findings of the scan's sources that were not seen: marked resolved. */
  resolved: number;
  /**
   * Of `unchanged`, the findings carried forward from the source's previous recording without being
   * evaluated again (`RecordFindingsOptions.carry`), by severity; `excepted` counts those accepted by an
   * exception (in no severity). Absent when nothing was carried.
   */
  carried?: { bySeverity: Partial<Record<Severity, number>>; excepted: number };
}

/**
 * Findings of one source to carry forward from its newest recording instead of evaluating them again:
 * those still open that the recording saw, of `rules`, about identities not in `changedIdentities`.
 * The recording must be scan `fromScan` and have been made with `inputs`, checked in the recording's
 * transaction (a `StoreError` otherwise: another process recorded the source meanwhile).
 */
export interface FindingsCarry {
  platform: string;
  tenant: string;
  fromScan: number;
  inputs: string;
  rules: readonly string[];
  /** Identity keys (`kind:nativeId`) whose records changed since `fromScan`: their findings are not carried. */
  changedIdentities: readonly string[];
}

export interface RecordFindingsOptions {
  /**
   * What the findings were evaluated with (`analysisInputs`), stored with each source's recording;
   * null (the default) where they must never be carried forward.
   */
  inputs?: string | null;
  /** Per source: findings carried forward, not in the drafts. */
  carry?: readonly FindingsCarry[];
  /** The time the rules judged against (scan time or `--as-of`), stored with each source's recording. */
  asOf?: string;
  /**
   * Until when the findings of each evaluated identity stay valid, drained after each batch of drafts
   * and once at the end (so that they stream with the drafts). Stored per identity in place of what
   * the source's previous recording stored for it (`finding_carry`): an identity carried keeps its
   * entry, the rest of a source recorded without `carry` lose theirs. An Infinity without projection
   * is not stored.
   */
  validity?: { drain(): readonly CarryValidity[] };
}

/** Until when (ms since the epoch) an identity's findings may be carried forward without evaluating it. */
export interface CarryValidity {
  platform: string;
  tenant: string;
  identityKey: string;
  validUntil: number;
  /** What cross-identity rules read of it (JSON text, by rule id), or null. */
  projection: string | null;
}

/** An identity's stored projection (`CarryValidity.projection`). */
export interface CarriedProjection {
  identityKey: string;
  projection: string;
}

/** The newest findings recording of a source (`finding_sources`) and what it was evaluated with. */
export interface FindingsRecording {
  platform: string;
  tenant: string;
  scanId: number;
  inputs: string | null;
  /** The time its rules judged against, null when not recorded (before schema 11). */
  asOf: string | null;
}

/** An identity as reviews name it: the four values the model keys an identity by (and a finding names). */
export interface ReviewSubject {
  platform: string;
  tenant: string;
  kind: string;
  nativeId: string;
}

/** How the findings stood at one scan (`SnapshotStore.findingsTrend`). */
export interface FindingsTrendPoint {
  scanId: number;
  /** Findings first seen at this scan. */
  opened: number;
  /** Findings marked resolved at this scan (absent from a scan of their source that completed). */
  resolved: number;
  /** Findings open after this scan: first seen at or before it and not resolved by then. */
  open: number;
}

/** A recertification decision recorded with `grantscope review`. */
export interface ReviewInput extends ReviewSubject {
  decision: 'keep' | 'reduce' | 'revoke';
  reviewer: string;
  note: string | null;
  /** ISO date-time by which a `reduce`/`revoke` is due (for `keep`: until when it holds). */
  until: string | null;
  /** When the review was made (ISO date-time). */
  reviewedAt: string;
  /** The identity's display name at the time, for a readable history. */
  displayName: string | null;
  /** The scan whose snapshot was reviewed, when known. */
  scanId: number | null;
  /** Digest of the identity's grants at that scan: tells whether a `reduce` was carried out. */
  grantsDigest: string | null;
}

export interface StoredReview extends ReviewInput {
  /** Increasing: the newest review of an identity is the one in force. */
  id: number;
}

/**
 * Where a ticket stands in its lifecycle: `open` and `closed` are the lifecycle's own doing; `excepted`
 * is closed because an exception accepted its findings; `closed-by-hand` / `deleted-by-hand` were
 * noticed on the sink while its findings were still open (never re-created or reopened while they stay
 * open; see docs/tickets.md).
 */
export type TicketState = 'open' | 'closed' | 'excepted' | 'closed-by-hand' | 'deleted-by-hand';

/** What a ticket remembers of each finding it covers (stored in `tickets.items`). */
export interface TicketItem {
  /** Hash of the severity and evidence last sent: a different one is a change worth one comment. */
  hash: string;
  /** `platform:tenant`: whether a scan can vouch for the finding's absence (its source completed). */
  source: string;
  severity: string;
  /** The finding's title when last sent, for the comment that says it is gone. */
  title: string;
}

/** The lifecycle's record of one ticket on one sink, keyed by (sink, key). */
export interface StoredTicket {
  /** The sink's name in grantscope.yaml. */
  sink: string;
  /** A finding fingerprint, or a group key (`identity:…`, `owner:…`). */
  key: string;
  /** The sink's id of the ticket (Jira key, issue number, sys_id); null once it is known to be gone. */
  remoteId: string | null;
  remoteUrl: string | null;
  state: TicketState;
  /** The findings the ticket covers, by fingerprint: what was last sent of each (hash, source, severity, title). */
  items: Record<string, TicketItem>;
  /**
   * What the lifecycle meant the ticket to cover when a sync failed before carrying it out (the sink was
   * down); null otherwise. The next sync starts from it, so a scan that cannot see a finding still
   * catches up on what the failed sync left undone.
   */
  pending: Record<string, TicketItem> | null;
  /** Hash over `items`: what the ticket last said. */
  contentHash: string;
  severity: string;
  title: string;
  openedScan: number;
  /** The scan whose sync last changed the ticket. */
  changedScan: number;
  openedAt: string;
  changedAt: string;
}

/** One `tickets sync` of one sink. */
export interface TicketSyncRecord {
  sink: string;
  scanId: number;
  startedAt: string;
  finishedAt: string | null;
  status: 'running' | 'complete' | 'failed';
  /** Actions carried out (sink calls and recorded state changes). */
  actions: number;
  error: string | null;
}

/** Which recorded findings `readFindings` reads, and in which order. */
export interface FindingsReadFilter {
  /** Only the findings of this severity. */
  severity?: Severity;
  /** `fingerprint` (the default), or `severity`: most severe first, then by fingerprint. */
  order?: 'fingerprint' | 'severity';
}

/**
 * The snapshot store. Async throughout so that a networked database (PostgreSQL) can implement it;
 * the SQLite implementation is synchronous underneath.
 */
export interface SnapshotStore {
  /** Where the data lives (file path, connection string without password). */
  readonly location: string;
  beginScan(options: BeginScanOptions): Promise<ScanWriter>;
  getScan(id: number): Promise<ScanSummary | null>;
  /** Newest first. */
  listScans(options?: { limit?: number; status?: ScanStatus[] }): Promise<ScanSummary[]>;
  /** The newest scan with one of `status` (default complete or incomplete), optionally before scan `before`. */
  latestScan(options?: { before?: number; status?: ScanStatus[] }): Promise<ScanSummary | null>;
  /**
   * For each source any committed (complete or incomplete) scan covered, the newest such scan, ordered
   * by source (byte order). What a round of one scan per tenant reads as a whole.
   */
  latestScanOfEachSource(query?: SourceScanQuery): Promise<SourceScan[]>;
  /** The connector state committed for `source` (`${platform}:${tenant}`) by its scans, by key. */
  readConnectorState(source: string): Promise<Map<string, ConnectorStateValue>>;
  /** Every identity with its grants and credentials as of scan `scanId`, ordered by source and identity key. */
  readSnapshot(scanId: number, filter?: SnapshotReadFilter): AsyncIterable<IdentityBundle>;
  /** Records that differ between scans `a` and `b`, ordered by type, source, key. Unchanged records are not read. */
  changesBetween(a: number, b: number, filter?: SnapshotFilter): AsyncIterable<RecordChange>;
  /** Per source of scan `scanId`: whether its people were listed completely, and how many it holds. */
  peopleDirectories(scanId: number, filter?: SnapshotFilter): Promise<PeopleDirectoryStatus[]>;
  /** The people (person records) of scan `scanId`. Not part of bundles or changes: no one's inventory. */
  readPeople(scanId: number, filter?: SnapshotFilter): AsyncIterable<Person>;
  /**
   * Store the findings computed for scan `scanId`, streamed in batches (any batch size; memory stays
   * bounded by a batch), and stamp first/last seen. Findings of earlier scans of the scan's sources
   * that are absent now are marked resolved at this scan. An unchanged finding is not rewritten: only
   * its last-seen scan moves. Atomic: nothing is visible until all of it is recorded. `options.carry`
   * adds, per source, findings of the previous recording that were not evaluated again.
   */
  recordFindings(
    scanId: number,
    drafts: AsyncIterable<readonly FindingDraft[]> | Iterable<readonly FindingDraft[]>,
    seenAt: string,
    options?: RecordFindingsOptions,
  ): Promise<FindingsRecorded>;
  /** Each source's newest findings recording, with what it was evaluated with. */
  findingsRecordings(): Promise<FindingsRecording[]>;
  /**
   * The identities of a source whose findings, as its newest recording stored them, are valid only
   * before `asOf` (their `CarryValidity` is at or before it): they must be evaluated again.
   */
  findingsCarryExpired(platform: string, tenant: string, asOf: string): Promise<string[]>;
  /** The stored projections of a source's identities (see `CarryValidity`), in identity-key order (bytes). */
  readCarriedProjections(platform: string, tenant: string): AsyncIterable<CarriedProjection>;
  /**
   * The findings recorded as seen at scan `scanId`, or at any of several scans (while it is the newest
   * recording of their source), with first/last seen, in fingerprint order; each finding's `scanId` is
   * the scan it was last seen at. Streamed: one keyset-paged query, however many scans (a round's).
   * `severity`: only the findings of that severity. `order: 'severity'` (without `severity`): the
   * findings of the five severities, most severe first, then by fingerprint (`compareFindings`).
   */
  readFindings(scanId: number | readonly number[], filter?: FindingsReadFilter): AsyncIterable<Finding>;
  /** First/last seen of known fingerprints, for findings recomputed outside a scan. */
  findingHistory(
    fingerprints: readonly string[],
  ): Promise<Map<string, { firstSeen: string; lastSeen: string; firstScan: number; lastScan: number }>>;
  /**
   * New, resolved and open findings at each of `scanIds`, from each finding's first-seen and resolved
   * scans (a finding resolved and seen again later counts as open from its first scan). In `scanIds` order.
   */
  findingsTrend(scanIds: readonly number[]): Promise<FindingsTrendPoint[]>;
  /** Append a review (reviews are never changed or deleted; a newer one supersedes). */
  recordReview(review: ReviewInput): Promise<StoredReview>;
  /** Every review of one identity, newest first. */
  reviewHistory(subject: ReviewSubject): Promise<StoredReview[]>;
  /** The review in force (the newest) of each reviewed identity, ordered by platform, tenant, kind, id. */
  latestReviews(filter?: { platform?: string; tenant?: string }): AsyncIterable<StoredReview>;
  /**
   * Whether the findings of scan `scanId` were recorded: false when the scan committed but its analysis
   * never ran (the process stopped in between), so that its silence is not read as "all resolved".
   */
  findingsRecorded(scanId: number): Promise<boolean>;
  /** The lifecycle's tickets of one sink (schema 6), ordered by key. */
  readTickets(sink: string): Promise<StoredTicket[]>;
  /** Insert or replace one ticket's record: called after each sink action that succeeded. */
  saveTicket(ticket: StoredTicket): Promise<void>;
  /**
   * Start a sync of one sink: one at a time per sink (two would both open the same new tickets).
   * Refused with `StoreLockedError` while another live process syncs the sink; a sync whose process
   * died is marked failed and taken over. Returns the sync's id for `finishTicketSync`.
   */
  beginTicketSync(sync: { sink: string; scanId: number; startedAt: string }): Promise<number>;
  /** Record how a sync begun with `beginTicketSync` ended. */
  finishTicketSync(
    id: number,
    outcome: { finishedAt: string; status: 'complete' | 'failed'; actions: number; error: string | null },
  ): Promise<void>;
  /** The newest sync of `sink` that completed, if any. */
  lastTicketSync(sink: string): Promise<TicketSyncRecord | null>;
  close(): Promise<void>;
}
