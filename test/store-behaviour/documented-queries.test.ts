import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Person } from '../../src/model/index.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { ROOT } from '../support/cli.js';
import { at, coverage, credential, grant, identity } from '../support/store-records.js';
import { STORE_KINDS, storeFactory } from './store-factory.js';

/**
 * The example queries in docs/database.md run against a real store of each kind, so the documentation
 * cannot drift. PostgreSQL runs the same queries, except the two in SQLite's own functions, whose
 * PostgreSQL spellings (the page's `postgresql` blocks) run instead.
 */
const DOC = readFileSync(join(ROOT, 'docs', 'database.md'), 'utf8');
const QUERIES = [...DOC.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
const PG_SPELLINGS = [...DOC.matchAll(/```postgresql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
const SQLITE_ONLY = /json_extract|strftime|json_each/;

describe.each(STORE_KINDS)('documented example queries (%s)', (kind) => {
  const factory = storeFactory(kind);
  let store: SnapshotStore;
  const queries =
    kind === 'sqlite' ? QUERIES : [...QUERIES.filter((q) => !SQLITE_ONLY.test(q)), ...PG_SPELLINGS];
  beforeAll(async () => {
    store = await factory.open();
    // Twelve scans: the installation's `contents` grant widens from read to write at scan 12.
    for (let scan = 1; scan <= 12; scan++) {
      const w = await store.beginScan({ startedAt: at(scan), toolVersion: 't' });
      await w.write([
        identity('12345'),
        grant('12345', 'contents', {
          permission: { id: 'contents', name: 'contents', access: scan < 12 ? 'read' : 'write' },
          risk: { tier: scan < 12 ? 'low' : 'critical' },
        }),
        credential('k1', 'key-1', { expiresAt: at(13) }),
        Person.parse({
          type: 'person',
          platform: 'github',
          tenant: { id: 'acme', name: 'Acme' },
          nativeId: '106',
          name: 'frank',
          status: scan < 12 ? 'active' : 'suspended',
          listing: 'directory',
          collector: 'members',
        }),
      ]);
      await w.complete(
        [coverage({ 'app-installations': 'complete', 'deploy-keys': scan === 12 ? 'failed' : 'complete' })],
        at(scan, 1),
      );
    }
    await store.recordReview({
      platform: 'github',
      tenant: 'acme',
      kind: 'github-app-installation',
      nativeId: '12345',
      decision: 'keep',
      reviewer: 'alice',
      note: null,
      until: null,
      reviewedAt: at(12, 2),
      displayName: 'App 12345',
      scanId: 12,
      grantsDigest: null,
    });
    await store.saveTicket({
      sink: 'security-jira',
      key: 'fp-1',
      remoteId: 'SEC-1',
      remoteUrl: null,
      state: 'open',
      items: { 'fp-1': { hash: 'h', source: 'github:acme', severity: 'high', title: 'App 12345 can write' } },
      pending: null,
      contentHash: 'c',
      severity: 'high',
      title: 'App 12345 can write',
      openedScan: 12,
      changedScan: 12,
      openedAt: at(12, 3),
      changedAt: at(12, 3),
    });
  });

  afterAll(async () => {
    await store.close();
  });

  it('the page has example queries, and a PostgreSQL spelling for each SQLite-only one', () => {
    expect(QUERIES.length).toBeGreaterThanOrEqual(6);
    expect(PG_SPELLINGS.length).toBe(QUERIES.filter((q) => SQLITE_ONLY.test(q)).length);
  });

  it.each(queries.map((q, i) => [i + 1, q]))('query %i runs and answers', async (_n, sql) => {
    const rows = await factory.sql(store, sql as string);
    expect(rows.length).toBeGreaterThan(0);
  });
});
