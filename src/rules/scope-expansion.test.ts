import { describe, expect, it } from 'vitest';
import { bundle, grant, identity } from '../../test/support/records.js';
import { findingsOf, policyWith } from '../../test/support/rules.js';
import { completeCoverage, diffRecords } from '../diff/index.js';
import type { ModelRecord } from '../model/index.js';
import { scopeExpansion } from './scope-expansion.js';

const app = identity();
function diffOf(a: ModelRecord[], b: ModelRecord[]) {
  const cov = completeCoverage(a, b);
  return diffRecords(a, b, { before: cov, after: cov });
}

describe('scope-expansion', () => {
  it('read → write on a high-tier permission is high', async () => {
    const before = grant({ access: 'read', risk: { tier: 'medium' } });
    const after = grant({ access: 'write', risk: { tier: 'high' } });
    const diff = diffOf([app, before], [app, after]);
    const [f] = await findingsOf(scopeExpansion, [bundle(app, [after])], { diff });
    expect(f).toMatchObject({
      severity: 'high',
      subject: null,
      title:
        '"Acme CI" (GitHub App installation) gained access since the previous scan: contents (read → write)',
    });
    expect(f!.evidence).toMatchObject({
      expansionsCount: 1,
      expansions: [
        {
          permission: 'contents',
          tier: 'high',
          before: 'contents (read) on 2 selected repositories',
          grant: 'contents (write) on 2 selected repositories',
          changes: [{ reason: 'access-level', before: 'read', after: 'write' }],
        },
      ],
    });
  });

  it('a new medium-tier permission and a widened selection are medium; the high one is listed first', async () => {
    const issues = grant({
      permission: { id: 'issues', name: 'issues', access: 'write' },
      risk: { tier: 'medium' },
    });
    const wider = grant({
      target: {
        breadth: 'selected',
        type: 'repository',
        resources: ['acme/api', 'acme/web', 'acme/ops'],
        count: 3,
      },
    });
    const [f] = await findingsOf(scopeExpansion, [bundle(app, [wider, issues])], {
      diff: diffOf([app, grant()], [app, wider, issues]),
    });
    expect(f!.severity).toBe('medium');
    expect(f!.title).toBe(
      '"Acme CI" (GitHub App installation) gained access since the previous scan: contents (2 → 3 resources), issues (new)',
    );
    const secrets = grant({
      permission: { id: 'secrets', name: 'secrets', access: 'write' },
      risk: { tier: 'high' },
    });
    const [g] = await findingsOf(scopeExpansion, [bundle(app, [grant(), issues, secrets])], {
      diff: diffOf([app, grant()], [app, grant(), issues, secrets]),
    });
    expect(g!.severity).toBe('high');
    expect((g!.evidence.expansions as Array<{ permission: string }>).map((e) => e.permission)).toEqual([
      'secrets',
      'issues',
    ]);
  });

  it('elevateAtTier is a policy key', async () => {
    const issues = grant({
      permission: { id: 'issues', name: 'issues', access: 'write' },
      risk: { tier: 'medium' },
    });
    const [f] = await findingsOf(scopeExpansion, [bundle(app, [issues])], {
      diff: diffOf([app], [app, issues]),
      policy: policyWith({ 'scope-expansion': { elevateAtTier: 'medium' } }),
    });
    expect(f!.severity).toBe('high');
  });

  it('nothing without a previous scan, for a narrowed grant, or for a new identity (new-grant covers it)', async () => {
    const after = grant({ access: 'write' });
    expect(await findingsOf(scopeExpansion, [bundle(app, [after])], { diff: null })).toEqual([]);
    const narrowed = grant({
      access: 'read',
      target: { breadth: 'selected', type: 'repository', resources: ['acme/api'], count: 1 },
    });
    expect(
      await findingsOf(scopeExpansion, [bundle(app, [narrowed])], {
        diff: diffOf([app, grant({ access: 'write' })], [app, narrowed]),
      }),
    ).toEqual([]);
    expect(
      await findingsOf(scopeExpansion, [bundle(app, [after])], { diff: diffOf([], [app, after]) }),
    ).toEqual([]);
  });
});
