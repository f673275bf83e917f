import { describe, expect, it } from 'vitest';
import { STORE_KINDS, type StoreFactory, storeFactory } from '../../test/store-behaviour/store-factory.js';
import { at, coverage, credential, grant, identity } from '../../test/support/store-records.js';
import { BUILTIN_VOCABULARY } from '../../test/support/vocabulary.js';
import type { Finding } from '../findings/finding.js';
import { EMPTY_GOVERNANCE, type Governance } from '../governance/model.js';
import type { ModelRecord } from '../model/index.js';
import { defaultPolicy, type Policy } from '../policy/index.js';
import type { FindingsRecorded, SnapshotStore } from '../store/store.js';
import { analyseScan } from './analyse.js';
import { analysisInputs } from './analysis-inputs.js';

/**
 * Incremental analysis (findings-reuse.ts): a store whose rescans carry findings forward ends every
 * scan with the same findings (content, first and last seen, counts) as a store analysed with `full`
 * each time, across a matrix of changes; and it carries exactly when it may. On both stores.
 */
const POLICY = defaultPolicy(BUILTIN_VOCABULARY);

interface Step {
  records: ModelRecord[];
  /** Default: the scan's start. */
  asOf?: string;
  policy?: Policy;
  governance?: Governance;
  full?: boolean;
  /** The collector failed: nothing is written, the store keeps its previous records. */
  failed?: boolean;
}

interface Outcome {
  findings: Finding[];
  counts: unknown;
  recorded: FindingsRecorded | null;
  /** The bundles the analysis read (carried identities are not read). */
  read: number;
}

/** `store`, counting the bundles its snapshot reads yield. */
function counting(store: SnapshotStore, count: { n: number }): SnapshotStore {
  return new Proxy(store, {
    get(target, p) {
      if (p === 'readSnapshot') {
        return (scanId: number, filter?: Parameters<SnapshotStore['readSnapshot']>[1]) =>
          (async function* () {
            for await (const b of target.readSnapshot(scanId, filter)) {
              count.n += 1;
              yield b;
            }
          })();
      }
      const v = Reflect.get(target, p);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const admin = (id: string) => grant(id, 'administration', { risk: { tier: 'critical' } });
const issues = (id: string) => grant(id, 'issues', { risk: { tier: 'high' } });
/** 1: over-privileged and ownerless; 2: over-privileged; 3: stale (used long ago); 4: nothing. */
const BASE: ModelRecord[] = [
  identity('1', { owners: [] }),
  admin('1'),
  identity('2'),
  admin('2'),
  issues('2'),
  identity('3', { lastUsed: { at: '2025-09-01T00:00:00Z', source: 'audit-log' } }),
  identity('4'),
  grant('4', 'metadata'),
];
const without = (records: ModelRecord[], drop: (r: ModelRecord) => boolean) =>
  records.filter((r) => !drop(r));
const about = (id: string) => (r: ModelRecord) =>
  (r.type === 'identity' && r.nativeId === id) ||
  (r.type !== 'identity' && 'identity' in r && r.identity.nativeId === id);

/** Runs the steps as scans 1..n (day n) into a new store, analysing each; `full` forces it on every step. */
async function run(factory: StoreFactory, steps: Step[], full: boolean): Promise<Outcome[]> {
  const store: SnapshotStore = await factory.open();
  try {
    const out: Outcome[] = [];
    for (const [i, step] of steps.entries()) {
      const day = i + 1;
      const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
      if (!step.failed) await w.write(step.records);
      const status = step.failed ? 'failed' : 'complete';
      const scan = await w.complete([coverage({ 'app-installations': status })], at(day, 1));
      const count = { n: 0 };
      const analysis = await analyseScan(counting(store, count), scan, {
        policy: step.policy ?? POLICY,
        asOf: new Date(step.asOf ?? at(day)),
        vocabulary: BUILTIN_VOCABULARY,
        governance: step.governance ?? EMPTY_GOVERNANCE,
        full: full || step.full === true,
      });
      const findings: Finding[] = [];
      for await (const f of analysis.findings.read()) findings.push(f);
      out.push({
        findings,
        counts: analysis.findings.counts,
        recorded: analysis.findings.recorded,
        read: count.n,
      });
    }
    return out;
  } finally {
    await store.close();
  }
}

/** Runs `steps` both ways, asserts they agree on every step, returns the incremental run. */
async function agreesWithFull(factory: StoreFactory, steps: Step[]): Promise<Outcome[]> {
  const incremental = await run(factory, steps, false);
  const full = await run(factory, steps, true);
  for (const [i, f] of full.entries()) {
    expect(f.recorded?.carried, `full run, scan ${i + 1}`).toBeUndefined();
    expect(incremental[i]!.findings, `scan ${i + 1}`).toEqual(f.findings);
    expect(incremental[i]!.counts, `scan ${i + 1}`).toEqual(f.counts);
  }
  return incremental;
}

const carried = (o: Outcome) => o.recorded?.carried;

describe.each(STORE_KINDS)('incremental analysis of a rescan (%s store)', (kind) => {
  const factory = storeFactory(kind);
  it('an unchanged rescan carries the bundle-only findings, scan after scan, as a full evaluation finds them', async () => {
    const runs = await agreesWithFull(factory, [{ records: BASE }, { records: BASE }, { records: BASE }]);
    expect(carried(runs[0]!)).toBeUndefined();
    // Identity 1: over-privileged (critical) and ownerless (high); identity 2: over-privileged (critical).
    expect(carried(runs[1]!)).toEqual({ bySeverity: { critical: 2, high: 1 }, excepted: 0 });
    expect(carried(runs[2]!)).toEqual({ bySeverity: { critical: 2, high: 1 }, excepted: 0 });
    expect(runs[2]!.findings.map((f) => `${f.rule} ${f.identity.id}`).sort()).toEqual([
      'over-privileged 1',
      'over-privileged 2',
      'ownerless 1',
      'stale 3',
    ]);
  });

  it.each<[string, ModelRecord[]]>([
    [
      'a grant of identity 2 rises to critical',
      [
        ...without(BASE, (r) => r.type === 'grant' && r.permission.id === 'issues'),
        grant('2', 'issues', { risk: { tier: 'critical' } }),
      ],
    ],
    [
      'a grant of identity 2 is removed',
      without(BASE, (r) => r.type === 'grant' && r.permission.id === 'issues'),
    ],
    ['identity 2 is removed', without(BASE, about('2'))],
    [
      'identity 1 gets an owner',
      [...without(BASE, (r) => r.type === 'identity' && r.nativeId === '1'), identity('1')],
    ],
    [
      'identity 1 changes only its name',
      [
        ...without(BASE, (r) => r.type === 'identity' && r.nativeId === '1'),
        identity('1', { owners: [], displayName: 'Renamed' }),
      ],
    ],
    ['identity 4 gets a critical grant', [...BASE, admin('4')]],
    [
      'identity 3 is used again',
      [...without(BASE, about('3')), identity('3', { lastUsed: { at: at(2), source: 'audit-log' } })],
    ],
  ])('%s: the changed identity is evaluated again, the rest carried', async (_name, changed) => {
    const runs = await agreesWithFull(factory, [
      { records: BASE },
      { records: changed },
      { records: changed },
    ]);
    expect(carried(runs[1]!)).toBeDefined();
    expect(carried(runs[2]!)).toBeDefined();
  });

  it('a changed identity is evaluated again: its updated finding is not the carried one', async () => {
    const renamed = [
      ...without(BASE, (r) => r.type === 'identity' && r.nativeId === '1'),
      identity('1', { owners: [], displayName: 'Renamed' }),
    ];
    const runs = await agreesWithFull(factory, [{ records: BASE }, { records: renamed }]);
    const titles = runs[1]!.findings.filter((f) => f.identity.id === '1').map((f) => f.title);
    expect(titles.length).toBe(2);
    for (const t of titles) expect(t).toContain('Renamed');
    // Only identity 2's over-privileged finding was carried.
    expect(carried(runs[1]!)).toEqual({ bySeverity: { critical: 1 }, excepted: 0 });
  });

  it('a changed policy, a governance file or --full evaluate everything; carrying resumes after a full recording without governance', async () => {
    const stricter: Policy = structuredClone(POLICY);
    (stricter.rules['over-privileged'] as { minTier: string }).minTier = 'critical';
    // A governance file in force, even one that decides nothing here.
    const governance: Governance = { ...EMPTY_GOVERNANCE, hash: 'g1' };
    const runs = await agreesWithFull(factory, [
      { records: BASE },
      { records: BASE, policy: stricter },
      { records: BASE, policy: stricter },
      { records: BASE, governance },
      { records: BASE },
      { records: BASE },
      { records: BASE, full: true },
      { records: BASE },
    ]);
    expect(runs.map((r) => carried(r) !== undefined)).toEqual([
      false,
      false,
      true,
      false,
      false,
      true,
      false,
      true,
    ]);
    // The stricter policy drops identity 2's high grant from its evidence: re-evaluated, not carried.
    expect(runs[1]!.findings).not.toEqual(runs[0]!.findings);
  });

  it('a failed collector keeps its records: carried, as a full evaluation of the kept records finds them', async () => {
    const runs = await agreesWithFull(factory, [
      { records: BASE },
      { records: [], failed: true },
      { records: without(BASE, about('2')) },
    ]);
    expect(carried(runs[1]!)).toEqual({ bySeverity: { critical: 2, high: 1 }, excepted: 0 });
    expect(runs[1]!.findings.map((f) => f.fingerprint)).toEqual(runs[0]!.findings.map((f) => f.fingerprint));
    expect(runs[2]!.findings.some((f) => f.identity.id === '2')).toBe(false);
  });

  it('a later --as-of re-evaluates the date rules and still carries the bundle-only ones', async () => {
    const runs = await agreesWithFull(factory, [
      { records: BASE },
      { records: BASE, asOf: '2026-09-01T00:00:00Z' },
      { records: BASE, asOf: '2026-01-02T00:00:00Z' },
    ]);
    expect(carried(runs[1]!)).toBeDefined();
    const stale = (o: Outcome) => o.findings.filter((f) => f.rule === 'stale').map((f) => f.title);
    expect(stale(runs[1]!)).not.toEqual(stale(runs[0]!));
  });

  it('an unchanged identity is neither read nor evaluated while its date rules hold; as-of past a threshold, a new identity, an earlier as-of', async () => {
    const idle = { name: 'Idle Corp', id: 'idle', verified: true };
    const DATED: ModelRecord[] = [
      ...BASE,
      // stale from 2026-01-05 (never used, created 2025-12-06: 30 days' grace).
      identity('5', { lastUsed: { at: null, source: 'audit-log' }, createdAt: '2025-12-06T00:00:00Z' }),
      // a deploy key expiring 2026-02-10: warned from 2026-01-11.
      identity('6'),
      credential('6', 'k6', {
        identity: { kind: 'github-app-installation', nativeId: '6' },
        createdAt: '2025-12-01T00:00:00Z',
        expiresAt: '2026-02-10T00:00:00Z',
      }),
      // an idle vendor: two identities unused since 2025-06-01.
      identity('7', { publisher: idle, lastUsed: { at: '2025-06-01T00:00:00Z', source: 'audit-log' } }),
      identity('8', { publisher: idle, lastUsed: { at: '2025-06-01T00:00:00Z', source: 'audit-log' } }),
    ];
    const added = [...DATED, identity('9'), admin('9')];
    const runs = await agreesWithFull(factory, [
      { records: DATED, asOf: at(1) },
      { records: DATED, asOf: at(1, 30) },
      { records: added, asOf: at(1, 40) },
      { records: added, asOf: at(1, 50) },
      { records: added, asOf: '2026-01-20T00:00:00Z' },
      { records: added, asOf: at(2) },
    ]);
    const rules = (o: Outcome) => [...new Set(o.findings.map((f) => f.rule))].sort();
    expect(rules(runs[0]!)).toEqual(['idle-partner', 'over-privileged', 'ownerless', 'stale']);
    // Nothing changed, nothing ticked: nothing read; every finding but the vendor's carried, the stale one too.
    expect(runs[1]!.read).toBe(0);
    expect(carried(runs[1]!)).toEqual({ bySeverity: { critical: 2, high: 1, medium: 3 }, excepted: 0 });
    // A new identity: only it is read; its new-grant finding goes once it is no longer new.
    expect(runs[2]!.read).toBe(1);
    expect(runs[2]!.findings.some((f) => f.rule === 'new-grant')).toBe(true);
    expect(runs[3]!.read).toBe(0);
    expect(runs[3]!.findings.some((f) => f.rule === 'new-grant')).toBe(false);
    // Days later: the stale ones' day counts ticked, identity 5 passed its grace, the key entered its
    // warning window: those are read again, the rest still carried.
    // (3, 7 and 8: stale day counts; 5: grace; 6: the key.)
    expect(runs[4]!.read).toBe(5);
    expect(rules(runs[4]!)).toContain('credential-hygiene');
    expect(
      runs[4]!.findings
        .filter((f) => f.rule === 'stale')
        .map((f) => f.identity.id)
        .sort(),
    ).toEqual(['3', '5', '7', '8']);
    // An as-of before the recording's: nothing it found is known to hold, everything is read.
    expect(carried(runs[5]!)).toBeUndefined();
    expect(runs[5]!.read).toBe(9);
  });

  it('a review recorded between scans: its identity is read and evaluated again', async () => {
    const store: SnapshotStore = await factory.open();
    try {
      const policy: Policy = structuredClone(POLICY);
      (policy.rules['overdue-review'] as { periodDays: number }).periodDays = 30;
      const reviewed: Outcome[] = [];
      for (const day of [1, 2]) {
        const w = await store.beginScan({ startedAt: at(day), toolVersion: 't' });
        await w.write(BASE);
        const scan = await w.complete([coverage({ 'app-installations': 'complete' })], at(day, 1));
        if (day === 2) {
          await store.recordReview({
            platform: 'github',
            tenant: 'acme',
            kind: 'github-app-installation',
            nativeId: '4',
            decision: 'keep',
            reviewer: 'alice',
            note: null,
            until: null,
            reviewedAt: '2025-10-01T00:00:00Z',
            displayName: 'App 4',
            scanId: null,
            grantsDigest: null,
          });
        }
        const count = { n: 0 };
        const analysis = await analyseScan(counting(store, count), scan, {
          policy,
          asOf: new Date(at(day)),
          vocabulary: BUILTIN_VOCABULARY,
        });
        const findings: Finding[] = [];
        for await (const f of analysis.findings.read()) findings.push(f);
        reviewed.push({
          findings,
          counts: analysis.findings.counts,
          recorded: analysis.findings.recorded,
          read: count.n,
        });
      }
      // Identity 4 (reviewed) and identity 3 (its stale day count ticked).
      expect(reviewed[1]!.read).toBe(2);
      expect(
        reviewed[1]!.findings.filter((f) => f.rule === 'overdue-review').map((f) => f.identity.id),
      ).toEqual(['4']);
    } finally {
      await store.close();
    }
  });

  it('the inputs digest changes with the grantscope version, the policy, the vocabulary, the carried rules and their code', () => {
    const base = {
      toolVersion: '1.0.0',
      policy: POLICY,
      vocabulary: BUILTIN_VOCABULARY,
      carriedRules: ['ownerless'],
    };
    const stricter: Policy = structuredClone(POLICY);
    (stricter.rules['over-privileged'] as { minTier: string }).minTier = 'critical';
    const relabelled = {
      ...BUILTIN_VOCABULARY,
      identityKinds: new Map([
        ...BUILTIN_VOCABULARY.identityKinds,
        ['github-app-installation', 'GitHub App'],
      ]),
    };
    const digests = [
      analysisInputs(base),
      analysisInputs({ ...base, toolVersion: '1.0.1' }),
      analysisInputs({ ...base, policy: stricter }),
      analysisInputs({ ...base, vocabulary: relabelled }),
      analysisInputs({ ...base, carriedRules: ['ownerless', 'over-privileged'] }),
      analysisInputs({ ...base, ruleCode: ['evaluate() { return []; }'] }),
    ];
    expect(new Set(digests).size).toBe(digests.length);
    expect(analysisInputs({ ...base })).toBe(digests[0]);
  });
});
