import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import type { FindingDraft } from '../../src/findings/finding.js';
import type { FindingsCarry, SnapshotStore } from '../../src/store/store.js';
import { at, coverage, findingDraft, findingsOf } from '../support/store-records.js';
import { STORE_KINDS, storeFactory } from './store-factory.js';

/**
 * Findings carried forward by the store (schema 9) on both stores: `recordFindings`' `carry` re-records
 * the open findings of the source's newest recording, of the named rules, about identities that did not
 * change, without their drafts; each recording stores the inputs it was made with; a carry checked
 * against another recording is refused and changes nothing.
 */
describe.each(STORE_KINDS)('%s store: findings carried forward', (kind) => {
  const factory = storeFactory(kind);
  let store: SnapshotStore;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  async function scan(day: number): Promise<number> {
    const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
    return (await w.complete([coverage({ 'app-installations': 'complete' })], at(day, 1))).id;
  }

  function draft(fingerprint: string, identity: string, over: Partial<FindingDraft> = {}): FindingDraft {
    return findingDraft(fingerprint, {
      identity: { kind: 'github-app-installation', id: identity, name: `App ${identity}` },
      ...over,
    });
  }

  const read = (scanId: number) => findingsOf(store, scanId);

  const carryFrom = (fromScan: number, over: Partial<FindingsCarry> = {}): FindingsCarry => ({
    platform: 'github',
    tenant: 'acme',
    fromScan,
    inputs: 'inputs-1',
    rules: ['over-privileged'],
    changedIdentities: ['github-app-installation:2'],
    ...over,
  });

  /** Scan 1 records a (identity 1), b (identity 2, critical), c (identity 1, stale) with inputs-1. */
  async function firstRecording(): Promise<number> {
    const s1 = await scan(1);
    await store.recordFindings(
      s1,
      [
        [
          draft('a', '1'),
          draft('b', '2', { severity: 'critical' }),
          draft('c', '1', { rule: 'stale', severity: 'medium' }),
        ],
      ],
      at(1),
      { inputs: 'inputs-1' },
    );
    return s1;
  }

  it('stores the inputs of each recording, null when none are given', async () => {
    const s1 = await firstRecording();
    expect(await store.findingsRecordings()).toEqual([
      { platform: 'github', tenant: 'acme', scanId: s1, inputs: 'inputs-1', asOf: null },
    ]);
    const s2 = await scan(2);
    await store.recordFindings(s2, [[draft('a', '1')]], at(2));
    expect(await store.findingsRecordings()).toEqual([
      { platform: 'github', tenant: 'acme', scanId: s2, inputs: null, asOf: null },
    ]);
  });

  it('carries the open findings of the named rules about unchanged identities, and only those', async () => {
    const s1 = await firstRecording();
    const before = new Map((await read(s1)).map((f) => [f.fingerprint, f]));
    const s2 = await scan(2);
    // Identity 1's stale finding is evaluated again (drafted); its over-privileged one is carried.
    // Identity 2 changed: its finding is neither drafted nor carried, so it is resolved.
    const recorded = await store.recordFindings(
      s2,
      [[draft('c', '1', { rule: 'stale', severity: 'medium' })]],
      at(2),
      { inputs: 'inputs-1', carry: [carryFrom(s1)] },
    );
    expect(recorded).toEqual({
      total: 2,
      added: 0,
      changed: 0,
      unchanged: 2,
      resolved: 1,
      carried: { bySeverity: { high: 1 }, excepted: 0 },
    });
    const now = await read(s2);
    expect(now.map((f) => f.fingerprint)).toEqual(['a', 'c']);
    const a = now.find((f) => f.fingerprint === 'a')!;
    // Same content and first seen; seen again at scan 2.
    expect({ ...a, lastSeen: null, scanId: null }).toEqual({
      ...before.get('a')!,
      lastSeen: null,
      scanId: null,
    });
    expect(a.lastSeen).toBe(at(2));
    const rows = await factory.sql(
      store,
      'SELECT fingerprint, resolved_scan FROM findings ORDER BY fingerprint',
    );
    expect(rows).toEqual([
      { fingerprint: 'a', resolved_scan: null },
      { fingerprint: 'b', resolved_scan: s2 },
      { fingerprint: 'c', resolved_scan: null },
    ]);
  });

  it('counts carried findings accepted by an exception apart from the severities', async () => {
    const s1 = await scan(1);
    const exception: FindingDraft['exception'] = {
      status: 'active',
      reason: 'quarterly',
      approver: 'Erin',
      granted: '2026-01-01',
      expires: '2026-12-31',
      source: { file: 'governance.yaml', line: 4 },
    };
    await store.recordFindings(
      s1,
      [[draft('a', '1', { exception, excepted: true }), draft('d', '3')]],
      at(1),
      {
        inputs: 'inputs-1',
      },
    );
    const s2 = await scan(2);
    const recorded = await store.recordFindings(s2, [], at(2), {
      inputs: 'inputs-1',
      carry: [carryFrom(s1, { changedIdentities: [] })],
    });
    expect(recorded.carried).toEqual({ bySeverity: { high: 1 }, excepted: 1 });
    expect((await read(s2)).map((f) => [f.fingerprint, f.excepted ?? false])).toEqual([
      ['a', true],
      ['d', false],
    ]);
  });

  it('refuses a carry checked against another recording (scan or inputs), changing nothing', async () => {
    const s1 = await firstRecording();
    const s2 = await scan(2);
    for (const carry of [carryFrom(s1, { inputs: 'inputs-2' }), carryFrom(s2)]) {
      await expect(
        store.recordFindings(s2, [[draft('c', '1', { rule: 'stale', severity: 'medium' })]], at(2), {
          inputs: 'inputs-1',
          carry: [carry],
        }),
      ).rejects.toBeInstanceOf(StoreError);
      expect(await store.findingsRecordings()).toEqual([
        { platform: 'github', tenant: 'acme', scanId: s1, inputs: 'inputs-1', asOf: null },
      ]);
      expect((await read(s1)).map((f) => f.fingerprint)).toEqual(['a', 'b', 'c']);
    }
  });

  it("stores each identity's validity and projection (schema 11): kept for carried identities, replaced for evaluated ones, cleared by a recording without carry", async () => {
    const v = (identityKey: string, validUntil: number, projection: string | null = null) => ({
      platform: 'github',
      tenant: 'acme',
      identityKey,
      validUntil,
      projection,
    });
    const drainOf = (entries: ReturnType<typeof v>[]) => ({ drain: () => entries.splice(0) });
    const key = (id: string) => `github-app-installation:${id}`;
    const t = (day: number) => Date.parse(at(day));
    const s1 = await firstRecording();
    const s2 = await scan(2);
    await store.recordFindings(s2, [[draft('a', '1')]], at(2), {
      inputs: 'inputs-1',
      asOf: at(2),
      validity: drainOf([
        v(key('1'), t(5)),
        v(key('2'), Number.NEGATIVE_INFINITY, '{"idle-partner":{"n":2}}'),
        v(key('3'), Number.POSITIVE_INFINITY),
        v(key('4'), Number.POSITIVE_INFINITY, '{"idle-partner":{"n":4}}'),
      ]),
    });
    expect((await store.findingsRecordings())[0]).toMatchObject({ scanId: s2, asOf: at(2) });
    expect(s1).toBeLessThan(s2);
    const expired = async (day: number) =>
      (await store.findingsCarryExpired('github', 'acme', at(day))).sort();
    // -Infinity: always expired; day 5: from day 5 on; Infinity: never (no row).
    expect(await expired(2)).toEqual([key('2')]);
    expect(await expired(5)).toEqual([key('1'), key('2')]);
    const projections = async () => {
      const out: string[] = [];
      for await (const p of store.readCarriedProjections('github', 'acme'))
        out.push(`${p.identityKey} ${p.projection}`);
      return out;
    };
    expect(await projections()).toEqual([
      `${key('2')} {"idle-partner":{"n":2}}`,
      `${key('4')} {"idle-partner":{"n":4}}`,
    ]);
    // Scan 3 carries all but identity 2 (read again: now valid until day 9, no projection).
    const s3 = await scan(3);
    await store.recordFindings(s3, [[draft('a', '1')]], at(3), {
      inputs: 'inputs-1',
      asOf: at(3),
      carry: [carryFrom(s2, { changedIdentities: [key('2')] })],
      validity: drainOf([v(key('2'), t(9))]),
    });
    expect(await expired(5)).toEqual([key('1')]);
    expect(await expired(9)).toEqual([key('1'), key('2')]);
    expect(await projections()).toEqual([`${key('4')} {"idle-partner":{"n":4}}`]);
    // Scan 4 carries nothing: only what it evaluated stays.
    const s4 = await scan(4);
    await store.recordFindings(s4, [[draft('a', '1')]], at(4), {
      inputs: 'inputs-1',
      asOf: at(4),
      validity: drainOf([v(key('3'), t(6))]),
    });
    expect(await expired(9)).toEqual([key('3')]);
    expect(await projections()).toEqual([]);
  });

  it('migrates a database at schema 8: its recordings have no inputs, so nothing is carried from them', async () => {
    const s1 = await firstRecording();
    await factory.sql(store, 'ALTER TABLE finding_sources DROP COLUMN analysis_inputs');
    await factory.sql(store, 'ALTER TABLE finding_sources DROP COLUMN analysis_as_of');
    await factory.sql(store, 'DROP TABLE finding_carry');
    await factory.sql(store, 'DELETE FROM schema_migrations WHERE version >= 9');
    if (kind === 'sqlite') await factory.sql(store, 'PRAGMA user_version = 8');
    const location = store.location;
    await store.close();
    store = await factory.reopen(location);
    expect(await factory.sql(store, 'SELECT max(version) AS v FROM schema_migrations')).toEqual([{ v: 11 }]);
    expect(await store.findingsRecordings()).toEqual([
      { platform: 'github', tenant: 'acme', scanId: s1, inputs: null, asOf: null },
    ]);
  });
});
