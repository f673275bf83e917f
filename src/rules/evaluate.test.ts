import { describe, expect, it } from 'vitest';
import { bundle, credential, daysBefore, grant, identity, owner } from '../../test/support/records.js';
import { AS_OF, findingsOf, policyWith } from '../../test/support/rules.js';
import { BUILTIN_VOCABULARY } from '../../test/support/vocabulary.js';
import { completeCoverage, diffRecords } from '../diff/index.js';
import { SEVERITY_ORDER } from '../findings/finding.js';
import { defaultPolicy } from '../policy/index.js';
import type { IdentityBundle } from '../store/store.js';
import { evaluateRules } from './evaluate.js';
import { RULES } from './registry.js';

const critical = grant({
  permission: { id: 'administration', name: 'administration', access: 'write' },
  risk: { tier: 'critical' },
});
const ci = identity({ owners: [], lastUsed: { at: daysBefore(AS_OF, 120), source: 'test' } });
const sp = identity({
  platform: 'microsoft365',
  tenant: { id: 'tenant-1' },
  kind: 'service-principal',
  nativeId: 'sp-1',
  displayName: 'Payroll Sync',
  owners: [owner('alice')],
  lastUsed: { at: daysBefore(AS_OF, 1), source: 'test' },
  collector: 'service-principals',
});
const secret = credential({ expiresAt: null });

function world(): IdentityBundle[] {
  return [bundle(ci, [critical]), bundle(sp, [], [secret])];
}

describe('evaluateRules', () => {
  it('runs every enabled rule and orders findings by severity, then fingerprint', async () => {
    const fs = await findingsOf(null, world());
    expect(fs.map((f) => [f.rule, f.identity.id, f.severity])).toEqual(
      expect.arrayContaining([
        ['over-privileged', '1001', 'critical'],
        ['ownerless', '1001', 'high'],
        ['stale', '1001', 'high'],
        ['credential-hygiene', 'sp-1', 'high'],
      ]),
    );
    expect(fs).toHaveLength(4);
    for (let i = 1; i < fs.length; i++) {
      const [a, b] = [fs[i - 1]!, fs[i]!];
      expect(
        SEVERITY_ORDER[a.severity] > SEVERITY_ORDER[b.severity] ||
          (a.severity === b.severity && a.fingerprint < b.fingerprint),
      ).toBe(true);
    }
  });

  it('is deterministic for a given as-of, whatever the order bundles arrive in, streamed or not', async () => {
    const a = await findingsOf(null, world());
    async function* streamed() {
      yield* world().reverse();
    }
    const b = await evaluateRules({
      bundles: streamed(),
      diff: null,
      policy: defaultPolicy(BUILTIN_VOCABULARY),
      vocabulary: BUILTIN_VOCABULARY,
      asOf: new Date(AS_OF),
    });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('keeps a fingerprint while severity and evidence change from one scan to the next', async () => {
    const [first] = await findingsOf(null, [
      bundle(identity({ lastUsed: { at: daysBefore(AS_OF, 100), source: 'x' } })),
    ]);
    const later = new Date(AS_OF.getTime() + 30 * 86_400_000);
    const [second] = await findingsOf(
      null,
      [bundle(identity({ lastUsed: { at: daysBefore(AS_OF, 100), source: 'x' } }), [critical])],
      {
        asOf: later,
        policy: policyWith({ 'over-privileged': { enabled: false } }),
      },
    );
    expect(first!.rule).toBe('stale');
    expect(second!.rule).toBe('stale');
    expect(second!.severity).not.toBe(first!.severity);
    expect(second!.evidence).not.toEqual(first!.evidence);
    expect(second!.fingerprint).toBe(first!.fingerprint);
  });

  it('keeps every fingerprint when an app is renamed, so its tickets and exceptions stay attached', async () => {
    const renamed = world().map((b) =>
      b.identity
        ? { ...b, identity: { ...b.identity, displayName: `${b.identity.displayName} (renamed)` } }
        : b,
    );
    const before = await findingsOf(null, world());
    const after = await findingsOf(null, renamed);
    expect(before.length).toBeGreaterThan(0);
    expect(after.map((f) => f.identity.name)).not.toEqual(before.map((f) => f.identity.name));
    expect(after.map((f) => f.fingerprint).sort()).toEqual(before.map((f) => f.fingerprint).sort());
    // The identity's native id, unlike its name, is part of what a finding is about.
    const otherId = world().map((b) =>
      b.identity ? { ...b, identity: { ...b.identity, nativeId: 'other' } } : b,
    );
    const moved = await findingsOf(null, otherId);
    expect(moved.map((f) => f.fingerprint).filter((fp) => before.some((f) => f.fingerprint === fp))).toEqual(
      [],
    );
  });

  it('honours per-rule enabled and severity overrides', async () => {
    const policy = policyWith({
      'over-privileged': { severity: 'info' },
      ownerless: { enabled: false },
      stale: { enabled: false },
    });
    const fs = await findingsOf(null, world(), { policy });
    expect(fs.map((f) => [f.rule, f.severity])).toEqual([
      ['credential-hygiene', 'high'],
      ['over-privileged', 'info'],
    ]);
  });

  it('runs the diff rules only when there is a previous scan', async () => {
    const before = [ci, grant()];
    const after = [ci, grant(), critical, sp];
    const cov = completeCoverage(before, after);
    const diff = diffRecords(before, after, { before: cov, after: cov });
    const withDiff = await findingsOf(null, [bundle(ci, [grant(), critical]), bundle(sp)], { diff });
    expect(withDiff.filter((f) => f.rule === 'new-grant').map((f) => f.identity.id)).toEqual(['sp-1']);
    expect(
      withDiff.filter((f) => f.rule === 'scope-expansion').map((f) => [f.identity.id, f.severity]),
    ).toEqual([['1001', 'high']]);
    const without = await findingsOf(null, [bundle(ci, [grant(), critical]), bundle(sp)], { diff: null });
    expect(without.some((f) => f.rule === 'new-grant' || f.rule === 'scope-expansion')).toBe(false);
  });

  it('attaches the framework references of each rule', async () => {
    const fs = await findingsOf(null, world());
    const op = fs.find((f) => f.rule === 'over-privileged')!;
    expect(op.frameworks.owaspNhi).toContain('NHI5');
    expect(op.frameworks.nistCsf).toContain('PR.AA-05');
    const ch = fs.find((f) => f.rule === 'credential-hygiene')!;
    expect(ch.frameworks.owaspNhi).toContain('NHI7');
  });

  it('the registry has one rule per rule id', () => {
    expect(RULES.map((r) => r.id).sort()).toEqual(
      Object.keys(defaultPolicy(BUILTIN_VOCABULARY).rules).sort(),
    );
  });
});
