import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import { Person, type PersonInput, type ScanRecord } from '../../src/model/index.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { at, coverage, grant, identity } from '../support/store-records.js';
import { STORE_KINDS, storeFactory } from './store-factory.js';

/** People (schema 5) as both stores keep them: versioned rows, out of snapshots and diffs, directory completeness. */
describe.each(STORE_KINDS)('%s store: people', (kind) => {
  const factory = storeFactory(kind);
  let store: SnapshotStore;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  function person(id: string, over: Partial<PersonInput> = {}): Person {
    return Person.parse({
      type: 'person',
      platform: 'github',
      tenant: { id: 'acme', name: 'Acme' },
      nativeId: id,
      name: `user${id}`,
      status: 'active',
      listing: 'directory',
      collector: 'members',
      ...over,
    });
  }

  const covered = (members: 'complete' | 'failed' = 'complete'): CoverageReport[] => [
    coverage({ 'app-installations': 'complete', members }),
  ];

  async function scan(records: ScanRecord[], cov: CoverageReport[], day: number) {
    const w = await store.beginScan({ startedAt: at(day), toolVersion: '0.1.0' });
    await w.write(records);
    return w.complete(cov, at(day, 5), []);
  }

  async function peopleAt(id: number): Promise<string[]> {
    const out: string[] = [];
    for await (const p of store.readPeople(id)) out.push(`${p.nativeId}:${p.status}`);
    return out.sort();
  }

  const rowCount = async () => (await factory.sql(store, 'SELECT count(*) AS n FROM people'))[0]!.n as number;

  const many = Array.from({ length: 200 }, (_, i) => person(String(i + 1)));

  it('stores people as versioned rows: an unchanged rescan adds none, a change adds one', async () => {
    const first = await scan([identity('1'), grant('1', 'contents'), ...many], covered(), 1);
    expect(await rowCount()).toBe(200);
    const second = await scan([identity('1'), grant('1', 'contents'), ...many], covered(), 2);
    expect(await rowCount()).toBe(200);
    expect(second.counts).toEqual(first.counts);
    const changed = many.map((p) => (p.nativeId === '7' ? person('7', { status: 'suspended' }) : p));
    const third = await scan([identity('1'), grant('1', 'contents'), ...changed], covered(), 3);
    expect(await rowCount()).toBe(201);
    expect(await peopleAt(third.id)).toContain('7:suspended');
    expect(await peopleAt(second.id)).toContain('7:active');
    // The documented view reads the same versions.
    expect(
      await factory.sql(
        store,
        "SELECT status FROM person_versions WHERE native_id = '7' ORDER BY valid_from",
      ),
    ).toEqual([{ status: 'active' }, { status: 'suspended' }]);
  });

  it('keeps people out of snapshots and diffs', async () => {
    const first = await scan([identity('1'), person('1')], covered(), 1);
    const second = await scan([identity('1'), person('2')], covered(), 2);
    const bundles = [];
    for await (const b of store.readSnapshot(second.id)) bundles.push(b);
    expect(bundles.map((b) => b.identityKey)).toEqual(['github-app-installation:1']);
    const changes = [];
    for await (const c of store.changesBetween(first.id, second.id)) changes.push(c);
    expect(changes).toEqual([]);
    expect(await peopleAt(second.id)).toEqual(['2:active']);
  });

  it('says the directory is complete only when the collector that listed it completed', async () => {
    const first = await scan([identity('1'), person('1'), person('2')], covered(), 1);
    expect(await store.peopleDirectories(first.id)).toEqual([
      { source: 'github:acme', platform: 'github', tenant: 'acme', complete: true, people: 2 },
    ]);
    // The member list failed: person 2 was not listed again, but is carried over, and nothing is complete.
    const second = await scan([identity('1'), person('1')], covered('failed'), 2);
    expect(await peopleAt(second.id)).toEqual(['1:active', '2:active']);
    expect((await store.peopleDirectories(second.id))[0]!.complete).toBe(false);
    // Complete again: person 2 is gone from the complete listing.
    const third = await scan([identity('1'), person('1')], covered(), 3);
    expect(await peopleAt(third.id)).toEqual(['1:active']);
    expect((await store.peopleDirectories(third.id))[0]!.complete).toBe(true);
  });

  it('is never complete from people seen only by reference', async () => {
    const first = await scan([identity('1'), person('1', { listing: 'reference' })], covered(), 1);
    expect((await store.peopleDirectories(first.id))[0]).toMatchObject({ complete: false, people: 1 });
  });
});
