import { describe, expect, it } from 'vitest';
import type { ModelRecordInput } from '../model/record.js';
import type { CollectorRun } from './collector.js';
import { ConnectorStateTracker } from './connector-state.js';
import type { ConnectorContext } from './context.js';
import { attributeTo, CoverageTracker } from './coverage.js';
import {
  type CarryDecision,
  checkCarry,
  emitOrCarry,
  emitUnlessCarried,
  recordsDigest,
} from './records-carry.js';

const SOURCE = 'microsoft365:t1';
const NAME = 'app-role-assignments';
const KEY = 'appRoleAssignments.recordsDigest';

const grant = (id: string, name: string) =>
  ({
    type: 'grant',
    platform: 'microsoft365',
    tenant: { id: 't1', name: null },
    identity: { kind: 'service-principal', nativeId: id },
    permission: { id: name, name, resource: null, nativeLevel: 'application', access: 'read' },
    collector: NAME,
  }) as unknown as ModelRecordInput;

const RECORDS = [grant('sp1', 'Mail.Read'), grant('sp2', 'User.Read.All')];

/** A transform of `records` that counts the records it gives, in `given`. */
function counted(records: ModelRecordInput[]) {
  const counter = { given: 0 };
  function* transform(): Generator<ModelRecordInput, string[]> {
    for (const r of records) {
      counter.given += 1;
      yield r;
    }
    return [`${records.length} assignment(s)`];
  }
  return { transform, counter };
}

/** A collector run of scan 6, whose previous scan is `previousScanId`, with `stored` kept by `keptBy`. */
function run(opts: { stored?: string; keptBy?: number; previousScanId?: number | null; full?: boolean }) {
  const kept = new Map(
    opts.stored === undefined ? [] : [[KEY, { value: opts.stored, scanId: opts.keptBy ?? 5 }]],
  );
  const state = new ConnectorStateTracker(SOURCE, kept, opts.full ?? false);
  const coverage = new CoverageTracker('microsoft365', 'microsoft365', 't1', () => new Date(), [NAME]);
  coverage.begin(NAME);
  const ctx = {
    state,
    coverage,
    previous: { scanId: opts.previousScanId === undefined ? 5 : opts.previousScanId },
  } as unknown as ConnectorContext;
  const r: Pick<CollectorRun, 'ctx' | 'name'> = { ctx, name: NAME };
  /**
   * What a collector does: `checkCarry` in its fetch, then `emitUnlessCarried` in its transform, both
   * as the collector (the runner runs both so). Returns what the transform emitted and returned.
   */
  const scan = async (records = RECORDS) => {
    const { transform, counter } = counted(records);
    const decision = await attributeTo(NAME, async () => checkCarry(r, KEY, transform));
    const emitted: ModelRecordInput[] = [];
    const result = await attributeTo(NAME, async () => {
      const it = emitUnlessCarried(r, KEY, decision, transform);
      for (let x = it.next(); ; x = it.next()) {
        if (x.done) return x.value;
        emitted.push(x.value);
      }
    });
    return { decision, emitted, result, transformed: counter.given };
  };
  const carry = async (records = RECORDS) => {
    const { decision } = await scan(records);
    return decision.kind === 'carried' ? decision.carried : null;
  };
  /** What a collector does with `emitOrCarry` in its transform (as the collector). */
  const transformOnly = async (records = RECORDS) => {
    const { transform, counter } = counted(records);
    const emitted: ModelRecordInput[] = [];
    const result = await attributeTo(NAME, async () => {
      const it = emitOrCarry(r, KEY, transform);
      for (let x = it.next(); ; x = it.next()) {
        if (x.done) return x.value;
        emitted.push(x.value);
      }
    });
    return { emitted, result, transformed: counter.given };
  };
  const committed = () => state.toCommit(coverage.report()).find((w) => w.key === KEY)?.value;
  const entry = () => coverage.report().collectors.find((c) => c.collector === NAME)!;
  return { run: r, carry, scan, transformOnly, committed, entry, coverage };
}

describe('records digest', () => {
  it('is the same whatever order the records come in, and changes with any field', () => {
    const { digest } = recordsDigest(RECORDS);
    expect(recordsDigest([...RECORDS].reverse()).digest).toBe(digest);
    expect(recordsDigest([RECORDS[0]!, grant('sp2', 'User.ReadWrite.All')]).digest).not.toBe(digest);
    expect(recordsDigest(RECORDS.slice(1)).digest).not.toBe(digest);
    expect(recordsDigest(RECORDS).count).toBe(2);
  });
});

describe('checkCarry and emitUnlessCarried', () => {
  const DIGEST = recordsDigest(RECORDS).digest;

  it('carries the records the previous scan stored: incremental, nothing removed, the notes kept', async () => {
    const r = run({ stored: DIGEST });
    expect(await r.carry()).toEqual({ since: 5, records: 2, result: ['2 assignment(s)'] });
    expect(r.entry().incremental).toEqual({ since: 5, removed: [] });
    expect(r.entry().notes.join('\n')).toMatch(
      /unchanged since scan #5: its 2 record\(s\) are carried forward/,
    );
    expect(r.committed()).toBe(DIGEST);
  });

  it('does not carry records that differ from what the previous scan stored, and keeps the new digest', async () => {
    const r = run({ stored: DIGEST });
    const changed = [RECORDS[0]!, grant('sp2', 'User.ReadWrite.All')];
    expect(await r.carry(changed)).toBeNull();
    expect(r.entry().incremental).toBeUndefined();
    expect(r.committed()).toBe(recordsDigest(changed).digest);
  });

  it('does not carry on a digest kept by an earlier scan than the previous one', async () => {
    const r = run({ stored: DIGEST, keptBy: 4 });
    expect(await r.carry()).toBeNull();
    expect(r.committed()).toBe(DIGEST);
  });

  it('does not carry under --full, on a first scan, or without a digest kept', async () => {
    expect(await run({ stored: DIGEST, full: true }).carry()).toBeNull();
    expect(await run({ previousScanId: null }).carry()).toBeNull();
    expect(await run({}).carry()).toBeNull();
  });

  it('does not carry for a collector no longer complete (marked unavailable while it ran)', async () => {
    const r = run({ stored: DIGEST });
    r.coverage.unavailable(NAME, 'only the service principals the scanner owns are listed');
    expect(await r.carry()).toBeNull();
    expect(r.entry().incremental).toBeUndefined();
  });

  it('emits nothing when carried, and returns the notes the transform gave', async () => {
    const r = run({ stored: DIGEST });
    const { emitted, result, transformed } = await r.scan();
    expect(emitted).toEqual([]);
    expect(result).toEqual(['2 assignment(s)']);
    // Run once, to digest.
    expect(transformed).toBe(2);
  });

  it('on a first scan runs the transform once: each record emitted once, digested as it goes', async () => {
    const r = run({ previousScanId: null });
    const { decision, emitted, result, transformed } = await r.scan();
    expect(decision).toEqual({ kind: 'not-compared' });
    expect(emitted).toEqual(RECORDS);
    expect(result).toEqual(['2 assignment(s)']);
    expect(transformed).toBe(RECORDS.length);
    expect(r.committed()).toBe(DIGEST);
  });

  it('under --full and without a digest of the previous scan runs the transform once too', async () => {
    for (const opts of [{ stored: DIGEST, full: true }, {}, { stored: DIGEST, keptBy: 4 }]) {
      const r = run(opts);
      const { emitted, transformed } = await r.scan();
      expect(emitted).toEqual(RECORDS);
      expect(transformed).toBe(RECORDS.length);
      expect(r.committed()).toBe(DIGEST);
    }
  });

  it('emits changed records in full and keeps their digest, committed as the collector’s', async () => {
    const r = run({ stored: DIGEST });
    const changed = [grant('sp3', 'Mail.Send'), ...RECORDS];
    const { decision, emitted } = await r.scan(changed);
    expect(decision).toEqual({ kind: 'changed' });
    expect(emitted).toEqual(changed);
    expect(r.committed()).toBe(recordsDigest(changed).digest);
  });

  it('keeps the digest digested while emitting only if the collector completes', async () => {
    const r = run({});
    await r.scan();
    r.coverage.fail(NAME, new Error('the store refused a batch'));
    expect(r.committed()).toBeUndefined();
  });

  it('keeps no digest when the transform did not finish emitting', async () => {
    const r = run({});
    const { transform } = counted(RECORDS);
    const decision: CarryDecision<string[]> = { kind: 'not-compared' };
    await attributeTo(NAME, async () => {
      const it = emitUnlessCarried(r.run, KEY, decision, transform);
      it.next();
      it.return(['stopped']);
    });
    expect(r.committed()).toBeUndefined();
  });
});

describe('emitOrCarry (compared in the transform)', () => {
  const DIGEST = recordsDigest(RECORDS).digest;

  it('carries the records the previous scan stored: none emitted, incremental, the result of the digest run', async () => {
    const r = run({ stored: DIGEST });
    const { emitted, result, transformed } = await r.transformOnly();
    expect(emitted).toEqual([]);
    expect(result).toEqual(['2 assignment(s)']);
    expect(transformed).toBe(RECORDS.length);
    expect(r.entry().incremental).toEqual({ since: 5, removed: [] });
    expect(r.entry().notes.join('\n')).toMatch(
      /unchanged since scan #5: its 2 record\(s\) are carried forward/,
    );
    expect(r.committed()).toBe(DIGEST);
  });

  it('emits changed records (built again after the digest run) and keeps their digest', async () => {
    const r = run({ stored: DIGEST });
    const changed = [RECORDS[0]!, grant('sp2', 'User.ReadWrite.All')];
    const { emitted, result, transformed } = await r.transformOnly(changed);
    expect(emitted).toEqual(changed);
    expect(result).toEqual(['2 assignment(s)']);
    expect(transformed).toBe(2 * changed.length);
    expect(r.entry().incremental).toBeUndefined();
    expect(r.committed()).toBe(recordsDigest(changed).digest);
  });

  it('without a comparable digest (first scan, --full, an older scan’s, no longer complete) emits once and keeps the digest', async () => {
    for (const opts of [
      { previousScanId: null },
      { stored: DIGEST, full: true },
      {},
      { stored: DIGEST, keptBy: 4 },
    ]) {
      const r = run(opts);
      const { emitted, transformed } = await r.transformOnly();
      expect(emitted).toEqual(RECORDS);
      expect(transformed).toBe(RECORDS.length);
      expect(r.entry().incremental).toBeUndefined();
      expect(r.committed()).toBe(DIGEST);
    }
    const r = run({ stored: DIGEST });
    r.coverage.unavailable(NAME, 'only the service principals the scanner owns are listed');
    const { emitted } = await r.transformOnly();
    expect(emitted).toEqual(RECORDS);
    expect(r.entry().incremental).toBeUndefined();
  });
});
