import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { at, coverage, findingDraft, findingsOf } from '../support/store-records.js';
import { STORE_KINDS, storeFactory } from './store-factory.js';

/**
 * Findings' last seen kept per source (schema 7) on both stores: an unchanged finding is not rewritten
 * however many scans see it, a recording of one source leaves another's last seen alone, and the
 * documented `findings` view says the same. The schema-4 migration is SQLite's
 * (src/store/sqlite/findings-last-seen.test.ts).
 */
describe.each(STORE_KINDS)('%s store: findings last seen per source', (kind) => {
  const factory = storeFactory(kind);
  let store: SnapshotStore;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });
  const sql = (statement: string, params: unknown[] = []) => factory.sql(store, statement, params);

  const GITHUB = [coverage({ 'app-installations': 'complete' })];
  const M365 = [
    coverage({ 'service-principals': 'complete' }, { platform: 'microsoft365', tenant: 'contoso' }),
  ];

  async function scan(day: number, cov: CoverageReport[] = GITHUB): Promise<number> {
    const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
    return (await w.complete(cov, at(day, 1))).id;
  }

  const draft = findingDraft;
  const read = (scanId: number) => findingsOf(store, scanId);

  const SEEN =
    'SELECT fingerprint, first_seen_scan, last_seen_scan, last_seen_at, resolved_scan FROM findings ORDER BY 1';

  /** Counts the rows of stored_findings updated from now on, in each store's trigger dialect. */
  async function countUpdates(): Promise<() => Promise<number>> {
    await sql('CREATE TABLE writes (fingerprint TEXT)');
    if (kind === 'sqlite') {
      await sql(`CREATE TRIGGER count_updates AFTER UPDATE ON stored_findings
        BEGIN INSERT INTO writes VALUES (new.fingerprint); END`);
    } else {
      await sql(`CREATE FUNCTION count_update() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN INSERT INTO writes VALUES (NEW.fingerprint); RETURN NEW; END $$`);
      await sql(`CREATE TRIGGER count_updates AFTER UPDATE ON stored_findings
        FOR EACH ROW EXECUTE FUNCTION count_update()`);
    }
    return async () => (await sql('SELECT count(*) AS n FROM writes'))[0]!.n as number;
  }

  it('re-records unchanged open findings without writing a row, however high the scan id', async () => {
    const s1 = await scan(1);
    const drafts = Array.from({ length: 50 }, (_, i) => draft(`f${String(i).padStart(3, '0')}`));
    await store.recordFindings(s1, [drafts], at(1, 2));
    const updates = await countUpdates();
    // Past the scan ids where SQLite stores an integer in another byte (127 → 128).
    await sql(
      "INSERT INTO scans (id, started_at, status, tool_version, failure) VALUES (126, ?, 'failed', 't', 'made up to move the scan ids on')",
      [at(1, 3)],
    );
    if (kind === 'postgres') await sql("SELECT setval(pg_get_serial_sequence('scans', 'id'), 126)");
    let last = s1;
    for (let day = 2; day <= 4; day++) {
      last = await scan(day);
      const summary = await store.recordFindings(last, [drafts], at(day, 2));
      expect(summary).toEqual({ total: 50, added: 0, changed: 0, unchanged: 50, resolved: 0 });
    }
    expect(last).toBeGreaterThan(128);
    expect(await updates()).toBe(0);
    // The documented view still says every finding was last seen by the newest scan.
    expect(await sql('SELECT DISTINCT last_seen_scan, last_seen_at FROM findings')).toEqual([
      { last_seen_scan: last, last_seen_at: at(4, 2) },
    ]);
    expect((await read(last)).map((f) => [f.fingerprint, f.firstSeen, f.lastSeen])).toEqual(
      drafts.map((d) => [d.fingerprint, at(1, 2), at(4, 2)]),
    );
    expect(await read(s1)).toEqual([]);
  });

  it('keeps its own last seen for a finding a recording of another source did not resolve', async () => {
    const s1 = await scan(1, [...GITHUB, ...M365]);
    const m = draft('m', { platform: 'microsoft365', tenant: 'contoso' });
    await store.recordFindings(s1, [[draft('g'), draft('h'), m]], at(1, 2));
    // A github-only scan whose rules still produced the Entra finding 'm' (its source not scanned):
    // 'h' is resolved, 'g' and 'm' seen at s2.
    const s2 = await scan(2);
    await store.recordFindings(s2, [[draft('g'), m]], at(2, 2));
    // An Entra-only scan that does not see 'm' any more resolves it; 'g' keeps s2 as its last seen.
    const s3 = await scan(3, M365);
    expect(await store.recordFindings(s3, [], at(3, 2))).toMatchObject({ resolved: 1 });
    const seen = (
      fingerprint: string,
      first: number,
      last: number,
      lastDay: number,
      resolved: number | null,
    ) => ({
      fingerprint,
      first_seen_scan: first,
      last_seen_scan: last,
      last_seen_at: at(lastDay, 2),
      resolved_scan: resolved,
    });
    expect(await sql(SEEN)).toEqual([
      seen('g', s1, s2, 2, null),
      seen('h', s1, s1, 1, s2),
      seen('m', s1, s2, 2, s3),
    ]);
    // 'h' comes back: reopened, first seen kept, last seen the newest recording again.
    const s4 = await scan(4);
    await store.recordFindings(s4, [[draft('g'), draft('h')]], at(4, 2));
    expect(await sql(SEEN)).toEqual([
      seen('g', s1, s4, 4, null),
      seen('h', s1, s4, 4, null),
      seen('m', s1, s2, 2, s3),
    ]);
    expect(
      await sql('SELECT fingerprint FROM stored_findings WHERE last_seen_scan IS NULL ORDER BY 1'),
    ).toEqual([{ fingerprint: 'g' }, { fingerprint: 'h' }]);
  });

  it('lets an unchanged duplicate in a later batch replace a changed one staged earlier', async () => {
    const s1 = await scan(1);
    await store.recordFindings(s1, [[draft('a'), draft('b')]], at(1, 2));
    const s2 = await scan(2);
    const summary = await store.recordFindings(
      s2,
      [[draft('a', { title: 'changed' }), draft('b')], [draft('a')], [draft('b', { title: 'later' })]],
      at(2, 2),
    );
    expect(summary).toEqual({ total: 2, added: 0, changed: 1, unchanged: 1, resolved: 0 });
    expect((await read(s2)).map((f) => [f.fingerprint, f.title])).toEqual([
      ['a', 'finding a'],
      ['b', 'later'],
    ]);
  });
});
