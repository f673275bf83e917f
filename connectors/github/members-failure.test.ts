import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PreviousSnapshot } from '../../src/connector/context.js';
import type { CoverageReport } from '../../src/connector/coverage.js';
import type { FindingDraft } from '../../src/findings/finding.js';
import {
  contentHash,
  type Grant,
  type Identity,
  identityKey,
  type ModelRecord,
  recordKey,
  sourceKey,
} from '../../src/model/index.js';
import { defaultPolicy } from '../../src/policy/index.js';
import { evaluateRules } from '../../src/rules/index.js';
import type { IdentityBundle } from '../../src/store/store.js';
import { type EmulatedGithub, emulatedGithub } from '../../test/support/emulated-github.js';
import { BUILTIN_VOCABULARY } from '../../test/support/vocabulary.js';

const WORLD = new URL('../../fixtures/worlds/test/github-demo.yaml', import.meta.url).pathname;

/** The identities of the demo world whose owners are judged by org membership. */
const JUDGED_BY_MEMBERSHIP = [
  'github-app-installation:70001',
  'github-app-installation:71002',
  'github-app-installation:71003',
  'github-app-installation:71004',
  'fine-grained-pat:81001',
  'fine-grained-pat:81002',
  'fine-grained-pat:81003',
  'fine-grained-pat-request:82001',
  'sso-credential:61001',
  'sso-credential:61002',
  'deploy-key:acme-corp/infra#101',
  'deploy-key:acme-corp/api#102',
];

/** Records grouped per identity, as the store's `readSnapshot` hands them to the rules. */
function bundlesOf(records: readonly ModelRecord[]): IdentityBundle[] {
  const byKey = new Map<string, IdentityBundle>();
  const of = (rec: ModelRecord, key: string) => {
    let b = byKey.get(key);
    if (!b) {
      b = { source: sourceKey(rec), identityKey: key, identity: null, grants: [], credentials: [] };
      byKey.set(key, b);
    }
    return b;
  };
  for (const r of records) {
    if (r.type === 'identity') of(r, identityKey(r)).identity = r;
    else if (r.type === 'grant') of(r, identityKey(r.identity)).grants.push(r);
    else of(r, identityKey(r.identity)).credentials.push(r);
  }
  return [...byKey.values()];
}

function snapshotOf(records: readonly ModelRecord[], scanId: number, scannedAt: Date): PreviousSnapshot {
  const bundles = bundlesOf(records);
  return {
    scanId,
    scannedAt: scannedAt.toISOString(),
    async *bundles(filter) {
      for (const b of bundles) {
        const kind = b.identity?.kind ?? b.identityKey.split(':')[0]!;
        if (!filter?.kinds || filter.kinds.includes(kind)) yield structuredClone(b);
      }
    },
  };
}

const identities = (records: readonly ModelRecord[]) =>
  records.filter((r): r is Identity => r.type === 'identity');
const byKey = (records: readonly ModelRecord[]) =>
  new Map(records.map((r) => [`${r.type}|${recordKey(r)}`, r]));

async function ownerlessFindings(records: readonly ModelRecord[], asOf: Date): Promise<FindingDraft[]> {
  const drafts = await evaluateRules({
    bundles: bundlesOf(records),
    diff: null,
    policy: defaultPolicy(BUILTIN_VOCABULARY),
    vocabulary: BUILTIN_VOCABULARY,
    asOf,
  });
  return drafts.filter((f) => f.rule === 'ownerless');
}
const lines = (findings: readonly FindingDraft[]) =>
  findings.map((f) => `${f.identity.kind}:${f.identity.id}${f.subject ? ` ${f.subject}` : ''}`).sort();

describe('GitHub connector when the members collector fails', () => {
  let gh: EmulatedGithub;
  let complete: ModelRecord[];
  let completeOwnerless: FindingDraft[];

  const failMembers = () =>
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/orgs/{org}/members',
      action: { kind: 'status', status: 403, body: { message: 'Resource not accessible by integration' } },
    });
  const members = (coverage: CoverageReport) => coverage.collectors.find((c) => c.collector === 'members')!;

  beforeAll(async () => {
    gh = await emulatedGithub(WORLD);
    const scan = await gh.scan();
    expect(scan.coverage.status).toBe('complete');
    complete = scan.records;
    completeOwnerless = await ownerlessFindings(complete, gh.emu.now);
  });
  afterEach(() => gh.emu.faults.clear());
  afterAll(() => gh.stop());

  it('the complete scan judges owners by membership (the baseline the failed scans are held to)', () => {
    expect(lines(completeOwnerless)).toEqual([
      'deploy-key:acme-corp/docs#103',
      'deploy-key:acme-corp/infra#101',
      'github-app-installation:71004',
      'github-app-installation:71005',
    ]);
    expect(identities(complete).every((i) => i.ownersKnown)).toBe(true);
  });

  it('marks owners judged by membership unknown, and makes no ownerless finding the complete scan did not have', async () => {
    failMembers();
    const { records, coverage } = await gh.scan({
      context: { previous: snapshotOf(complete, 1, gh.emu.now) },
    });
    expect(members(coverage)).toMatchObject({ status: 'failed', httpStatus: 403 });

    for (const i of identities(records)) {
      const unverified = i.owners.filter((o) => o.active === null);
      expect(i.ownersKnown && unverified.length > 0, `${i.kind}:${i.nativeId}`).toBe(false);
    }
    expect(
      identities(records)
        .filter((i) => !i.ownersKnown)
        .map((i) => `${i.kind}:${i.nativeId}`)
        .sort(),
    ).toEqual([...JUDGED_BY_MEMBERSHIP].sort());
    // Whose ownership does not depend on membership is still judged: no owner declared, no creator recorded.
    const ids = new Map(identities(records).map((i) => [`${i.kind}:${i.nativeId}`, i]));
    expect(ids.get('github-app-installation:71005')).toMatchObject({ owners: [], ownersKnown: true });
    expect(ids.get('deploy-key:acme-corp/docs#103')).toMatchObject({ owners: [], ownersKnown: true });

    const ownerless = lines(await ownerlessFindings(records, gh.emu.now));
    expect(ownerless.filter((l) => !lines(completeOwnerless).includes(l))).toEqual([]);
    expect(ownerless).toEqual(['deploy-key:acme-corp/docs#103', 'github-app-installation:71005']);
  });

  it('keeps the previous scan’s membership for grants, so that only ownersKnown changes', async () => {
    failMembers();
    const { records, coverage } = await gh.scan({
      context: { previous: snapshotOf(complete, 1, gh.emu.now) },
    });
    const before = byKey(complete);
    const after = byKey(records);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const rewritten = [...after].filter(([k, r]) => contentHash(r) !== contentHash(before.get(k)!));
    // Identities change in ownersKnown alone; grants and credentials not at all.
    expect(rewritten.map(([k]) => k).sort()).toEqual(JUDGED_BY_MEMBERSHIP.map((k) => `identity|${k}`).sort());
    for (const [k, r] of rewritten) {
      expect({ ...(r as Identity), ownersKnown: true }, k).toEqual(before.get(k));
    }
    // frank left the org: the orphaned principal stays inactive rather than turning unknown.
    const frankKey = records.find(
      (r): r is Grant => r.type === 'grant' && r.identity.nativeId === 'acme-corp/infra#101',
    );
    expect(frankKey?.grantedBy).toMatchObject({ id: 'frank', active: false });
    expect(members(coverage).notes.join('\n')).toMatch(/membership of \d+ users? carried over from scan #1/);
  });

  it('without a previous scan, leaves membership unknown (null) and still makes no false ownerless finding', async () => {
    failMembers();
    const { records } = await gh.scan();
    const delegated = records.filter((r): r is Grant => r.type === 'grant' && r.principal !== null);
    expect(delegated.length).toBeGreaterThan(0);
    expect(delegated.every((g) => g.principal!.active === null)).toBe(true);
    const ownerless = lines(await ownerlessFindings(records, gh.emu.now));
    expect(ownerless).toEqual(['deploy-key:acme-corp/docs#103', 'github-app-installation:71005']);
  });

  it('when only the second members page fails, owners it did read still count as active', async () => {
    // The owners (role=admin) list succeeds; the plain members list fails.
    gh.emu.faults.add({
      service: 'github',
      path: '/api/v3/orgs/{org}/members',
      skip: 1,
      action: { kind: 'status', status: 403, body: { message: 'Resource not accessible by integration' } },
    });
    const { records, coverage } = await gh.scan();
    expect(members(coverage).status).toBe('failed');
    const pat = identities(records).find((i) => i.nativeId === '81003')!;
    expect(pat.owners).toEqual([{ id: 'erin', name: 'erin', type: 'user', active: true }]);
    expect(pat.ownersKnown).toBe(true);
    const bobs = identities(records).find((i) => i.nativeId === '81001')!;
    expect(bobs).toMatchObject({ ownersKnown: false, owners: [{ id: 'bob', active: null }] });
  });
});
