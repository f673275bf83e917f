import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../../test/support/cli.js';
import { at, coverage, credential, grant, identity } from '../../../test/support/store-records.js';
import { Person } from '../../model/index.js';
import { openSqliteStore } from './index.js';

/** The example queries in docs/database.md run against a real store, so the documentation cannot drift. */
const DOC = readFileSync(join(ROOT, 'docs', 'database.md'), 'utf8');
const QUERIES = [...DOC.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());

describe('documented example queries', () => {
  let file: string;
  beforeAll(async () => {
    file = join(mkdtempSync(join(tmpdir(), 'gs-docs-')), 'grantscope.db');
    const store = await openSqliteStore(file);
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
    await store.close();
  });

  it('the page has example queries', () => {
    expect(QUERIES.length).toBeGreaterThanOrEqual(6);
  });

  it.each(QUERIES.map((q, i) => [i + 1, q]))('query %i runs and answers', (_n, sql) => {
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare(sql as string).all();
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});
