import { describe, expect, it } from 'vitest';
import { bundle, grant, identity } from '../../test/support/records.js';
import { findingsOf, policyWith } from '../../test/support/rules.js';
import { overPrivileged } from './over-privileged.js';

const app = identity();
const tiered = (
  tier: 'critical' | 'high' | 'medium' | 'low',
  id: string,
  access: 'read' | 'write' = 'write',
) =>
  grant({
    permission: { id, name: id, access },
    risk: { tier, reason: `${id} is ${tier}`, source: 'catalog' },
  });

describe('over-privileged', () => {
  it('a medium-tier grant is below the default threshold; a high-tier one is reported', async () => {
    expect(await findingsOf(overPrivileged, [bundle(app, [tiered('medium', 'issues')])])).toEqual([]);
    const [f] = await findingsOf(overPrivileged, [
      bundle(app, [tiered('medium', 'issues'), tiered('high', 'secrets')]),
    ]);
    expect(f).toMatchObject({
      rule: 'over-privileged',
      severity: 'high',
      platform: 'github',
      tenant: 'acme',
      identity: { kind: 'github-app-installation', id: '1001', name: 'Acme CI' },
      subject: null,
      title: '"Acme CI" (GitHub App installation) holds high-risk permissions: secrets (write)',
    });
    expect(f!.evidence).toMatchObject({ minTier: 'high', highestTier: 'high', grantsCount: 1 });
    expect((f!.evidence.grants as Array<{ permission: string }>).map((g) => g.permission)).toEqual([
      'secrets',
    ]);
    expect(f!.remediation).toContain(
      'at https://github.example/organizations/acme/settings/installations/1001',
    );
  });

  it('severity is the highest tier held, riskiest grants listed first', async () => {
    const [f] = await findingsOf(overPrivileged, [
      bundle(app, [
        tiered('high', 'contents'),
        tiered('critical', 'administration'),
        tiered('critical', 'workflows'),
      ]),
    ]);
    expect(f!.severity).toBe('critical');
    expect(f!.title).toBe(
      '"Acme CI" (GitHub App installation) holds critical-risk permissions: administration (write), workflows (write), contents (write)',
    );
  });

  it('minTier is a policy key', async () => {
    const [f] = await findingsOf(overPrivileged, [bundle(app, [tiered('medium', 'issues')])], {
      policy: policyWith({ 'over-privileged': { minTier: 'medium' } }),
    });
    expect(f!.severity).toBe('medium');
  });

  it('reports identities known only through their grants, and says where to act without a manage URL', async () => {
    const [f] = await findingsOf(overPrivileged, [bundle(null, [tiered('critical', 'administration')])]);
    expect(f!.identity).toEqual({ kind: 'github-app-installation', id: '1001', name: null });
    expect(f!.title).toMatch(/^GitHub App installation 1001 holds critical-risk/);
    expect(f!.remediation).toContain('in the github admin settings for acme');
  });
});
