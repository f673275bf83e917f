import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import type { ModelRecord } from '../../src/model/index.js';
import type { RecordChange, SnapshotFilter, SnapshotStore } from '../../src/store/store.js';
import { at, coverage, credential, grant, identity } from '../support/store-records.js';

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

  const ALL = [coverage({ 'app-installations': 'complete', 'deploy-keys': 'complete' })];

  async function scan(day: number, records: ModelRecord[], cov: CoverageReport[] = ALL): Promise<number> {
    const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
    await w.write(records);
    return (await w.complete(cov, at(day, 1))).id;
  }

  async function changes(a: number, b: number, filter?: SnapshotFilter): Promise<RecordChange[]> {
    const out: RecordChange[] = [];
    for await (const c of store.changesBetween(a, b, filter)) out.push(c);
    return out;
  }

  const summary = (cs: RecordChange[]) =>
    cs.map((c) => [c.type, c.key, c.before === null ? '-' : 'before', c.after === null ? '-' : 'after']);

  const write = { id: 'contents', name: 'contents', access: 'write' } as const;

  describe('changesBetween', () => {
    it('pairs versions into before/after, ordered by type, source and key', async () => {
      const s1 = await scan(1, [
        identity('1'),
        grant('1', 'contents'),
        grant('1', 'issues'),
        credential('k', '1'),
        identity('2'),
      ]);
      const s2 = await scan(2, [
        identity('1', { displayName: 'Renamed' }),
        grant('1', 'contents', { permission: write }),
        grant('1', 'pulls'),
        credential('k', '1'),
        identity('3'),
      ]);
      const cs = await changes(s1, s2);
      expect(summary(cs)).toEqual([
        ['identity', 'github-app-installation:1', 'before', 'after'],
        ['identity', 'github-app-installation:2', 'before', '-'],
        ['identity', 'github-app-installation:3', '-', 'after'],
        ['grant', 'github-app-installation:1||contents||', 'before', 'after'],
        ['grant', 'github-app-installation:1||issues||', 'before', '-'],
        ['grant', 'github-app-installation:1||pulls||', '-', 'after'],
      ]);
      const contents = cs[3]!;
      expect(contents.source).toBe('github:acme');
      expect(contents.before).toEqual(grant('1', 'contents'));
      expect(contents.after).toEqual(grant('1', 'contents', { permission: write }));
    });

    it('spans several scans and works in either direction', async () => {
      const s1 = await scan(1, [identity('1'), grant('1', 'a')]);
      await scan(2, [
        identity('1'),
        grant('1', 'a', { permission: { id: 'a', name: 'a', access: 'write' } }),
      ]);
      const s3 = await scan(3, [
        identity('1'),
        grant('1', 'a', { permission: { id: 'a', name: 'a', access: 'admin' } }),
        grant('1', 'b'),
      ]);
      const forward = await changes(s1, s3);
      expect(summary(forward)).toEqual([
        ['grant', 'github-app-installation:1||a||', 'before', 'after'],
        ['grant', 'github-app-installation:1||b||', '-', 'after'],
      ]);
      expect((forward[0]!.before as { permission: { access: string } }).permission.access).toBe('read');
      expect((forward[0]!.after as { permission: { access: string } }).permission.access).toBe('admin');
      const backward = await changes(s3, s1);
      expect(summary(backward)).toEqual([
        ['grant', 'github-app-installation:1||a||', 'before', 'after'],
        ['grant', 'github-app-installation:1||b||', 'before', '-'],
      ]);
      expect(backward[0]!.before).toEqual(forward[0]!.after);
      expect(await changes(s3, s3)).toEqual([]);
    });

    it('does not report a record that went away and came back unchanged', async () => {
      const s1 = await scan(1, [identity('1'), grant('1', 'a')]);
      await scan(2, [identity('1')]);
      const s3 = await scan(3, [identity('1'), grant('1', 'a')]);
      expect(await changes(s1, s3)).toEqual([]);
      expect(summary(await changes(s1, s3 - 1))).toEqual([
        ['grant', 'github-app-installation:1||a||', 'before', '-'],
      ]);
    });

    it('never reports carried-over records of a failed collector as removed', async () => {
      const s1 = await scan(1, [
        identity('1'),
        grant('1', 'a'),
        identity('k', { kind: 'deploy-key', collector: 'deploy-keys' }),
      ]);
      const s2 = await scan(
        2,
        [],
        [coverage({ 'app-installations': 'failed', 'deploy-keys': 'unavailable' })],
      );
      expect(await changes(s1, s2)).toEqual([]);
    });

    it('compares only sources both scans looked at, and filters', async () => {
      const m365 = { platform: 'microsoft365', tenant: 'contoso' };
      const spTenant = { platform: 'microsoft365', tenant: { id: 'contoso', name: null } } as const;
      const sp = (id: string) =>
        identity(id, { ...spTenant, kind: 'service-principal', collector: 'service-principals' });
      const s1 = await scan(
        1,
        [identity('1'), sp('a')],
        [...ALL, coverage({ 'service-principals': 'complete' }, m365)],
      );
      const s2 = await scan(2, [], ALL);
      const s3 = await scan(
        3,
        [identity('2'), sp('b')],
        [...ALL, coverage({ 'service-principals': 'complete' }, m365)],
      );
      // Scan 2 did not look at Microsoft 365: nothing of it is compared.
      expect(summary(await changes(s1, s2))).toEqual([
        ['identity', 'github-app-installation:1', 'before', '-'],
      ]);
      const all = await changes(s1, s3);
      expect(summary(all)).toEqual([
        ['identity', 'github-app-installation:1', 'before', '-'],
        ['identity', 'github-app-installation:2', '-', 'after'],
        ['identity', 'service-principal:a', 'before', '-'],
        ['identity', 'service-principal:b', '-', 'after'],
      ]);
      expect(all.map((c) => c.source)).toEqual([
        'github:acme',
        'github:acme',
        'microsoft365:contoso',
        'microsoft365:contoso',
      ]);
      expect(summary(await changes(s1, s3, { platform: 'microsoft365' })).map((c) => c[1])).toEqual([
        'service-principal:a',
        'service-principal:b',
      ]);
      expect(summary(await changes(s1, s3, { kinds: ['github-app-installation'] })).map((c) => c[1])).toEqual(
        ['github-app-installation:1', 'github-app-installation:2'],
      );
    });

    it('refuses scans without a snapshot', async () => {
      const s1 = await scan(1, [identity('1')]);
      const w = await store.beginScan({ startedAt: at(2), toolVersion: 't' });
      await expect(changes(s1, w.scanId)).rejects.toThrow(/is running; only completed scans have a snapshot/);
      await w.abort('x', at(2, 1));
    });
  });
});
