import { Person } from '../../src/model/index.js';
import type { SnapshotStore } from '../../src/store/store.js';
import { at, coverage, credential, grant, identity } from './store-records.js';

/**
 * The history docs/database.md's example queries are written against: twelve scans of one GitHub
 * installation whose `contents` grant widens at scan 12 (when `deploy-keys` fails), a person suspended
 * at scan 12, a review and a ticket. Every example query finds something in it.
 */
export async function fillDocumentedHistory(store: SnapshotStore): Promise<void> {
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
}
