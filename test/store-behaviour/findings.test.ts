import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import type { Finding, FindingDraft } from '../../src/findings/finding.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { at, coverage, findingDraft } from '../support/store-records.js';

import { STORE_KINDS, storeFactory } from './store-factory.js';

describe.each(STORE_KINDS)('%s store', (kind) => {
  const factory = storeFactory(kind);
  let store: SnapshotStore;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  const GITHUB = [coverage({ 'app-installations': 'complete' })];
  const M365 = [
    coverage({ 'service-principals': 'complete' }, { platform: 'microsoft365', tenant: 'contoso' }),
  ];

  async function scan(day: number, cov: CoverageReport[] = GITHUB): Promise<number> {
    const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
    return (await w.complete(cov, at(day, 1))).id;
  }

  function draft(fingerprint: string, over: Partial<FindingDraft> = {}): FindingDraft {
    return findingDraft(fingerprint, {
      evidence: { grants: ['administration:write'], tier: 'high' },
      frameworks: { owaspNhi: ['NHI5'], nistCsf: ['PR.AA-05'], other: [] },
      ...over,
    });
  }

  /** Records `drafts` as one batch and reads back what the store holds as seen at `scanId`. */
  async function record(scanId: number, drafts: FindingDraft[], seenAt: string): Promise<Finding[]> {
    await store.recordFindings(scanId, [drafts], seenAt);
    const out: Finding[] = [];
    for await (const f of store.readFindings(scanId)) out.push(f);
    return out;
  }

  describe('recordFindings', () => {
    it('keeps first seen, moves last seen, resolves what is gone and reopens what comes back', async () => {
      const s1 = await scan(1);
      const f1 = await record(s1, [draft('a'), draft('b')], at(1, 2));
      expect(f1).toEqual([
        { ...draft('a'), firstSeen: at(1, 2), lastSeen: at(1, 2), scanId: s1 },
        { ...draft('b'), firstSeen: at(1, 2), lastSeen: at(1, 2), scanId: s1 },
      ]);
      const s2 = await scan(2);
      const f2 = await record(s2, [draft('a', { severity: 'critical' })], at(2, 2));
      expect(f2).toEqual([
        { ...draft('a', { severity: 'critical' }), firstSeen: at(1, 2), lastSeen: at(2, 2), scanId: s2 },
      ]);
      const history = await store.findingHistory(['a', 'b', 'zzz']);
      expect(Object.fromEntries(history)).toEqual({
        a: { firstSeen: at(1, 2), lastSeen: at(2, 2), firstScan: s1, lastScan: s2 },
        b: { firstSeen: at(1, 2), lastSeen: at(1, 2), firstScan: s1, lastScan: s1 },
      });
      expect(
        await factory.sql(
          store,
          'SELECT fingerprint, resolved_scan, resolved_at, severity FROM findings ORDER BY 1',
        ),
      ).toEqual([
        { fingerprint: 'a', resolved_scan: null, resolved_at: null, severity: 'critical' },
        { fingerprint: 'b', resolved_scan: s2, resolved_at: at(2, 2), severity: 'high' },
      ]);
      const s3 = await scan(3);
      const f3 = await record(s3, [draft('a'), draft('b')], at(3, 2));
      expect(f3.map((f) => [f.fingerprint, f.firstSeen])).toEqual([
        ['a', at(1, 2)],
        ['b', at(1, 2)],
      ]);
      expect((await factory.sql(store, 'SELECT count(*) AS n FROM open_findings'))[0]!.n).toBe(2);
      expect(
        JSON.parse(
          (await factory.sql(store, "SELECT evidence FROM findings WHERE fingerprint = 'a'"))[0]!
            .evidence as string,
        ),
      ).toEqual(draft('a').evidence);
    });

    it('reads one severity at a time, in fingerprint order, when asked', async () => {
      const s1 = await scan(1);
      const drafts = [
        draft('d', { severity: 'low' }),
        draft('a', { severity: 'critical' }),
        draft('c', { severity: 'critical' }),
        draft('b', { severity: 'low' }),
        draft('e', { severity: 'high' }),
      ];
      await store.recordFindings(s1, [drafts], at(1, 2));
      const read = async (severity: FindingDraft['severity']) => {
        const out: string[] = [];
        for await (const f of store.readFindings(s1, { severity }))
          out.push(`${f.fingerprint}:${f.severity}`);
        return out;
      };
      expect(await read('critical')).toEqual(['a:critical', 'c:critical']);
      expect(await read('low')).toEqual(['b:low', 'd:low']);
      expect(await read('medium')).toEqual([]);
      expect((await record(s1, drafts, at(1, 2))).map((f) => f.fingerprint)).toEqual([
        'a',
        'b',
        'c',
        'd',
        'e',
      ]);
    });

    it('resolves only findings of the platforms and tenants the scan covered', async () => {
      const s1 = await scan(1, [...GITHUB, ...M365]);
      const ms = draft('m', { platform: 'microsoft365', tenant: 'contoso' });
      await record(s1, [draft('g'), ms], at(1, 2));
      const s2 = await scan(2, M365);
      await record(s2, [], at(2, 2));
      const s3 = await scan(3, GITHUB);
      await record(s3, [draft('g')], at(3, 2));
      expect(await factory.sql(store, 'SELECT fingerprint, resolved_scan FROM findings ORDER BY 1')).toEqual([
        { fingerprint: 'g', resolved_scan: null },
        { fingerprint: 'm', resolved_scan: s2 },
      ]);
    });

    it('keeps the last of duplicate drafts, and refuses scans without a snapshot', async () => {
      const s1 = await scan(1);
      const out = await record(s1, [draft('a'), draft('a', { title: 'second' })], at(1, 2));
      expect(out.map((f) => f.title)).toEqual(['second']);
      const w = await store.beginScan({ startedAt: at(2), toolVersion: 't' });
      await expect(record(w.scanId, [draft('a')], at(2, 1))).rejects.toThrow(/is running/);
      await w.abort('x', at(2, 2));
    });

    it('keeps the last of duplicate drafts across batches, whether it is new, changed or unchanged', async () => {
      const s1 = await scan(1);
      await record(s1, [draft('a'), draft('b')], at(1, 2));
      const s2 = await scan(2);
      // Each fingerprint twice, in two batches: the second draft of each decides what is stored.
      const summary = await store.recordFindings(
        s2,
        [
          [draft('a', { title: 'changed, then back' }), draft('b'), draft('n', { title: 'new 1' })],
          [draft('a'), draft('b', { title: 'changed last' }), draft('n', { title: 'new 2' })],
        ],
        at(2, 2),
      );
      expect(summary).toEqual({ total: 3, added: 1, changed: 1, unchanged: 1, resolved: 0 });
      expect(
        await factory.sql(
          store,
          'SELECT fingerprint, title, first_seen_scan, last_seen_scan FROM findings ORDER BY 1',
        ),
      ).toEqual([
        { fingerprint: 'a', title: 'finding a', first_seen_scan: s1, last_seen_scan: s2 },
        { fingerprint: 'b', title: 'changed last', first_seen_scan: s1, last_seen_scan: s2 },
        { fingerprint: 'n', title: 'new 2', first_seen_scan: s2, last_seen_scan: s2 },
      ]);
    });

    // Counts rewrites with a SQLite trigger: SQLite only (the PostgreSQL store shares the merge's SQL).
    it.runIf(kind === 'sqlite')(
      're-records an unchanged finding without rewriting it: only its last seen moves, in bulk',
      async () => {
        const s1 = await scan(1);
        const drafts = [draft('a'), draft('b'), draft('c')];
        expect(await store.recordFindings(s1, [drafts.slice(0, 2), drafts.slice(2)], at(1, 2))).toEqual({
          total: 3,
          added: 3,
          changed: 0,
          unchanged: 0,
          resolved: 0,
        });
        // A trigger counts every write that touches a finding's content columns.
        const raw = new Database(store.location);
        raw.exec(`CREATE TABLE rewrites (fingerprint TEXT);
      CREATE TRIGGER count_rewrites AFTER UPDATE OF title, evidence, severity ON stored_findings
      BEGIN INSERT INTO rewrites VALUES (new.fingerprint); END;`);
        const s2 = await scan(2);
        const summary = await store.recordFindings(
          s2,
          [[draft('a'), draft('b', { title: 'new title' })]],
          at(2, 2),
        );
        expect(summary).toEqual({ total: 2, added: 0, changed: 1, unchanged: 1, resolved: 1 });
        expect(raw.prepare('SELECT fingerprint FROM rewrites').pluck().all()).toEqual(['b']);
        expect(
          await factory.sql(
            store,
            'SELECT fingerprint, first_seen_scan, last_seen_scan, resolved_scan, title FROM findings ORDER BY 1',
          ),
        ).toEqual([
          {
            fingerprint: 'a',
            first_seen_scan: s1,
            last_seen_scan: s2,
            resolved_scan: null,
            title: 'finding a',
          },
          {
            fingerprint: 'b',
            first_seen_scan: s1,
            last_seen_scan: s2,
            resolved_scan: null,
            title: 'new title',
          },
          {
            fingerprint: 'c',
            first_seen_scan: s1,
            last_seen_scan: s1,
            resolved_scan: s2,
            title: 'finding c',
          },
        ]);
        // Reopened with the same content: no rewrite either, first seen kept.
        const s3 = await scan(3);
        expect(await store.recordFindings(s3, [[draft('c'), draft('a')]], at(3, 2))).toMatchObject({
          total: 2,
          unchanged: 2,
          resolved: 1,
        });
        expect(raw.prepare('SELECT count(*) FROM rewrites').pluck().get()).toBe(1);
        const c = raw.prepare("SELECT * FROM findings WHERE fingerprint = 'c'").get();
        expect(c).toMatchObject({
          first_seen_scan: s1,
          last_seen_scan: s3,
          resolved_scan: null,
          resolved_at: null,
        });
        expect(
          (await record(s3, [draft('c'), draft('a')], at(3, 2))).map((f) => [f.fingerprint, f.firstSeen]),
        ).toEqual([
          ['a', at(1, 2)],
          ['c', at(1, 2)],
        ]);
        raw.close();
      },
    );

    it('records nothing when the drafts fail part-way', async () => {
      const s1 = await scan(1);
      async function* failing() {
        yield [draft('a')];
        throw new Error('rules crashed');
      }
      await expect(store.recordFindings(s1, failing(), at(1, 2))).rejects.toThrow('rules crashed');
      expect((await factory.sql(store, 'SELECT count(*) AS n FROM findings'))[0]!.n).toBe(0);
    });
  });
});
