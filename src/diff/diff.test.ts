import { describe, expect, it } from 'vitest';
import { credential, grant, identity, owner } from '../../test/support/records.js';
import type { ModelRecord } from '../model/index.js';
import type { RecordChange } from '../store/store.js';
import {
  applyDiff,
  changesFromRecords,
  completeCoverage,
  type DiffCoverage,
  diffChanges,
  diffRecords,
  type SourceCoverage,
} from './index.js';

const GH = 'github:acme';
const M365 = 'microsoft365:tenant-1';

function coverage(
  source: string,
  statuses: Record<string, 'complete' | 'skipped' | 'unavailable' | 'failed'>,
): SourceCoverage {
  return {
    source,
    collectors: Object.entries(statuses).map(([collector, status]) => ({
      collector,
      status,
      reason: status === 'failed' ? 'GET /orgs/acme/installations returned 502' : null,
    })),
  };
}

function both(...records: ModelRecord[][]): DiffCoverage {
  const all = completeCoverage(...records);
  return { before: all, after: all };
}

describe('diffRecords: identities', () => {
  it('reports an added and a removed identity with their grants', () => {
    const keep = identity({ nativeId: '1' });
    const gone = identity({ nativeId: '2', displayName: 'Old Bot' });
    const goneGrant = grant({ identity: { kind: 'github-app-installation', nativeId: '2' } });
    const fresh = identity({ nativeId: '3', displayName: 'New Bot' });
    const freshGrant = grant({
      identity: { kind: 'github-app-installation', nativeId: '3' },
      access: 'write',
    });
    const a = [keep, gone, goneGrant];
    const b = [keep, fresh, freshGrant];
    const d = diffRecords(a, b, both(a, b));

    expect(d.identities.added.map((x) => x.record.displayName)).toEqual(['New Bot']);
    expect(d.identities.added[0]!.baseline).toBe(false);
    expect(d.identities.removed.map((x) => x.record.displayName)).toEqual(['Old Bot']);
    expect(d.grants.added.map((x) => x.identityKey)).toEqual(['github-app-installation:3']);
    expect(d.grants.removed.map((x) => x.identityKey)).toEqual(['github-app-installation:2']);
    // The grant of a new identity is part of a new identity, not a widening of an existing one.
    expect(d.scopeExpansions).toEqual([]);
    expect(d.counts.identities).toMatchObject({ added: 1, removed: 1, modified: 0 });
  });

  it('names the fields that changed, and keeps a lastUsed-only change out of modifications', () => {
    const a = [identity({ nativeId: '1' }), identity({ nativeId: '2' })];
    const b = [
      identity({ nativeId: '1', displayName: 'Acme CI v2', enabled: false }),
      identity({ nativeId: '2', lastUsed: { at: '2026-11-25T00:00:00Z', source: 'test:last-used' } }),
    ];
    const d = diffRecords(a, b, both(a, b));
    expect(d.identities.modified).toHaveLength(1);
    expect(d.identities.modified[0]!.fields).toEqual(['displayName', 'enabled']);
    expect(d.counts.identities.usageUpdates).toBe(1);
    expect(d.counts.identities.modified).toBe(1);
    expect(d.quietUpdates.map((q) => q.key)).toEqual(['github-app-installation:2']);
  });

  it('reports a publisher change by sub-field', () => {
    const a = [identity()];
    const b = [identity({ publisher: { name: 'Evil Corp', id: 'evil', verified: false } })];
    const d = diffRecords(a, b, both(a, b));
    expect(d.identities.modified[0]!.fields).toEqual([
      'publisher.id',
      'publisher.name',
      'publisher.verified',
    ]);
  });
});

describe('diffRecords: scope expansions', () => {
  const app = identity();

  it('read → write on the same permission is one modified grant, widened by access level', () => {
    const a = [app, grant({ access: 'read' })];
    const b = [app, grant({ access: 'write' })];
    const d = diffRecords(a, b, both(a, b));
    expect(d.grants.added).toEqual([]);
    expect(d.grants.removed).toEqual([]);
    expect(d.grants.modified).toHaveLength(1);
    expect(d.grants.modified[0]!.fields).toEqual(['permission.access', 'permission.nativeLevel']);
    expect(d.scopeExpansions).toHaveLength(1);
    expect(d.scopeExpansions[0]!.changes).toEqual([
      { reason: 'access-level', before: 'read', after: 'write' },
    ]);
  });

  it('write → read is a modification but not an expansion', () => {
    const a = [app, grant({ access: 'write' })];
    const b = [app, grant({ access: 'read' })];
    const d = diffRecords(a, b, both(a, b));
    expect(d.grants.modified).toHaveLength(1);
    expect(d.scopeExpansions).toEqual([]);
  });

  it('a widened selection lists the resources added', () => {
    const a = [app, grant()];
    const b = [
      app,
      grant({
        target: {
          breadth: 'selected',
          type: 'repository',
          resources: ['acme/api', 'acme/web', 'acme/infra'],
          count: 3,
        },
      }),
    ];
    const d = diffRecords(a, b, both(a, b));
    expect(d.scopeExpansions[0]!.changes).toEqual([
      { reason: 'more-resources', before: 2, after: 3, added: ['acme/infra'] },
    ]);
  });

  it('a swapped selection (same count, another repository) is an expansion; a shrunk one is not', () => {
    const swapped = grant({
      target: { breadth: 'selected', type: 'repository', resources: ['acme/api', 'acme/secrets'], count: 2 },
    });
    const shrunk = grant({
      target: { breadth: 'selected', type: 'repository', resources: ['acme/api'], count: 1 },
    });
    const a = [app, grant()];
    expect(diffRecords(a, [app, swapped], both(a, [swapped])).scopeExpansions[0]!.changes).toEqual([
      { reason: 'more-resources', before: 2, after: 2, added: ['acme/secrets'] },
    ]);
    expect(diffRecords(a, [app, shrunk], both(a, [shrunk])).scopeExpansions).toEqual([]);
  });

  it('selected → all and read → write together give both reasons', () => {
    const a = [app, grant()];
    const b = [app, grant({ access: 'write', target: { breadth: 'all', type: 'repository' } })];
    const d = diffRecords(a, b, both(a, b));
    expect(d.scopeExpansions[0]!.changes.map((c) => c.reason)).toEqual(['access-level', 'target-breadth']);
    expect(d.scopeExpansions[0]!.changes[1]).toEqual({
      reason: 'target-breadth',
      before: 'selected',
      after: 'all',
    });
  });

  it('a new permission for an existing (unchanged) identity is a new-grant expansion', () => {
    const issues = grant({ permission: { id: 'issues', name: 'issues', access: 'write' } });
    const a = [app, grant()];
    const b = [app, grant(), issues];
    const d = diffRecords(a, b, both(a, b));
    expect(d.grants.added).toHaveLength(1);
    expect(d.scopeExpansions).toHaveLength(1);
    expect(d.scopeExpansions[0]).toMatchObject({
      identityKey: 'github-app-installation:1001',
      previous: null,
      changes: [{ reason: 'new-grant', before: null, after: { access: 'write', breadth: 'selected' } }],
    });
  });

  it('does not depend on identities arriving before their grants', async () => {
    const fresh = identity({ nativeId: '9' });
    const freshGrant = grant({ identity: { kind: 'github-app-installation', nativeId: '9' } });
    const issues = grant({ permission: { id: 'issues', name: 'issues', access: 'write' } });
    const a = [app];
    const b = [app, fresh, freshGrant, issues];
    const changes = changesFromRecords(a, b);
    async function* reversed(): AsyncGenerator<RecordChange> {
      yield* [...changes].reverse();
    }
    const d = await diffChanges(reversed(), both(a, b));
    expect(d.scopeExpansions.map((s) => s.key)).toEqual([changes.find((c) => c.after === issues)!.key]);
  });
});

describe('diffRecords: credentials', () => {
  it('a secret replaced by one expiring later is a renewal, not a removal and an addition', () => {
    const old = credential({ nativeId: 'k1', expiresAt: '2026-12-01T00:00:00Z' });
    const next = credential({
      nativeId: 'k2',
      createdAt: '2026-11-20T00:00:00Z',
      expiresAt: '2027-05-01T00:00:00Z',
    });
    const other = credential({
      nativeId: 'c1',
      credentialType: 'certificate',
      expiresAt: '2027-01-01T00:00:00Z',
    });
    const a = [old];
    const b = [next, other];
    const d = diffRecords(a, b, both(a, b));
    expect(d.credentials.renewed).toHaveLength(1);
    expect(d.credentials.renewed[0]).toMatchObject({
      beforeKey: 'service-principal:sp-1|client-secret|k1',
      sameKey: false,
    });
    expect(d.credentials.renewed[0]!.after.nativeId).toBe('k2');
    expect(d.credentials.removed).toEqual([]);
    // A certificate does not renew a client secret.
    expect(d.credentials.added.map((x) => x.record.nativeId)).toEqual(['c1']);
  });

  it('a replacement expiring earlier is a removal and an addition', () => {
    const old = credential({ nativeId: 'k1', expiresAt: '2027-12-01T00:00:00Z' });
    const next = credential({ nativeId: 'k2', expiresAt: '2027-01-01T00:00:00Z' });
    const d = diffRecords([old], [next], both([old], [next]));
    expect(d.credentials.renewed).toEqual([]);
    expect(d.credentials.removed).toHaveLength(1);
    expect(d.credentials.added).toHaveLength(1);
  });

  it('the same credential with a later expiry is a renewal; a lastUsed change is a usage update', () => {
    const a = [credential({ nativeId: 'k1' }), credential({ nativeId: 'k2' })];
    const b = [
      credential({ nativeId: 'k1', expiresAt: '2027-06-01T00:00:00Z' }),
      credential({ nativeId: 'k2', lastUsed: { at: '2026-11-01T00:00:00Z', source: 'test' } }),
    ];
    const d = diffRecords(a, b, both(a, b));
    expect(d.credentials.renewed).toHaveLength(1);
    expect(d.credentials.renewed[0]!.sameKey).toBe(true);
    expect(d.credentials.modified).toEqual([]);
    expect(d.counts.credentials.usageUpdates).toBe(1);
  });
  it('the same credential disabled, or cut short, is a modification, not a renewal', () => {
    const a = [credential({ nativeId: 'k1' }), credential({ nativeId: 'k2' })];
    const b = [
      credential({ nativeId: 'k1', enabled: false }),
      credential({ nativeId: 'k2', expiresAt: '2026-11-27T00:00:00Z' }),
    ];
    const d = diffRecords(a, b, both(a, b));
    expect(d.credentials.renewed).toEqual([]);
    expect(d.credentials.modified.map((m) => m.fields)).toEqual([['enabled'], ['expiresAt']]);
  });
});

describe('diffRecords: owners', () => {
  it('reports an owner who left (became inactive) and one removed', () => {
    const a = [identity({ owners: [owner('alice'), owner('bob')] })];
    const b = [identity({ owners: [owner('alice', false), owner('carol')] })];
    const d = diffRecords(a, b, both(a, b));
    expect(d.ownerChanges).toHaveLength(1);
    const oc = d.ownerChanges[0]!;
    expect(oc.becameInactive.map((o) => o.id)).toEqual(['alice']);
    expect(oc.removed.map((o) => o.id)).toEqual(['bob']);
    expect(oc.added.map((o) => o.id)).toEqual(['carol']);
    expect(oc.activeOwners).toBe(1);
  });
});

describe('diffRecords: owner status', () => {
  it('an owner who stays active is not reported; one whose status becomes unknown is not "inactive"', () => {
    const a = [identity({ owners: [owner('alice'), owner('bob'), owner('carol')] })];
    const b = [identity({ owners: [owner('alice'), owner('bob', false), owner('carol', null)] })];
    const d = diffRecords(a, b, both(a, b));
    expect(d.ownerChanges[0]).toMatchObject({
      added: [],
      removed: [],
      becameInactive: [owner('bob', false)],
      activeOwners: 1,
    });
    const same = [identity({ owners: [owner('alice'), owner('bob', false)] })];
    const renamed = [identity({ owners: [{ ...owner('alice'), name: 'Alice B.' }, owner('bob', false)] })];
    const d2 = diffRecords(same, renamed, both(same, renamed));
    expect(d2.identities.modified[0]!.fields).toEqual(['owners']);
    expect(d2.ownerChanges).toEqual([]);
  });
});

describe('diffRecords: coverage', () => {
  const app = identity({ collector: 'app-installations' });
  const appGrant = grant({ collector: 'app-installations' });
  const key = identity({ kind: 'deploy-key', nativeId: 'dk-1', collector: 'deploy-keys', owners: [] });
  const a = [app, appGrant, key];
  const b: ModelRecord[] = [];

  it('reports removals when the collector completed in both scans', () => {
    const cov = coverage(GH, { 'app-installations': 'complete', 'deploy-keys': 'complete' });
    const d = diffRecords(a, b, { before: [cov], after: [cov] });
    expect(d.identities.removed).toHaveLength(2);
    expect(d.grants.removed).toHaveLength(1);
    expect(d.suppressed).toEqual([]);
  });

  it('a collector that failed in the later scan contributes no removals, and says so', () => {
    const d = diffRecords(a, b, {
      before: [coverage(GH, { 'app-installations': 'complete', 'deploy-keys': 'complete' })],
      after: [coverage(GH, { 'app-installations': 'failed', 'deploy-keys': 'complete' })],
    });
    expect(d.identities.removed.map((x) => x.key)).toEqual(['deploy-key:dk-1']);
    expect(d.grants.removed).toEqual([]);
    expect(d.suppressed).toEqual([
      {
        source: GH,
        collector: 'app-installations',
        status: 'failed',
        scan: 'after',
        reason: 'GET /orgs/acme/installations returned 502',
        removals: { identity: 1, grant: 1, credential: 0 },
      },
    ]);
    expect(d.counts.suppressedRemovals).toBe(2);
  });

  it('a collector that failed in the earlier scan contributes no removals either', () => {
    const d = diffRecords(a, b, {
      before: [coverage(GH, { 'app-installations': 'failed', 'deploy-keys': 'complete' })],
      after: [coverage(GH, { 'app-installations': 'complete', 'deploy-keys': 'complete' })],
    });
    expect(d.identities.removed.map((x) => x.key)).toEqual(['deploy-key:dk-1']);
    expect(d.suppressed[0]).toMatchObject({
      collector: 'app-installations',
      scan: 'before',
      status: 'failed',
    });
  });

  it('an unavailable collector (licence missing) contributes no removals', () => {
    const sp = identity({
      platform: 'microsoft365',
      tenant: { id: 'tenant-1' },
      kind: 'service-principal',
      nativeId: 'sp-1',
      collector: 'sign-ins',
    });
    const d = diffRecords([sp], [], {
      before: [coverage(M365, { 'sign-ins': 'complete' })],
      after: [coverage(M365, { 'sign-ins': 'unavailable' })],
    });
    expect(d.identities.removed).toEqual([]);
    expect(d.suppressed[0]).toMatchObject({
      status: 'unavailable',
      removals: { identity: 1, grant: 0, credential: 0 },
    });
  });

  it('a source or collector missing from the later scan contributes no removals', () => {
    const d = diffRecords(a, b, {
      before: [coverage(GH, { 'app-installations': 'complete', 'deploy-keys': 'complete' })],
      after: [coverage(GH, { 'app-installations': 'complete' })],
    });
    expect(d.identities.removed.map((x) => x.key)).toEqual(['github-app-installation:1001']);
    expect(d.suppressed).toMatchObject([{ collector: 'deploy-keys', status: 'missing', scan: 'after' }]);
    const none = diffRecords(a, b, {
      before: [coverage(GH, { 'app-installations': 'complete' })],
      after: [],
    });
    expect(none.identities.removed).toEqual([]);
    expect(none.grants.removed).toEqual([]);
  });

  it('lists a failed collector even when nothing was withheld', () => {
    const d = diffRecords([], [], { before: [], after: [coverage(GH, { 'app-installations': 'failed' })] });
    expect(d.suppressed).toMatchObject([
      { collector: 'app-installations', removals: { identity: 0, grant: 0, credential: 0 } },
    ]);
  });

  it('additions from a collector the earlier scan did not cover are baseline, not new access', () => {
    const d = diffRecords([], a, {
      before: [],
      after: [coverage(GH, { 'app-installations': 'complete', 'deploy-keys': 'complete' })],
    });
    expect(d.identities.added.every((x) => x.baseline)).toBe(true);
    expect(d.counts.baselineAdditions).toBe(3);
    const existing = [app];
    const later = [app, grant({ collector: 'app-permissions' })];
    const d2 = diffRecords(existing, later, {
      before: [coverage(GH, { 'app-installations': 'complete' })],
      after: [coverage(GH, { 'app-installations': 'complete', 'app-permissions': 'complete' })],
    });
    expect(d2.grants.added[0]!.baseline).toBe(true);
    expect(d2.scopeExpansions).toEqual([]);
  });

  it('applyDiff keeps the records whose removal was withheld', () => {
    const d = diffRecords(a, b, {
      before: [coverage(GH, { 'app-installations': 'complete', 'deploy-keys': 'complete' })],
      after: [coverage(GH, { 'app-installations': 'failed', 'deploy-keys': 'complete' })],
    });
    expect(applyDiff(a, d)).toEqual([app, appGrant]);
  });
});

describe('diffRecords: owners that could not be collected', () => {
  it('owners unknown on one side are not an owner change, and applyDiff still yields b', () => {
    const a = [identity({ owners: [owner('alice')] })];
    const b = [identity({ owners: [], ownersKnown: false })];
    const d = diffRecords(a, b, both(a, b));
    expect(d.ownerChanges).toEqual([]);
    expect(d.identities.modified).toEqual([]);
    expect(applyDiff(a, d)).toEqual(b);
  });

  it('other identity changes are still reported while owners are unknown', () => {
    const a = [identity({ owners: [owner('alice')] })];
    const b = [identity({ owners: [], ownersKnown: false, displayName: 'Renamed Bot' })];
    const d = diffRecords(a, b, both(a, b));
    expect(d.ownerChanges).toEqual([]);
    expect(d.identities.modified.map((m) => m.fields)).toEqual([['displayName']]);
  });
});

describe('diffRecords: review cases', () => {
  it('a dated secret replaced by one that never expires is not a renewal', () => {
    const a = [credential({ nativeId: 'k1', expiresAt: '2026-12-01T00:00:00Z' })];
    const b = [credential({ nativeId: 'k2', expiresAt: null })];
    const d = diffRecords(a, b, both(a, b));
    expect(d.credentials.renewed).toEqual([]);
    expect(d.credentials.added.map((x) => x.record.nativeId)).toEqual(['k2']);
    expect(d.credentials.removed.map((x) => x.record.nativeId)).toEqual(['k1']);
  });

  it('additions from a collector that was unavailable before are a baseline, not new grants', () => {
    const a: ModelRecord[] = [];
    const b = [grant({ collector: 'pat-grants' })];
    const d = diffRecords(a, b, {
      before: [coverage(GH, { 'pat-grants': 'unavailable' })],
      after: [coverage(GH, { 'pat-grants': 'complete' })],
    });
    expect(d.grants.added.map((x) => x.baseline)).toEqual([true]);
  });
});
