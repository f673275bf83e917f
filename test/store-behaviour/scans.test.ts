import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../src/connector/coverage.js';
import { StoreError } from '../../src/errors.js';
import type { ModelRecord } from '../../src/model/index.js';
import type { IdentityBundle, SnapshotStore } from '../../src/store/store.js';
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

  const ALL = { 'app-installations': 'complete', 'deploy-keys': 'complete' } as const;

  async function scan(records: ModelRecord[], cov: CoverageReport[] = [coverage(ALL)], day = 1) {
    const w = await store.beginScan({ startedAt: at(day), toolVersion: '0.1.0', label: `day ${day}` });
    await w.write(records);
    return w.complete(cov, at(day, 5));
  }

  async function snapshot(scanId: number, filter = {}): Promise<IdentityBundle[]> {
    const out: IdentityBundle[] = [];
    for await (const b of store.readSnapshot(scanId, filter)) out.push(b);
    return out;
  }

  /** Version rows per table, read through a separate connection. */
  async function versionRows(): Promise<Record<string, number>> {
    const count = async (t: string) =>
      (await factory.sql(store, `SELECT count(*) AS n FROM ${t}`))[0]!.n as number;
    return {
      identities: await count('identities'),
      grants: await count('grants'),
      credentials: await count('credentials'),
    };
  }

  const app = (id: string) => [identity(id), grant(id, 'contents'), grant(id, 'issues')];
  const deployKey = (id: string) => [
    identity(id, { kind: 'deploy-key', collector: 'deploy-keys' }),
    credential(id, `k${id}`),
  ];

  describe('scans', () => {
    it('round-trips every record type exactly', async () => {
      const records = [
        identity('1', {
          attributes: { appId: 'x', events: ['push', 'pull_request'], nested: { b: 1, a: [true, null] } },
          raw: {
            id: 1,
            permissions: { contents: 'write' },
            '10': 'ten',
            '9': 'nine',
            emoji: '🔑',
            quote: 'a"b',
          },
          lastUsed: { at: null, source: 'github:never' },
        }),
        grant('1', 'contents', {
          permission: { id: 'contents', name: 'contents', access: 'write', nativeLevel: 'write' },
          target: { breadth: 'selected', type: 'repository', resources: ['acme/a', 'acme/b'], count: 2 },
          principal: { id: 'alice', active: false },
          grantedAt: '2025-02-03T04:05:06Z',
        }),
        ...deployKey('2'),
      ];
      const s = await scan(records);
      const bundles = await snapshot(s.id);
      expect(bundles.map((b) => b.identityKey)).toEqual(['deploy-key:2', 'github-app-installation:1']);
      expect(bundles[1]!.identity).toEqual(records[0]);
      expect(bundles[1]!.grants).toEqual([records[1]]);
      expect(bundles[0]!.identity).toEqual(records[2]);
      expect(bundles[0]!.credentials).toEqual([records[3]]);
      expect(s.counts).toEqual({ identities: 2, grants: 1, credentials: 1 });
    });

    it('round-trips tabs, newlines and backslashes in keys and text, and sees them unchanged next scan', async () => {
      const odd = 'a\tb\\c\nd\re\\\\';
      const records = [
        identity(odd, {
          displayName: `App\t${odd}`,
          raw: { path: 'C:\\Program Files\\x', line: 'one\ntwo' },
        }),
        grant(odd, 'contents', { principal: { id: `\\N${odd}`, active: true } }),
      ];
      const s1 = await scan(records);
      const bundles = await snapshot(s1.id);
      expect(bundles.map((b) => b.identityKey)).toEqual([`github-app-installation:${odd}`]);
      expect(bundles[0]!.identity).toEqual(records[0]);
      expect(bundles[0]!.grants).toEqual([records[1]]);
      const rowsBefore = await versionRows();
      const s2 = await scan(records, undefined, 2);
      expect(await versionRows()).toEqual(rowsBefore);
      expect(await snapshot(s2.id)).toEqual(bundles);
    });

    it('records the scan with its coverage, per source and collector', async () => {
      const cov = coverage({
        'app-installations': 'complete',
        'deploy-keys': 'failed',
        'sso-credentials': 'skipped',
      });
      cov.collectors[1]!.notes = ['GET /orgs/acme/keys returned 500'];
      const s = await scan(app('1'), [cov]);
      expect(s).toMatchObject({
        status: 'incomplete',
        label: 'day 1',
        toolVersion: '0.1.0',
        startedAt: at(1),
      });
      expect(s.finishedAt).toBe(at(1, 5));
      expect(s.sources).toEqual([
        {
          source: 'github:acme',
          connector: 'github',
          platform: 'github',
          tenant: 'acme',
          status: 'incomplete',
          requests: 3,
          collectors: cov.collectors.slice().sort((a, b) => a.collector.localeCompare(b.collector)),
        },
      ]);
      expect(await store.getScan(s.id)).toEqual(s);
    });

    it('writes no new version rows when nothing changed', async () => {
      await scan([...app('1'), ...deployKey('2')], undefined, 1);
      const before = await versionRows();
      const second = await scan([...deployKey('2'), ...app('1')].reverse(), undefined, 2);
      expect(await versionRows()).toEqual(before);
      expect(second.counts).toEqual({ identities: 2, grants: 2, credentials: 1 });
      expect((await snapshot(second.id)).map((b) => b.grants.length)).toEqual([0, 2]);
    });

    it('stores a changed record as a new version and keeps the old one for the earlier scan', async () => {
      const s1 = await scan(app('1'), undefined, 1);
      const widened = grant('1', 'contents', {
        permission: { id: 'contents', name: 'contents', access: 'admin' },
      });
      const s2 = await scan([identity('1'), widened, grant('1', 'issues')], undefined, 2);
      expect((await versionRows()).grants).toBe(3);
      expect((await snapshot(s1.id))[0]!.grants.map((g) => g.permission.access)).toEqual(['read', 'read']);
      expect((await snapshot(s2.id))[0]!.grants.map((g) => g.permission.access)).toEqual(['admin', 'read']);
    });

    it('closes records a complete collector no longer returns', async () => {
      await scan([...app('1'), ...deployKey('2')], undefined, 1);
      const s2 = await scan(
        [
          identity('1'),
          grant('1', 'contents'),
          identity('2', { kind: 'deploy-key', collector: 'deploy-keys' }),
        ],
        undefined,
        2,
      );
      const [key, app1] = await snapshot(s2.id);
      expect(app1!.grants.map((g) => g.permission.id)).toEqual(['contents']);
      expect(key!.credentials).toEqual([]);
      expect(s2.counts).toEqual({ identities: 2, grants: 1, credentials: 0 });
    });

    it('treats a skipped collector as authoritative: its records are closed', async () => {
      await scan([...app('1'), ...deployKey('2')], undefined, 1);
      const s2 = await scan(
        app('1'),
        [coverage({ 'app-installations': 'complete', 'deploy-keys': 'skipped' })],
        2,
      );
      expect(s2.status).toBe('complete');
      expect((await snapshot(s2.id)).map((b) => b.identityKey)).toEqual(['github-app-installation:1']);
    });

    it.each([
      ['failed', { 'app-installations': 'complete', 'deploy-keys': 'failed' }, 'incomplete'],
      ['unavailable', { 'app-installations': 'complete', 'deploy-keys': 'unavailable' }, 'complete'],
      ['missing from coverage', { 'app-installations': 'complete' }, 'complete'],
    ] as const)('carries over the records of a collector that is %s', async (_, collectors, status) => {
      const s1 = await scan([...app('1'), ...deployKey('2')], undefined, 1);
      const s2 = await scan(app('1'), [coverage(collectors)], 2);
      expect(s2.status).toBe(status);
      expect(await snapshot(s2.id)).toEqual(await snapshot(s1.id));
      expect(s2.counts).toEqual(s1.counts);
    });

    it('leaves sources that are not in the scan untouched', async () => {
      const m365 = { platform: 'microsoft365', tenant: 'contoso' };
      const sp = identity('sp1', {
        platform: 'microsoft365',
        tenant: { id: 'contoso', name: null },
        kind: 'service-principal',
        collector: 'service-principals',
      });
      const s1 = await scan(
        [...app('1'), sp],
        [coverage(ALL), coverage({ 'service-principals': 'complete' }, m365)],
        1,
      );
      const s2 = await scan([], [coverage({ 'service-principals': 'complete' }, m365)], 2);
      expect(await snapshot(s2.id)).toEqual([]);
      expect((await snapshot(s1.id)).map((b) => b.source)).toEqual(['github:acme', 'microsoft365:contoso']);
      const s3 = await scan(app('1'), [coverage(ALL)], 3);
      expect((await snapshot(s3.id)).map((b) => b.identityKey)).toEqual(['github-app-installation:1']);
      expect(await versionRows()).toEqual({ identities: 2, grants: 2, credentials: 0 });
    });

    it('hides what a running scan wrote until it completes', async () => {
      const s1 = await scan(app('1'), undefined, 1);
      const w = await store.beginScan({ startedAt: at(2), toolVersion: '0.1.0' });
      await w.write([identity('9'), ...Array.from({ length: 2500 }, (_, i) => grant('9', `p${i}`))]);
      const count = async (t: string) => (await factory.sql(store, `SELECT count(*) AS n FROM ${t}`))[0]!.n;
      expect(await count('current_grants')).toBe(2);
      expect(await count('grants')).toBe(2);
      expect((await store.latestScan())?.id).toBe(s1.id);
      expect((await snapshot(s1.id)).length).toBe(1);
      const s2 = await w.complete([coverage(ALL)], at(2, 5));
      expect(await count('current_grants')).toBe(2500);
      expect(s2.counts.grants).toBe(2500);
    });

    // PostgreSQL's COPY can take chunk after chunk without the loop turning (SQLite writes synchronously).
    it.runIf(kind === 'postgres')(
      'lets the event loop turn while a large write streams in (timers keep running)',
      async () => {
        const w = await store.beginScan({ startedAt: at(1), toolVersion: '0.1.0' });
        let turned = 0;
        const immediate = () => {
          turned++;
        };
        for (let batch = 0; batch < 3; batch++) {
          setImmediate(immediate);
          await w.write(Array.from({ length: 1500 }, (_, i) => grant('1', `p${batch}-${i}`)));
          expect(turned).toBe(batch + 1);
        }
        await w.abort('done', at(1, 1));
      },
    );

    it('abort marks the scan failed and changes no records', async () => {
      const s1 = await scan(app('1'), undefined, 1);
      const before = await versionRows();
      const w = await store.beginScan({ startedAt: at(2), toolVersion: '0.1.0' });
      await w.write([grant('1', 'admin'), ...Array.from({ length: 1500 }, (_, i) => grant('2', `p${i}`))]);
      await w.abort('github: connection reset', at(2, 1));
      expect(await versionRows()).toEqual(before);
      expect(await store.getScan(w.scanId)).toMatchObject({ status: 'failed', finishedAt: at(2, 1) });
      expect((await store.latestScan())?.id).toBe(s1.id);
      await expect(w.write([identity('3')])).rejects.toThrow(/finished/);
      const s3 = await scan(app('1'), undefined, 3);
      expect(await snapshot(s3.id)).toEqual(await snapshot(s1.id));
    });

    describe('a record written twice in one scan: the last write wins', () => {
      const changed = grant('1', 'contents', {
        permission: { id: 'contents', name: 'contents', access: 'write' },
      });
      it.each([
        [
          'new, then changed again',
          [],
          [grant('1', 'x'), grant('1', 'x', { risk: { tier: 'high' } })],
          'high',
        ],
        ['unchanged, then changed', app('1'), [grant('1', 'contents'), changed], 'write'],
        ['changed, then back to unchanged', app('1'), [changed, grant('1', 'contents')], 'read'],
        [
          'changed, then changed again',
          app('1'),
          [changed, grant('1', 'contents', { risk: { tier: 'critical' } })],
          'critical',
        ],
        ['unchanged twice', app('1'), [grant('1', 'contents'), grant('1', 'contents')], 'read'],
      ])('%s', async (_, first, writes, expected) => {
        if (first.length > 0) await scan(first, undefined, 1);
        const rowsBefore = (await versionRows()).grants;
        const w = await store.beginScan({ startedAt: at(2), toolVersion: '0.1.0' });
        await w.write([writes[0]!]);
        await w.write([writes[1]!]);
        const s = await w.complete([coverage({ 'app-installations': 'unavailable' })], at(2, 5));
        const written = (await snapshot(s.id))[0]!.grants.find(
          (g) => g.permission.id === writes[0]!.permission.id,
        )!;
        expect([written.permission.access, written.risk.tier]).toContain(expected);
        expect(s.counts.grants).toBe(first.length === 0 ? 1 : 2);
        // Reverting to the earlier content reopens that version instead of storing a copy.
        if (expected === 'read') expect((await versionRows()).grants).toBe(rowsBefore);
      });
    });

    it('refuses records of a source the coverage does not report, and can still be aborted', async () => {
      const w = await store.beginScan({ startedAt: at(1), toolVersion: '0.1.0' });
      await w.write(app('1'));
      await expect(w.complete([coverage(ALL, { tenant: 'other' })], at(1, 5))).rejects.toThrow(
        `${store.location}: records were written for github:acme but the coverage has no report for it`,
      );
      await expect(w.complete([coverage(ALL), coverage(ALL)], at(1, 5))).rejects.toThrow(
        /lists source github:acme twice/,
      );
      const s = await w.complete([coverage(ALL)], at(1, 5));
      expect(s.counts.grants).toBe(2);
    });

    it('refuses to commit over a source another scan committed after this one began', async () => {
      const a = await store.beginScan({ startedAt: at(1), toolVersion: '0.1.0' });
      const b = await store.beginScan({ startedAt: at(1, 1), toolVersion: '0.1.0' });
      await b.write(app('1'));
      await b.complete([coverage(ALL)], at(1, 2));
      await a.write([identity('2')]);
      const err = await a.complete([coverage(ALL)], at(1, 3)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toContain(
        `scan ${b.scanId} of github:acme completed after scan ${a.scanId} began`,
      );
      await a.abort('superseded', at(1, 4));
      const c = await store.beginScan({ startedAt: at(1, 5), toolVersion: '0.1.0' });
      await expect(c.write([identity('1')])).resolves.toBeUndefined();
      await c.abort('done', at(1, 6));
      // Writing a key the newer scan already versioned is caught when the batch reaches SQLite.
      const d = await store.beginScan({ startedAt: at(2), toolVersion: '0.1.0' });
      await scan(app('1').concat(identity('5')), undefined, 3);
      await d.write([identity('5')]);
      await expect(d.complete([coverage(ALL)], at(2, 1))).rejects.toThrow(
        `scan ${d.scanId + 1} of github:acme completed after scan ${d.scanId} began`,
      );
      await d.abort('superseded', at(2, 1));
    });

    it('completes a scan that wrote nothing', async () => {
      const s = await scan([], [], 1);
      expect(s).toMatchObject({
        status: 'complete',
        sources: [],
        counts: { identities: 0, grants: 0, credentials: 0 },
      });
    });
  });

  describe('listing scans', () => {
    it('lists newest first, filters by status, and finds the latest committed scan', async () => {
      const s1 = await scan(app('1'), undefined, 1);
      const s2 = await scan(app('1'), [coverage({ 'app-installations': 'failed' })], 2);
      const w = await store.beginScan({ startedAt: at(3), toolVersion: '0.1.0' });
      await w.abort('cancelled', at(3, 1));
      const running = await store.beginScan({ startedAt: at(4), toolVersion: '0.1.0' });
      expect((await store.listScans()).map((s) => [s.id, s.status])).toEqual([
        [running.scanId, 'running'],
        [w.scanId, 'failed'],
        [s2.id, 'incomplete'],
        [s1.id, 'complete'],
      ]);
      expect((await store.listScans({ limit: 2 })).map((s) => s.id)).toEqual([running.scanId, w.scanId]);
      expect((await store.listScans({ status: ['complete'] })).map((s) => s.id)).toEqual([s1.id]);
      expect((await store.latestScan())?.id).toBe(s2.id);
      expect((await store.latestScan({ before: s2.id }))?.id).toBe(s1.id);
      expect((await store.latestScan({ status: ['complete'] }))?.id).toBe(s1.id);
      expect(await store.latestScan({ before: s1.id })).toBeNull();
      expect(await store.getScan(999)).toBeNull();
      await running.abort('test over', at(4, 1));
    });

    it('reports a scan whose process died as failed, and marks it so on the next open', async () => {
      await scan(app('1'), undefined, 1);
      const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
      const [row] = await factory.sql(
        store,
        "INSERT INTO scans (started_at, status, tool_version, writer_pid, writer_host) VALUES (?, 'running', 't', ?, ?) RETURNING id",
        [at(2), gone, hostname()],
      );
      const id = row!.id as number;
      expect((await store.getScan(id))?.status).toBe('failed');
      expect((await store.listScans({ status: ['running'] })).map((s) => s.id)).toEqual([]);
      await store.close();
      const location = store.location;
      store = await factory.reopen(location);
      // Marked on the next scan's start (SQLite marks on open as well).
      await (await store.beginScan({ startedAt: at(3), toolVersion: 't' })).abort('test', at(3, 1));
      expect(await factory.sql(store, 'SELECT status, failure FROM scans WHERE id = ?', [id])).toEqual([
        { status: 'failed', failure: `interrupted: process ${gone} ended before the scan completed` },
      ]);
    });
  });

  describe('readSnapshot', () => {
    it('orders bundles by source and identity key, bundles orphans, and filters', async () => {
      const m365 = { platform: 'microsoft365', tenant: 'contoso' };
      const spRef = { platform: 'microsoft365', tenant: { id: 'contoso', name: null } } as const;
      const records = [
        ...app('20'),
        ...app('3'),
        grant('7', 'orphan'),
        identity('sp', { ...spRef, kind: 'service-principal', collector: 'service-principals' }),
        credential('sp', 'secret', {
          ...spRef,
          identity: { kind: 'service-principal', nativeId: 'sp' },
          collector: 'service-principals',
        }),
      ];
      const s = await scan(records, [coverage(ALL), coverage({ 'service-principals': 'complete' }, m365)]);
      const all = await snapshot(s.id);
      expect(
        all.map((b) => [b.source, b.identityKey, b.identity !== null, b.grants.length, b.credentials.length]),
      ).toEqual([
        ['github:acme', 'github-app-installation:20', true, 2, 0],
        ['github:acme', 'github-app-installation:3', true, 2, 0],
        ['github:acme', 'github-app-installation:7', false, 1, 0],
        ['microsoft365:contoso', 'service-principal:sp', true, 0, 1],
      ]);
      expect((await snapshot(s.id, { platform: 'microsoft365' })).map((b) => b.identityKey)).toEqual([
        'service-principal:sp',
      ]);
      expect((await snapshot(s.id, { tenant: 'acme', kinds: ['github-app-installation'] })).length).toBe(3);
      expect(
        (await snapshot(s.id, { kinds: ['service-principal'] })).map((b) => b.credentials.length),
      ).toEqual([1]);
    });

    it('reads only the record types asked for, in the same order (latest and earlier scans)', async () => {
      const s1 = await scan([...app('1'), ...app('2'), grant('3', 'orphan')], undefined, 1);
      const shape = (bundles: IdentityBundle[]) =>
        bundles.map((b) => [
          b.identityKey,
          b.identity?.nativeId ?? null,
          b.grants.map((g) => g.permission.id),
        ]);
      const grantsOnly = await snapshot(s1.id, { types: ['grant'] });
      expect(shape(grantsOnly)).toEqual(
        shape(await snapshot(s1.id)).map(([key, , grants]) => [key, null, grants]),
      );
      expect(shape(await snapshot(s1.id, { types: ['identity'] }))).toEqual([
        ['github-app-installation:1', '1', []],
        ['github-app-installation:2', '2', []],
      ]);
      expect(await snapshot(s1.id, { types: [] })).toEqual([]);
      await scan(app('1'), undefined, 2);
      expect(await snapshot(s1.id, { types: ['grant'] })).toEqual(grantsOnly);
    });

    it('reads only the records of the collectors asked for (latest and earlier scans)', async () => {
      const byRepoHooks = (id: string, permission: string) =>
        grant(id, permission, { collector: 'repo-hooks' });
      const s1 = await scan([...app('1'), byRepoHooks('1', 'hooks'), ...app('2'), byRepoHooks('3', 'hooks')]);
      const shape = (bundles: IdentityBundle[]) =>
        bundles.map((b) => [
          b.identityKey,
          b.identity?.nativeId ?? null,
          b.grants.map((g) => g.permission.id),
        ]);
      const hooksOnly = await snapshot(s1.id, { types: ['grant'], collectors: ['repo-hooks'] });
      expect(shape(hooksOnly)).toEqual([
        ['github-app-installation:1', null, ['hooks']],
        ['github-app-installation:3', null, ['hooks']],
      ]);
      expect(shape(await snapshot(s1.id, { collectors: ['app-installations'] }))).toEqual([
        ['github-app-installation:1', '1', ['contents', 'issues']],
        ['github-app-installation:2', '2', ['contents', 'issues']],
      ]);
      expect(await snapshot(s1.id, { collectors: [] })).toEqual([]);
      await scan(app('1'), undefined, 2);
      expect(await snapshot(s1.id, { types: ['grant'], collectors: ['repo-hooks'] })).toEqual(hooksOnly);
      expect(
        shape(await snapshot(s1.id, { kinds: ['github-app-installation'], collectors: ['repo-hooks'] })),
      ).toEqual(shape(hooksOnly));
    });

    it('reads the fields asked for as the whole records hold them (latest and earlier scans)', async () => {
      const s1 = await scan([
        ...app('1'),
        grant('1', 'hooks', { collector: 'repo-hooks', raw: { id: 'h1', nested: [1, 'a'] } }),
        ...app('2'),
        grant('3', 'orphan', { raw: null }),
      ]);
      const fields = ['raw', 'nativeId', 'collector', 'missing'];
      // Per bundle: each record's type and asked fields, grants in key order (a projection has none).
      const picked = (bundles: IdentityBundle[]) =>
        bundles.map((b) => {
          const pick = (r: object) =>
            Object.fromEntries(
              ['type', ...fields].filter((f) => f in r).map((f) => [f, (r as Record<string, unknown>)[f]]),
            );
          const grants = b.grants.map(pick).sort((a, c) => (JSON.stringify(a) < JSON.stringify(c) ? -1 : 1));
          return [b.source, b.identityKey, b.identity && pick(b.identity), grants];
        });
      const whole = picked(await snapshot(s1.id));
      expect(whole.flatMap(([, , , grants]) => grants as object[])).toContainEqual({
        type: 'grant',
        collector: 'repo-hooks',
        raw: { id: 'h1', nested: [1, 'a'] },
      });
      expect(picked(await snapshot(s1.id, { fields }))).toEqual(whole);
      await scan(app('1'), undefined, 2);
      expect(picked(await snapshot(s1.id, { fields }))).toEqual(whole);
      expect(picked(await snapshot(s1.id, { types: ['grant'], collectors: ['repo-hooks'], fields }))).toEqual(
        whole
          .filter(([, key]) => key === 'github-app-installation:1')
          .map(([s, k]) => [
            s,
            k,
            null,
            [{ type: 'grant', collector: 'repo-hooks', raw: { id: 'h1', nested: [1, 'a'] } }],
          ]),
      );
    });

    it('reads an earlier scan as it was, with the same order as the latest', async () => {
      const s1 = await scan([...app('1'), ...app('2')], undefined, 1);
      const first = await snapshot(s1.id);
      await scan([...app('1'), grant('2', 'issues', { risk: { tier: 'high' } })], undefined, 2);
      await scan(app('2'), undefined, 3);
      expect(await snapshot(s1.id)).toEqual(first);
    });

    it('can be consumed partly and read again', async () => {
      const s = await scan([...app('1'), ...app('2'), ...app('3')]);
      for await (const _ of store.readSnapshot(s.id)) break;
      const reading = store.readSnapshot(s.id)[Symbol.asyncIterator]();
      await reading.next();
      // A write while a read is open elsewhere is fine.
      const s2 = await scan(app('1'), undefined, 2);
      expect((await reading.next()).value.identityKey).toBe('github-app-installation:2');
      await reading.return?.();
      expect((await snapshot(s2.id)).length).toBe(1);
    });

    it('keeps reading the scan it started on while another scan commits', async () => {
      const m365 = { platform: 'microsoft365', tenant: 'contoso' };
      const spTenant = { platform: 'microsoft365', tenant: { id: 'contoso', name: null } } as const;
      const sp = (id: string, name: string) =>
        identity(id, {
          ...spTenant,
          kind: 'service-principal',
          collector: 'service-principals',
          displayName: name,
        });
      const both = [coverage(ALL), coverage({ 'service-principals': 'complete' }, m365)];
      const s1 = await scan([...app('1'), sp('a', 'before'), sp('b', 'before')], both, 1);
      const reading = store.readSnapshot(s1.id)[Symbol.asyncIterator]();
      expect((await reading.next()).value.source).toBe('github:acme');
      await scan([...app('1'), sp('a', 'after')], both, 2);
      const rest: IdentityBundle[] = [];
      for (let r = await reading.next(); !r.done; r = await reading.next()) rest.push(r.value);
      expect(rest.map((b) => [b.identityKey, b.identity?.displayName])).toEqual([
        ['service-principal:a', 'before'],
        ['service-principal:b', 'before'],
      ]);
    });

    it('refuses scans that have no snapshot', async () => {
      const w = await store.beginScan({ startedAt: at(1), toolVersion: '0.1.0' });
      await expect(snapshot(w.scanId)).rejects.toThrow(
        `${store.location}: scan ${w.scanId} is running; only completed scans have a snapshot`,
      );
      await w.abort('x', at(1, 1));
      await expect(snapshot(w.scanId)).rejects.toThrow(/is failed/);
      await expect(snapshot(42)).rejects.toThrow(`${store.location}: scan 42 does not exist`);
    });
  });

  describe('closing the store', () => {
    it('aborts a scan still running, so nothing of it is committed', async () => {
      const s1 = await scan(app('1'), undefined, 1);
      const w = await store.beginScan({ startedAt: at(2), toolVersion: '0.1.0' });
      await w.write(Array.from({ length: 1500 }, (_, i) => grant('1', `p${i}`)));
      await store.close();
      store = await factory.reopen(store.location);
      expect(await store.getScan(w.scanId)).toMatchObject({ status: 'failed' });
      expect((await store.latestScan())?.id).toBe(s1.id);
      expect((await versionRows()).grants).toBe(2);
    });
  });
});
