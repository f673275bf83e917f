import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BulkMemoryTicketSink, MemoryTicketSink } from '../../test/support/memory-ticket-sink.js';
import { at, coverage } from '../../test/support/store-records.js';
import type { FindingDraft } from '../findings/finding.js';
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.js';
import type { ScanSummary, SnapshotStore } from '../store/store.js';
import type { PlanSink } from './plan.js';
import type { TicketDocument } from './sink.js';
import { syncSink } from './sync.js';

let dir: string;
let store: SnapshotStore;
let sink: MemoryTicketSink;
let day: number;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gs-tickets-'));
  store = await openSqliteStore(join(dir, 'grantscope.db'));
  sink = new MemoryTicketSink('jira-test');
  day = 0;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const BY_FINDING: PlanSink = { name: 'jira-test', group: 'finding', minSeverity: 'medium' };
const BY_IDENTITY: PlanSink = { ...BY_FINDING, group: 'identity' };

function draft(fingerprint: string, over: Partial<FindingDraft> = {}): FindingDraft {
  return {
    fingerprint,
    rule: 'over-privileged',
    severity: 'high',
    platform: 'github',
    tenant: 'acme',
    identity: { kind: 'github-app-installation', id: '1', name: 'Partner App' },
    subject: null,
    title: `Partner App: problem ${fingerprint}`,
    evidence: { grants: ['administration:write'] },
    remediation: 'Reduce the permissions.',
    frameworks: { owaspNhi: ['NHI5'], nistCsf: ['PR.AA-05'], other: [] },
    ...over,
  };
}

/** One scan of github:acme whose app-installations collector ended with `status`, and its findings. */
async function scan(
  drafts: FindingDraft[],
  status: 'complete' | 'failed' = 'complete',
): Promise<ScanSummary> {
  day += 1;
  const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
  const summary = await w.complete([coverage({ 'app-installations': status })], at(day, 1));
  await store.recordFindings(summary.id, [drafts], at(day, 2));
  return summary;
}

const sync = (s: ScanSummary, settings = BY_FINDING, dryRun = false) =>
  syncSink({ store, sink, settings, scan: s, dryRun, now: () => new Date(at(day, 3)) });

const text = (doc: TicketDocument) => JSON.stringify(doc);

describe('ticket lifecycle against a sink', () => {
  it('opens a ticket for a new finding, and an unchanged finding costs no call', async () => {
    const r1 = await sync(await scan([draft('a'), draft('low', { severity: 'low' })]));
    expect(r1.plan.actions.map((a) => [a.kind, a.key])).toEqual([['open', 'a']]);
    expect(sink.openTickets('a')).toHaveLength(1);
    expect(sink.all('low')).toHaveLength(0); // below minSeverity
    const ticket = sink.openTickets('a')[0]!;
    expect(ticket.content).toMatchObject({
      title: 'Partner App: problem a',
      severity: 'high',
      fingerprints: ['a'],
    });
    expect(r1.plan.actions[0]!.next).toMatchObject({
      remoteId: ticket.id,
      remoteUrl: ticket.id && `https://tickets.example/${ticket.id}`,
    });
    const [stored] = await store.readTickets('jira-test');
    expect(stored).toMatchObject({ key: 'a', remoteId: ticket.id, state: 'open', openedScan: r1.scanId });

    sink.calls = 0;
    const r2 = await sync(await scan([draft('a'), draft('low', { severity: 'low' })]));
    expect(r2.plan.actions).toEqual([]);
    expect(r2.plan.unchanged).toBe(1);
    expect(sink.calls).toBe(1); // the state read only
  });

  it('comments once when severity or evidence changes, not when only clock-derived counts move', async () => {
    await sync(await scan([draft('a', { evidence: { lastUsedAt: null, daysSinceCreated: 100 } })]));
    const r2 = await sync(
      await scan([draft('a', { evidence: { lastUsedAt: null, daysSinceCreated: 101 } })]),
    );
    expect(r2.plan.actions).toEqual([]);
    const r3 = await sync(
      await scan([
        draft('a', { severity: 'critical', evidence: { lastUsedAt: null, daysSinceCreated: 102 } }),
      ]),
    );
    expect(r3.plan.actions.map((a) => [a.kind, a.reason])).toEqual([['comment', 'severity high→critical']]);
    const r4 = await sync(
      await scan([
        draft('a', { severity: 'critical', evidence: { lastUsedAt: null, daysSinceCreated: 103 } }),
      ]),
    );
    expect(r4.plan.actions).toEqual([]);
    const t = sink.openTickets('a')[0]!;
    expect(t.comments.map((c) => c.kind)).toEqual(['comment']);
    expect(text(t.comments[0]!.doc)).toContain('Severity high → critical');
  });

  it('closes when a complete scan no longer finds it, never on a partial one, and reopens the same ticket', async () => {
    await sync(await scan([draft('a')]));
    const id = sink.openTickets('a')[0]!.id;
    // The collector failed: the finding is not seen, but nothing vouches for its absence.
    const partial = await sync(await scan([], 'failed'));
    expect(partial.plan.actions).toEqual([]);
    expect(sink.openTickets('a')).toHaveLength(1);

    const resolved = await sync(await scan([]));
    expect(resolved.plan.actions.map((a) => [a.kind, a.reason])).toEqual([['close', 'resolved']]);
    const closed = sink.tickets.get(id)!;
    expect(closed.state).toBe('closed');
    expect(text(closed.comments.at(-1)!.doc)).toContain('Resolved');
    expect(text(closed.comments.at(-1)!.doc)).toContain('Partner App: problem a');

    const back = await sync(await scan([draft('a')]));
    expect(back.plan.actions.map((a) => a.kind)).toEqual(['reopen']);
    expect(sink.all('a').map((t) => [t.id, t.state])).toEqual([[id, 'open']]);
  });

  it('an excepted finding gets a comment naming approver and expiry, then closes; it reopens when the exception lapses', async () => {
    await sync(await scan([draft('a')]));
    const exception = {
      status: 'active' as const,
      reason: 'vendor contract until renewal',
      approver: 'ciso@example.com',
      granted: '2026-01-01',
      expires: '2026-06-30',
      source: { file: 'governance.yaml', line: 12 },
    };
    const r = await sync(await scan([draft('a', { excepted: true, exception })]));
    expect(r.plan.actions.map((a) => [a.kind, a.reason, a.next.state])).toEqual([
      ['close', 'accepted by exception', 'excepted'],
    ]);
    const t = sink.all('a')[0]!;
    expect(t.state).toBe('closed');
    expect(t.comments.at(-1)!.reason).toBe('excepted');
    expect(text(t.comments.at(-1)!.doc)).toMatch(/approved by ciso@example.com until 2026-06-30/);
    // Still excepted: nothing.
    expect((await sync(await scan([draft('a', { excepted: true, exception })]))).plan.actions).toEqual([]);
    const lapsed = await sync(await scan([draft('a', { exception: { ...exception, status: 'expired' } })]));
    expect(lapsed.plan.actions.map((a) => [a.kind, a.reason])).toEqual([
      ['reopen', 'exception no longer applies'],
    ]);
    expect(sink.all('a')).toHaveLength(1);
  });

  it('a ticket closed by hand stays closed while the finding is open; after it resolves, a recurrence reopens it', async () => {
    await sync(await scan([draft('a')]));
    const id = sink.openTickets('a')[0]!.id;
    sink.closeByHand('a');
    const noticed = await sync(await scan([draft('a')]));
    expect(noticed.plan.actions.map((a) => [a.kind, a.next.state])).toEqual([['record', 'closed-by-hand']]);
    for (let i = 0; i < 3; i++) expect((await sync(await scan([draft('a')]))).plan.actions).toEqual([]);
    expect(sink.all('a')).toHaveLength(1);
    expect(sink.tickets.get(id)!.state).toBe('closed');

    await sync(await scan([]));
    expect((await store.readTickets('jira-test'))[0]!.state).toBe('closed');
    const back = await sync(await scan([draft('a')]));
    expect(back.plan.actions.map((a) => a.kind)).toEqual(['reopen']);
    expect(sink.all('a').map((t) => [t.id, t.state])).toEqual([[id, 'open']]);
  });

  it('a ticket reopened by hand is taken back into the lifecycle', async () => {
    await sync(await scan([draft('a')]));
    sink.closeByHand('a');
    await sync(await scan([draft('a')]));
    sink.reopenByHand('a');
    const r = await sync(await scan([draft('a', { severity: 'critical' })]));
    expect(r.plan.actions.map((a) => [a.kind, a.next.state])).toEqual([['comment', 'open']]);
    await sync(await scan([]));
    expect(sink.all('a')[0]!.state).toBe('closed');
  });

  it('a ticket deleted by hand is never re-created while its finding stays open; a later recurrence opens a new one', async () => {
    await sync(await scan([draft('a')]));
    sink.deleteByHand('a');
    const noticed = await sync(await scan([draft('a')]));
    expect(noticed.plan.actions.map((a) => [a.kind, a.next.state])).toEqual([['record', 'deleted-by-hand']]);
    for (let i = 0; i < 3; i++) await sync(await scan([draft('a', { severity: 'critical' })]));
    expect(sink.all('a')).toHaveLength(0);
    await sync(await scan([]));
    const back = await sync(await scan([draft('a')]));
    expect(back.plan.actions.map((a) => a.kind)).toEqual(['open']);
    expect(sink.all('a')).toHaveLength(1);
  });

  it('a sink that is down fails the sync naming sink, operation and status, keeps what succeeded, and the next run catches up', async () => {
    sink.failAfter = 1;
    const r = await sync(await scan([draft('a'), draft('b'), draft('c')]));
    expect(r.error?.message).toBe('ticket sink "jira-test": open failed (HTTP 503): service unavailable');
    expect(r.done).toBe(1);
    expect(sink.openTickets()).toHaveLength(1);
    const stored = await store.readTickets('jira-test');
    expect(stored.filter((t) => t.remoteId).map((t) => t.key)).toEqual(['a']);
    expect(await store.lastTicketSync('jira-test')).toBeNull();

    sink.failAfter = Number.POSITIVE_INFINITY;
    const again = await sync(await scan([draft('a'), draft('b'), draft('c')]));
    expect(again.error).toBeNull();
    expect(again.plan.actions.map((a) => [a.kind, a.key])).toEqual([
      ['open', 'b'],
      ['open', 'c'],
    ]);
    for (const k of ['a', 'b', 'c']) expect(sink.all(k)).toHaveLength(1);
    expect(await store.lastTicketSync('jira-test')).toMatchObject({
      scanId: again.scanId,
      status: 'complete',
    });
    expect((await store.readTickets('jira-test')).every((t) => t.pending === null)).toBe(true);
  });

  it('a sink down while a partial scan follows still closes what a complete scan resolved', async () => {
    await sync(await scan([draft('a')]));
    sink.failAfter = 0;
    expect((await sync(await scan([]))).error?.operation).toBe('state');
    sink.failAfter = Number.POSITIVE_INFINITY;
    // The next scan cannot see the collector; the complete one before it already resolved `a`.
    const r = await sync(await scan([], 'failed'));
    expect(r.plan.actions.map((a) => a.kind)).toEqual(['close']);
  });

  it('reads ticket states in pages when the sink can (60 open tickets: 2 requests instead of 60)', async () => {
    const drafts = Array.from({ length: 60 }, (_, i) => draft(`f${String(i).padStart(2, '0')}`));
    await sync(await scan(drafts));
    sink.calls = 0;
    expect((await sync(await scan(drafts))).calls).toBe(60);
    expect(sink.calls).toBe(60);

    const bulk = new BulkMemoryTicketSink('jira-test', 50);
    for (const [id, t] of sink.tickets) bulk.tickets.set(id, t);
    bulk.closeByHand('f07');
    bulk.deleteByHand('f08');
    const r = await syncSink({ store, sink: bulk, settings: BY_FINDING, scan: await scan(drafts) });
    expect(r.calls).toBe(2);
    expect(bulk.calls).toBe(2);
    expect(r.plan.actions.map((a) => [a.key, a.next.state])).toEqual([
      ['f07', 'closed-by-hand'],
      ['f08', 'deleted-by-hand'],
    ]);
  });

  it('refuses a scan whose findings were never recorded, instead of closing every ticket', async () => {
    await sync(await scan([draft('a')]));
    day += 1;
    const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
    const committed = await w.complete([coverage({ 'app-installations': 'complete' })], at(day, 1));
    await expect(sync(committed)).rejects.toThrow(
      `scan ${committed.id}: its findings were never recorded (the scan stopped before its analysis)`,
    );
    expect(sink.openTickets('a')).toHaveLength(1);
    await store.recordFindings(committed.id, [[]], at(day, 2));
    expect((await sync(committed)).plan.actions.map((a) => a.kind)).toEqual(['close']);
  });

  it('a new finding already excepted opens nothing; a partial scan leaves a grouped ticket as it is', async () => {
    const exception = {
      status: 'active' as const,
      reason: 'r',
      approver: 'ciso',
      granted: '2026-01-01',
      expires: '2026-06-30',
      source: { file: 'g.yaml', line: 1 },
    };
    expect((await sync(await scan([draft('x', { excepted: true, exception })]))).plan.actions).toEqual([]);
    await sync(await scan([draft('a'), draft('b')]), BY_IDENTITY);
    const partial = await sync(await scan([draft('a')], 'failed'), BY_IDENTITY);
    expect(partial.plan.actions).toEqual([]);
    const complete = await sync(await scan([draft('a')]), BY_IDENTITY);
    expect(complete.plan.actions.map((a) => [a.kind, a.reason])).toEqual([['comment', '1 resolved']]);
  });

  it('one sync per sink at a time; a sync whose process died is taken over', async () => {
    const s1 = await scan([draft('a')]);
    const held = await store.beginTicketSync({ sink: 'jira-test', scanId: s1.id, startedAt: at(day, 3) });
    await expect(sync(s1)).rejects.toThrow(/ticket sink "jira-test" is being synced by process \d+/);
    expect(sink.calls).toBe(0);
    // The holder dies without finishing (a pid no process has).
    const raw = new Database(store.location);
    raw.prepare('UPDATE ticket_syncs SET writer_pid = 4194301 WHERE id = ?').run(held);
    raw.close();
    expect((await sync(s1)).plan.actions.map((a) => a.kind)).toEqual(['open']);
    const check = new Database(store.location, { readonly: true });
    expect(check.prepare('SELECT status, error FROM ticket_syncs ORDER BY id').all()).toEqual([
      { status: 'failed', error: 'interrupted: process 4194301 ended before the sync did' },
      { status: 'complete', error: null },
    ]);
    check.close();
  });

  it('--dry-run plans without changing the sink or the store', async () => {
    const r = await sync(await scan([draft('a')]), BY_FINDING, true);
    expect(r.plan.actions.map((a) => a.kind)).toEqual(['open']);
    expect(sink.tickets.size).toBe(0);
    expect(await store.readTickets('jira-test')).toEqual([]);
  });
});

describe('grouped tickets', () => {
  const app = (fp: string, over: Partial<FindingDraft> = {}) =>
    draft(fp, { identity: { kind: 'github-app-installation', id: '7', name: 'Partner App' }, ...over });

  it('one partner app with five problems opens one ticket; findings joining and leaving comment; it closes when all are gone', async () => {
    const five = ['a', 'b', 'c', 'd', 'e'].map((fp) => app(fp));
    const r1 = await sync(await scan(five), BY_IDENTITY);
    expect(r1.plan.actions.map((a) => [a.kind, a.key])).toEqual([
      ['open', 'identity:github:acme:github-app-installation:7'],
    ]);
    const t = sink.openTickets()[0]!;
    expect(t.content.fingerprints).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(t.content.title).toBe('Partner App (github): 5 findings');

    const r2 = await sync(await scan([...five.slice(1), app('f')]), BY_IDENTITY);
    expect(r2.plan.actions.map((a) => [a.kind, a.reason])).toEqual([['comment', '1 joined; 1 resolved']]);
    expect(text(t.comments[0]!.doc)).toContain('problem f');

    await sync(await scan([app('f')]), BY_IDENTITY);
    expect(sink.openTickets()).toHaveLength(1);
    const r4 = await sync(await scan([]), BY_IDENTITY);
    expect(r4.plan.actions.map((a) => a.kind)).toEqual(['close']);
    expect(sink.tickets.size).toBe(1);
  });

  it("a finding whose owner changes leaves one owner's ticket (which closes) and joins the other's", async () => {
    const owner = (person: string) => ({
      registered: [{ person, team: null, contact: null, active: true, source: { file: 'g.yaml', line: 1 } }],
      inPlatform: [],
    });
    const BY_OWNER = { ...BY_FINDING, group: 'owner' as const };
    await sync(
      await scan([draft('a', { owner: owner('alice') }), draft('b', { owner: owner('bob') })]),
      BY_OWNER,
    );
    const moved = await sync(
      await scan([draft('a', { owner: owner('bob') }), draft('b', { owner: owner('bob') })]),
      BY_OWNER,
    );
    expect(moved.plan.actions.map((a) => [a.kind, a.key, a.reason])).toEqual([
      ['close', 'owner:alice', 'resolved'],
      ['comment', 'owner:bob', '1 joined'],
    ]);
  });

  it('a finding falling below minSeverity closes its ticket', async () => {
    await sync(await scan([draft('a')]));
    const r = await sync(await scan([draft('a', { severity: 'low' })]));
    expect(r.plan.actions.map((a) => a.kind)).toEqual(['close']);
  });

  it('groups by registered owner', async () => {
    const owner = (person: string) => ({
      registered: [{ person, team: null, contact: null, active: true, source: { file: 'g.yaml', line: 1 } }],
      inPlatform: [],
    });
    await sync(
      await scan([
        draft('a', { owner: owner('alice') }),
        draft('b', { identity: { kind: 'k', id: '2', name: 'Other' }, owner: owner('alice') }),
        draft('c', { owner: owner('bob') }),
        draft('d'),
      ]),
      { ...BY_FINDING, group: 'owner' },
    );
    expect([...sink.tickets.values()].map((t) => [t.key, t.content.fingerprints]).sort()).toEqual([
      ['owner:(none)', ['d']],
      ['owner:alice', ['a', 'b']],
      ['owner:bob', ['c']],
    ]);
  });
});
