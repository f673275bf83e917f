import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BulkMemoryTicketSink, MemoryTicketSink } from '../../test/support/memory-ticket-sink.js';
import type { Finding } from '../findings/finding.js';
import type { ScanSummary, SnapshotStore, StoredTicket } from '../store/store.js';
import type { TicketGrouping } from './config.js';
import type { DigestSink, SyncDigest } from './sink.js';
import { syncSink } from './sync.js';
import { groupKey } from './ticket-item.js';

/**
 * Over any sequence of 20 scans with flapping findings, partial and failing sources, a sink that is
 * down at times and people who close, reopen or delete tickets by hand: the sink never holds two open
 * tickets for one key, and after every sync that completes a ticket is open exactly when its finding
 * (or one of its group's) is open as last known: seen at the latest scan, or, when that scan could not
 * read its source completely, as of the latest scan that could.
 */

const FINGERPRINTS = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
const SOURCE_OF = (fp: string) => (Number(fp.slice(1)) % 2 === 0 ? 'github:acme' : 'microsoft365:contoso');
const IDENTITY_OF = (fp: string) => String(Number(fp.slice(1)) % 3);

function finding(fp: string, severity: Finding['severity'], excepted: boolean, scanId: number): Finding {
  const [platform, tenant] = SOURCE_OF(fp).split(':') as [string, string];
  return {
    fingerprint: fp,
    rule: 'over-privileged',
    severity,
    platform,
    tenant,
    identity: { kind: 'app', id: IDENTITY_OF(fp), name: `App ${IDENTITY_OF(fp)}` },
    subject: null,
    title: `finding ${fp}`,
    evidence: { n: 1 },
    remediation: 'Fix it.',
    frameworks: { owaspNhi: [], nistCsf: [], other: [] },
    ...(excepted
      ? {
          excepted: true,
          exception: {
            status: 'active' as const,
            reason: 'accepted',
            approver: 'ciso',
            granted: '2026-01-01',
            expires: '2027-01-01',
            source: { file: 'g.yaml', line: 1 },
          },
        }
      : {}),
    firstSeen: '2026-01-01T00:00:00Z',
    lastSeen: '2026-01-01T00:00:00Z',
    scanId,
  };
}

/** The part of the store a sync uses, in memory (the SQLite store is exercised in sync.test.ts). */
class MemoryStore {
  findings: Finding[] = [];
  readonly tickets = new Map<string, StoredTicket>();
  readonly syncs: string[] = [];
  async *readFindings(): AsyncIterable<Finding> {
    yield* this.findings;
  }
  async findingsRecorded(): Promise<boolean> {
    return true;
  }
  async readTickets(): Promise<StoredTicket[]> {
    return [...this.tickets.values()].sort((a, b) => a.key.localeCompare(b.key));
  }
  async saveTicket(t: StoredTicket): Promise<void> {
    this.tickets.set(t.key, structuredClone(t));
  }
  async beginTicketSync(): Promise<number> {
    return 1;
  }
  async finishTicketSync(_id: number, outcome: { status: string }): Promise<void> {
    this.syncs.push(outcome.status);
  }
}

const sourceStatus = fc.constantFrom('complete', 'complete', 'partial', 'absent');
const step = fc.record({
  failed: fc.boolean().map((b) => b && Math.random() < 0.3),
  sources: fc.record({ 'github:acme': sourceStatus, 'microsoft365:contoso': sourceStatus }),
  truth: fc.array(
    fc.record({
      open: fc.boolean(),
      severity: fc.constantFrom('low', 'medium', 'high', 'critical'),
      excepted: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      /** Seen by a partial scan of its source (a flapping collector). */
      seenWhenPartial: fc.boolean(),
    }),
    { minLength: FINGERPRINTS.length, maxLength: FINGERPRINTS.length },
  ),
  /** Calls the sink takes before it goes down for this sync. */
  failAfter: fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 0, max: 4 })),
  hand: fc.array(
    fc.record({ what: fc.constantFrom('close', 'reopen', 'delete'), fp: fc.constantFrom(...FINGERPRINTS) }),
    { maxLength: 2 },
  ),
});

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/**
 * What scan `scanId` reports of step `s` (a finding is seen when open and its source was read, or read
 * in part and it happened to be seen), updating `known`: each finding's open state as last known.
 */
function observe(s: Step, scanId: number, known: Map<string, boolean>): Finding[] {
  const reported: Finding[] = [];
  FINGERPRINTS.forEach((fp, i) => {
    const t = s.truth[i]!;
    const status = s.sources[SOURCE_OF(fp) as keyof typeof s.sources];
    const seen = t.open && (status === 'complete' || (status === 'partial' && t.seenWhenPartial));
    if (seen) reported.push(finding(fp, t.severity, t.excepted, scanId));
    if (seen) known.set(fp, !t.excepted && t.severity !== 'low');
    else if (status === 'complete') known.set(fp, false);
  });
  return reported;
}

async function play(grouping: TicketGrouping, hands: boolean, steps: readonly Step[], bulk = false) {
  const sink = bulk ? new BulkMemoryTicketSink('mem', 2) : new MemoryTicketSink('mem', true);
  const store = new MemoryStore();
  const settings = { name: 'mem', group: grouping, minSeverity: 'medium' as const };
  /** Last known open state of each fingerprint (in scope and not excepted). */
  const known = new Map<string, boolean>();
  /** Times each key went from not open to open, as last known: the most tickets it may ever get. */
  const episodes = new Map<string, number>();
  const keyOf = (fp: string) => groupKey(finding(fp, 'high', false, 0), grouping);
  const openKeys = () => new Set(FINGERPRINTS.filter((fp) => known.get(fp)).map(keyOf));
  let scanId = 0;
  for (const s of steps) {
    if (s.failed) continue; // a failed scan has no snapshot: nothing to sync
    scanId += 1;
    const before = openKeys();
    const reported = observe(s, scanId, known);
    const after = openKeys();
    for (const k of after) if (!before.has(k)) episodes.set(k, (episodes.get(k) ?? 0) + 1);
    store.findings = reported;
    if (hands) {
      for (const h of s.hand) {
        if (h.what === 'close') sink.closeByHand(keyOf(h.fp));
        else if (h.what === 'reopen') sink.reopenByHand(keyOf(h.fp));
        else sink.deleteByHand(keyOf(h.fp));
      }
    }
    sink.failAfter = s.failAfter;
    const scan: ScanSummary = {
      id: scanId,
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: null,
      status: 'complete',
      label: null,
      toolVersion: 't',
      sources: Object.entries(s.sources)
        .filter(([, st]) => st !== 'absent')
        .map(([source, st]) => ({
          source,
          connector: source.split(':')[0]!,
          platform: source.split(':')[0]!,
          tenant: source.split(':')[1]!,
          status: st === 'complete' ? ('complete' as const) : ('incomplete' as const),
          requests: 0,
          collectors: [],
        })),
      counts: { identities: 0, grants: 0, credentials: 0 },
    };
    const result = await syncSink({ store: store as unknown as SnapshotStore, sink, settings, scan });
    if (process.env.DEBUG_TICKETS) {
      console.log(
        `scan ${scanId} ${JSON.stringify(s.sources)} failAfter=${s.failAfter} reported=${reported.map((f) => `${f.fingerprint}:${f.severity}${f.excepted ? ':x' : ''}`).join(',')} actions=${result.plan.actions.map((a) => `${a.kind}:${a.key}`).join(',')} done=${result.done} err=${result.error?.operation ?? ''} open=${sink
          .openTickets()
          .map((t) => t.key)
          .join(',')}`,
      );
    }
    sink.failAfter = Number.POSITIVE_INFINITY;

    const keys = new Set(FINGERPRINTS.map(keyOf));
    for (const k of keys) {
      expect(sink.openTickets(k).length, `open tickets of ${k}`).toBeLessThanOrEqual(1);
      // Never re-created in a loop: at most one ticket per time the finding (re)appeared.
      expect(sink.all(k).length, `tickets ever created for ${k}`).toBeLessThanOrEqual(episodes.get(k) ?? 0);
    }
    if (!result.error && !hands) {
      for (const k of keys) {
        expect(sink.openTickets(k).length, `${k} open at scan ${scanId}`).toBe(after.has(k) ? 1 : 0);
      }
    }
  }
}

/** A chat channel in memory: the digests it received, and a send that fails while `down`. */
class MemoryDigestSink implements DigestSink {
  readonly kind = 'memory-digest';
  readonly delivery = 'digest' as const;
  readonly received: SyncDigest[] = [];
  down = false;
  constructor(readonly name: string) {}
  async send(digest: SyncDigest): Promise<void> {
    if (this.down) throw Object.assign(new Error('channel down'), { status: 503 });
    this.received.push(structuredClone(digest));
  }
}

/**
 * A reader of the channel who applies each digest in order (new and back add a finding, resolved and
 * accepted remove it) knows, after every sync that succeeded, exactly the findings open as last known;
 * no finding is announced new twice without being resolved in between, and an unchanged sync posts nothing.
 */
async function playDigest(grouping: TicketGrouping, steps: readonly Step[]) {
  const sink = new MemoryDigestSink('chat');
  const store = new MemoryStore();
  const settings = { name: 'chat', group: grouping, minSeverity: 'medium' as const };
  const known = new Map<string, boolean>();
  const channel = new Set<string>();
  let scanId = 0;
  for (const s of steps) {
    if (s.failed) continue;
    scanId += 1;
    const reported = observe(s, scanId, known);
    store.findings = reported;
    sink.down = s.failAfter < 2;
    const posted = sink.received.length;
    const scan = {
      id: scanId,
      sources: Object.entries(s.sources)
        .filter(([, st]) => st !== 'absent')
        .map(([source, st]) => ({ source, status: st === 'complete' ? 'complete' : 'incomplete' })),
    } as unknown as ScanSummary;
    const result = await syncSink({ store: store as unknown as SnapshotStore, sink, settings, scan });
    if (result.error) {
      expect(sink.received.length).toBe(posted);
      continue;
    }
    for (const d of sink.received.slice(posted)) {
      for (const e of [...d.opened, ...d.reopened]) {
        expect(channel.has(e.fingerprint), `${e.fingerprint} announced twice`).toBe(false);
        channel.add(e.fingerprint);
      }
      for (const e of [...d.resolved, ...d.excepted]) {
        expect(channel.has(e.fingerprint), `${e.fingerprint} resolved but never announced`).toBe(true);
        channel.delete(e.fingerprint);
      }
      expect(d.open).toBe(channel.size);
    }
    const truth = new Set(FINGERPRINTS.filter((fp) => known.get(fp)));
    expect([...channel].sort(), `channel at scan ${scanId}`).toEqual([...truth].sort());
    if (result.plan.actions.length === 0) expect(sink.received.length).toBe(posted);
  }
}

describe('ticket lifecycle (property)', () => {
  for (const grouping of ['finding', 'identity'] as const) {
    it(`a digest channel (Slack) always adds up to the open findings, per ${grouping}, through outages`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 20, maxLength: 20 }), (steps) =>
          playDigest(grouping, steps),
        ),
        { numRuns: Number(process.env.TICKET_RUNS ?? 150) },
      );
    });
  }
  for (const grouping of ['finding', 'identity'] as const) {
    it(`keeps one ticket per ${grouping}, open exactly when its findings are (no hand edits)`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 20, maxLength: 20 }), fc.boolean(), (steps, bulk) =>
          play(grouping, false, steps, bulk),
        ),
        { numRuns: Number(process.env.TICKET_RUNS ?? 150) },
      );
    });
    it(`never holds two open tickets per ${grouping} nor re-creates in a loop (hand edits, outages)`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 20, maxLength: 20 }), fc.boolean(), (steps, bulk) =>
          play(grouping, true, steps, bulk),
        ),
        { numRuns: Number(process.env.TICKET_RUNS ?? 150) },
      );
    });
  }
});
