import { describe, expect, it } from 'vitest';
import { bundle, grant, identity } from '../../test/support/records.js';
import { findingsOf } from '../../test/support/rules.js';
import { completeCoverage, diffRecords } from '../diff/index.js';
import type { ModelRecord } from '../model/index.js';
import { newGrant } from './new-grant.js';

const existing = identity({ nativeId: '1' });
const fresh = identity({
  nativeId: '2',
  displayName: 'Shiny Bot',
  publisher: { name: 'Unknown Dev', id: 'u1', verified: false },
});
const freshGrant = (tier: 'critical' | 'high' | 'medium' | 'low' | 'unknown', id = 'contents') =>
  grant({
    identity: { kind: 'github-app-installation', nativeId: '2' },
    permission: { id, name: id, access: 'write' },
    risk: { tier },
    grantedBy: { id: 'octocat', name: 'The Octocat' },
  });

function diffOf(a: ModelRecord[], b: ModelRecord[]) {
  const cov = completeCoverage(a, b);
  return diffRecords(a, b, { before: cov, after: cov });
}

describe('new-grant', () => {
  it('needs a previous scan: nothing on the first scan', async () => {
    expect(await findingsOf(newGrant, [bundle(fresh, [freshGrant('critical')])], { diff: null })).toEqual([]);
  });

  it('reports an identity added since the previous scan, with its grants; not the existing one', async () => {
    const grants = [freshGrant('medium', 'issues'), freshGrant('critical', 'administration')];
    const diff = diffOf([existing], [existing, fresh, ...grants]);
    const fs = await findingsOf(newGrant, [bundle(existing), bundle(fresh, grants)], { diff });
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({
      severity: 'high',
      identity: { id: '2', name: 'Shiny Bot' },
      title:
        'New "Shiny Bot" (GitHub App installation) with 2 grants: administration (write), issues (write)',
    });
    expect(fs[0]!.evidence).toMatchObject({
      publisher: { name: 'Unknown Dev', verified: false },
      highestTier: 'critical',
      grantedBy: ['The Octocat'],
      grantsCount: 2,
    });
  });

  it('severity follows the highest tier: critical/high → high, medium → medium, else low', async () => {
    for (const [tier, severity] of [
      ['critical', 'high'],
      ['high', 'high'],
      ['medium', 'medium'],
      ['low', 'low'],
      ['unknown', 'low'],
    ] as const) {
      const g = freshGrant(tier);
      const [f] = await findingsOf(newGrant, [bundle(fresh, [g])], { diff: diffOf([], [fresh, g]) });
      expect(f!.severity, tier).toBe(severity);
    }
    const [none] = await findingsOf(newGrant, [bundle(fresh)], { diff: diffOf([], [fresh]) });
    expect(none).toMatchObject({
      severity: 'low',
      title: 'New "Shiny Bot" (GitHub App installation) with no grants yet',
    });
  });

  it('an identity seen for the first time because its source was not scanned before is not new', async () => {
    const after = completeCoverage([fresh]);
    const diff = diffRecords([], [fresh], { before: [], after });
    expect(diff.identities.added[0]!.baseline).toBe(true);
    expect(await findingsOf(newGrant, [bundle(fresh)], { diff })).toEqual([]);
  });
});
