import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReviewInput, SnapshotStore, StoredTicket } from '../../src/store/store.js';
import { at, coverage, identity } from '../support/store-records.js';
import { STORE_KINDS, storeFactory } from './store-factory.js';

const subject = { platform: 'github', tenant: 'acme', kind: 'github-app-installation', nativeId: '1' };
const review = (over: Partial<ReviewInput> = {}): ReviewInput => ({
  ...subject,
  decision: 'keep',
  reviewer: 'alice',
  note: null,
  until: null,
  reviewedAt: '2026-01-01T00:00:00.000Z',
  displayName: 'App 1',
  scanId: null,
  grantsDigest: null,
  ...over,
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe.each(STORE_KINDS)('%s store', (kind) => {
  const factory = storeFactory(kind);
  let store: SnapshotStore;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  async function scanOnce(day: number): Promise<number> {
    const w = await store.beginScan({ startedAt: at(day), toolVersion: 't', governanceHash: `g${day}` });
    await w.write([identity('1')]);
    return (await w.complete([coverage({ 'app-installations': 'complete' })], at(day, 1))).id;
  }

  describe('reviews', () => {
    it('appends; the newest per identity is in force, in byte order; history is newest first', async () => {
      const first = await store.recordReview(review());
      const second = await store.recordReview(
        review({ decision: 'revoke', reviewer: 'bob', note: 'unused' }),
      );
      await store.recordReview(review({ nativeId: '2', reviewer: 'carol' }));
      await store.recordReview(review({ tenant: 'Zeta', reviewer: 'erin' }));
      await store.recordReview(review({ tenant: 'other', reviewer: 'dave' }));
      expect(second.id).toBeGreaterThan(first.id);
      const history = await store.reviewHistory(subject);
      expect(history.map((r) => [r.reviewer, r.decision])).toEqual([
        ['bob', 'revoke'],
        ['alice', 'keep'],
      ]);
      expect(history[0]).toEqual(second);
      // Upper case sorts before lower case, as SQLite's BINARY collation has it.
      expect(
        (await collect(store.latestReviews())).map((r) => `${r.tenant}/${r.nativeId}:${r.reviewer}`),
      ).toEqual(['Zeta/1:erin', 'acme/1:bob', 'acme/2:carol', 'other/1:dave']);
      expect((await collect(store.latestReviews({ tenant: 'other' }))).map((r) => r.reviewer)).toEqual([
        'dave',
      ]);
      const ro = await factory.reopen(store.location, { readOnly: true });
      try {
        expect((await ro.reviewHistory(subject)).length).toBe(2);
        await expect(ro.recordReview(review())).rejects.toThrow(/read-only/);
      } finally {
        await ro.close();
      }
    });

    it('refuses to change or delete a recorded review (evidence trail)', async () => {
      await store.recordReview(review());
      await expect(factory.sql(store, "UPDATE reviews SET decision = 'revoke'")).rejects.toThrow(
        /append-only/,
      );
      await expect(factory.sql(store, 'DELETE FROM reviews')).rejects.toThrow(/append-only/);
      expect(await factory.sql(store, 'SELECT decision FROM reviews')).toEqual([{ decision: 'keep' }]);
    });

    it('keeps the governance hash of each scan', async () => {
      await scanOnce(1);
      const w = await store.beginScan({ startedAt: at(2), toolVersion: 't' });
      await w.complete([], at(2, 1));
      expect((await store.listScans()).map((s) => s.governanceHash)).toEqual([null, 'g1']);
    });
  });

  describe('tickets', () => {
    const ticket = (over: Partial<StoredTicket> = {}): StoredTicket => ({
      sink: 'jira',
      key: 'fp-1',
      remoteId: 'SEC-1',
      remoteUrl: 'https://jira.example/browse/SEC-1',
      state: 'open',
      items: { 'fp-1': { hash: 'h1', source: 'github:acme', severity: 'high', title: 'T' } },
      pending: null,
      contentHash: 'c1',
      severity: 'high',
      title: 'T',
      openedScan: 1,
      changedScan: 1,
      openedAt: at(1),
      changedAt: at(1),
      ...over,
    });

    it('saves, replaces and reads tickets per sink in key order', async () => {
      await scanOnce(1);
      await scanOnce(2);
      await store.saveTicket(ticket({ key: 'fp-b' }));
      await store.saveTicket(ticket({ key: 'fp-a' }));
      await store.saveTicket(ticket({ sink: 'other' }));
      const pending = { 'fp-a': { hash: 'h2', source: 'github:acme', severity: 'critical', title: 'T2' } };
      await store.saveTicket(ticket({ key: 'fp-a', state: 'closed', changedScan: 2, pending }));
      const read = await store.readTickets('jira');
      expect(read.map((t) => [t.key, t.state, t.changedScan])).toEqual([
        ['fp-a', 'closed', 2],
        ['fp-b', 'open', 1],
      ]);
      expect(read[0]).toEqual(ticket({ key: 'fp-a', state: 'closed', changedScan: 2, pending }));
    });

    it('runs one sync per sink, takes over a dead one, and remembers the last complete one', async () => {
      const scan = await scanOnce(1);
      expect(await store.lastTicketSync('jira')).toBeNull();
      const id = await store.beginTicketSync({ sink: 'jira', scanId: scan, startedAt: at(1, 2) });
      await expect(
        store.beginTicketSync({ sink: 'jira', scanId: scan, startedAt: at(1, 3) }),
      ).rejects.toThrow(/being synced by process/);
      // Another sink is not held up.
      const other = await store.beginTicketSync({ sink: 'slack', scanId: scan, startedAt: at(1, 3) });
      await store.finishTicketSync(other, {
        finishedAt: at(1, 4),
        status: 'failed',
        actions: 0,
        error: 'down',
      });
      await store.finishTicketSync(id, { finishedAt: at(1, 4), status: 'complete', actions: 3, error: null });
      expect(await store.lastTicketSync('jira')).toEqual({
        sink: 'jira',
        scanId: scan,
        startedAt: at(1, 2),
        finishedAt: at(1, 4),
        status: 'complete',
        actions: 3,
        error: null,
      });
      expect(await store.lastTicketSync('slack')).toBeNull();

      const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
      await factory.sql(
        store,
        "INSERT INTO ticket_syncs (sink, scan_id, started_at, status, writer_pid, writer_host) VALUES ('jira', ?, ?, 'running', ?, ?)",
        [scan, at(1, 5), gone, hostname()],
      );
      await store.beginTicketSync({ sink: 'jira', scanId: scan, startedAt: at(1, 6) });
      expect(
        await factory.sql(store, "SELECT error FROM ticket_syncs WHERE status = 'failed' AND sink = 'jira'"),
      ).toEqual([{ error: `interrupted: process ${gone} ended before the sync did` }]);
    });
  });
});
