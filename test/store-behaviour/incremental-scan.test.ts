import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import type { ModelRecord } from '../../src/model/index.js';
import { recordKey } from '../../src/model/index.js';
import type { ConnectorStateWrite, SnapshotStore } from '../../src/store/store.js';
import { at, coverage, grant, identity } from '../support/store-records.js';

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

  async function scan(
    records: ModelRecord[],
    cov: CoverageReport[],
    day: number,
    state: ConnectorStateWrite[] = [],
  ) {
    const w = await store.beginScan({ startedAt: at(day), toolVersion: '0.1.0' });
    await w.write(records);
    return w.complete(cov, at(day, 5), state);
  }

  /** The keys of the records open at scan `id`. */
  async function keysAt(id: number): Promise<string[]> {
    const out: string[] = [];
    for await (const b of store.readSnapshot(id)) {
      if (b.identity) out.push(recordKey(b.identity));
      for (const g of b.grants) out.push(recordKey(g));
    }
    return out.sort();
  }

  /** Coverage where `app-installations` read only changes since scan `since`, naming `removed`. */
  function incremental(since: number, removed: string[], status: 'complete' | 'failed' = 'complete') {
    const c = coverage({ 'app-installations': status });
    c.collectors[0]!.incremental = { since, removed };
    return [c];
  }

  const apps = ['1', '2', '3'].flatMap((id) => [identity(id), grant(id, 'contents')]);

  describe('incremental collectors', () => {
    it('carries over the records an incremental collector did not emit again', async () => {
      const first = await scan(apps, [coverage({ 'app-installations': 'complete' })], 1);
      const before = await keysAt(first.id);
      // Only app 2 changed: its grant gains `issues`.
      const second = await scan(
        [identity('2'), grant('2', 'contents'), grant('2', 'issues')],
        incremental(1, []),
        2,
      );
      expect(second.status).toBe('complete');
      expect(await keysAt(second.id)).toEqual([...before, recordKey(grant('2', 'issues'))].sort());
      expect(second.counts).toEqual({ identities: 3, grants: 4, credentials: 0 });
    });

    it('closes exactly the records it names as removed', async () => {
      await scan(apps, [coverage({ 'app-installations': 'complete' })], 1);
      const gone = [
        recordKey(identity('3')),
        recordKey(grant('3', 'contents')),
        recordKey(grant('1', 'contents')),
      ];
      const second = await scan([], incremental(1, gone), 2);
      expect(await keysAt(second.id)).toEqual(
        [recordKey(identity('1')), recordKey(identity('2')), recordKey(grant('2', 'contents'))].sort(),
      );
      expect(second.counts).toEqual({ identities: 2, grants: 1, credentials: 0 });
    });

    it('keeps a record named removed that the scan emitted again', async () => {
      const first = await scan(apps, [coverage({ 'app-installations': 'complete' })], 1);
      const second = await scan(
        [grant('1', 'contents')],
        incremental(1, [recordKey(grant('1', 'contents'))]),
        2,
      );
      expect(await keysAt(second.id)).toEqual(await keysAt(first.id));
    });

    it('closes only records of the collector that named them', async () => {
      const other = identity('9', { collector: 'other' });
      await scan([...apps, other], [coverage({ 'app-installations': 'complete', other: 'complete' })], 1);
      const cov = coverage({ 'app-installations': 'complete', other: 'complete' });
      cov.collectors[0]!.incremental = { since: 1, removed: [recordKey(other)] };
      const second = await scan([other], [cov], 2);
      expect(await keysAt(second.id)).toContain(recordKey(other));
    });

    it('closes the unseen records of a collector read in full, not those of an incremental one beside it', async () => {
      // Both collectors' grants in one table, none written again: only `full`'s are ended.
      const full = ['7', '8'].map((id) => grant(id, 'admin', { collector: 'full' }));
      const first = await scan(
        [...apps, ...full],
        [coverage({ 'app-installations': 'complete', full: 'complete' })],
        1,
      );
      const cov = coverage({ 'app-installations': 'complete', full: 'complete' });
      cov.collectors[0]!.incremental = { since: 1, removed: [] };
      const second = await scan([], [cov], 2);
      const kept = (await keysAt(first.id)).filter((k) => !full.map(recordKey).includes(k));
      expect(await keysAt(second.id)).toEqual(kept);
      expect(second.counts).toEqual({ identities: 3, grants: 3, credentials: 0 });
    });

    it('a failed incremental collector carries everything over, removals included', async () => {
      const first = await scan(apps, [coverage({ 'app-installations': 'complete' })], 1);
      const second = await scan([], incremental(1, [recordKey(identity('3'))], 'failed'), 2);
      expect(second.status).toBe('incomplete');
      expect(await keysAt(second.id)).toEqual(await keysAt(first.id));
    });

    it('records how each collector ran', async () => {
      await scan(apps, [coverage({ 'app-installations': 'complete' })], 1);
      await scan([], incremental(1, []), 2);
      expect(await factory.sql(store, 'SELECT scan_id, mode FROM scan_collectors ORDER BY scan_id')).toEqual([
        { scan_id: 1, mode: 'full' },
        { scan_id: 2, mode: 'incremental' },
      ]);
    });
  });

  describe('connector state', () => {
    const source = 'github:acme';

    it('is committed with the scan and read back by source', async () => {
      expect(await store.readConnectorState(source)).toEqual(new Map());
      await scan(apps, [coverage({ 'app-installations': 'complete' })], 1, [
        { source, key: 'deltaLink', value: 'https://x/delta?$deltatoken=1' },
        { source, key: 'readAt', value: '2026-01-01T00:00:00Z' },
      ]);
      await scan(apps, [coverage({ 'app-installations': 'complete' })], 2, [
        { source, key: 'deltaLink', value: 'https://x/delta?$deltatoken=2' },
        { source, key: 'readAt', value: null },
      ]);
      expect(await store.readConnectorState(source)).toEqual(
        new Map([['deltaLink', { value: 'https://x/delta?$deltatoken=2', scanId: 2 }]]),
      );
      expect(await store.readConnectorState('github:other')).toEqual(new Map());
    });

    it('is not written by a scan that aborts', async () => {
      await scan(apps, [coverage({ 'app-installations': 'complete' })], 1, [
        { source, key: 'deltaLink', value: 'one' },
      ]);
      const w = await store.beginScan({ startedAt: at(2), toolVersion: '0.1.0' });
      await w.write(apps);
      await w.abort('interrupted', at(2, 1));
      expect((await store.readConnectorState(source)).get('deltaLink')).toEqual({ value: 'one', scanId: 1 });
    });

    it('refuses state for a source the scan has no coverage for, and commits nothing', async () => {
      const w = await store.beginScan({ startedAt: at(1), toolVersion: '0.1.0' });
      await w.write(apps);
      await expect(
        w.complete([coverage({ 'app-installations': 'complete' })], at(1, 5), [
          { source: 'microsoft365:t', key: 'deltaLink', value: 'x' },
        ]),
      ).rejects.toThrow(/no coverage report/);
      await w.abort('refused', at(1, 6));
      expect(await store.latestScan()).toBeNull();
      expect(await store.readConnectorState('microsoft365:t')).toEqual(new Map());
    });
  });
});
