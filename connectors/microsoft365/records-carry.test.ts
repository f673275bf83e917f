import { describe, expect, it } from 'vitest';
import type { CollectorRun } from '../../src/connector/collector.js';
import { ConnectorStateTracker } from '../../src/connector/connector-state.js';
import type { ConnectorContext } from '../../src/connector/context.js';
import { attributeTo, CoverageTracker } from '../../src/connector/coverage.js';
import type { ModelRecordInput } from '../../src/model/record.js';
import { carryIfUnchanged, recordsDigest } from './records-carry.js';

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

function* transform(records: ModelRecordInput[]): Generator<ModelRecordInput, string[]> {
  yield* records;
  return [`${records.length} assignment(s)`];
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
  const carry = (records = RECORDS) =>
    attributeTo(NAME, async () => carryIfUnchanged(r, KEY, transform(records)));
  const committed = () => state.toCommit(coverage.report()).find((w) => w.key === KEY)?.value;
  const entry = () => coverage.report().collectors.find((c) => c.collector === NAME)!;
  return { carry, committed, entry, coverage };
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

describe('carryIfUnchanged', () => {
  const DIGEST = recordsDigest(RECORDS).digest;

  it('carries the records the previous scan stored: incremental, nothing removed, the notes kept', async () => {
    const r = run({ stored: DIGEST });
    expect(await r.carry()).toEqual({ since: 5, records: 2, notes: ['2 assignment(s)'] });
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
});
