import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ConfiguredConnector } from '../config/config.js';
import { type Collector, PartialFailure } from '../connector/collector.js';
import type { Connector } from '../connector/connector.js';
import { systemClock } from '../connector/context.js';
import { ApiError, TenantNotFoundError } from '../errors.js';
import { memoryLogger, silentLogger } from '../log/logger.js';
import { silentProgress } from '../log/progress.js';
import type { ModelRecordInput } from '../model/record.js';
import { openStore } from '../store/open.js';
import type { SnapshotStore } from '../store/store.js';
import { runScan } from './run-scan.js';

/** A connector whose records and behaviour each test sets, recording what the engine gave it. */
function probeConnector(plan: {
  records: () => ModelRecordInput[];
  seenPrevious?: Array<{ scanId: number | null; nativeIds: string[] }>;
  throwAfterCollectors?: boolean;
  /** Thrown by the collector after its records (an API error quoting a response body). */
  collectorError?: Error;
}): ConfiguredConnector {
  const connector: Connector<{ tenant: string }, null> = {
    id: 'probe',
    platform: 'probe',
    title: 'probe',
    configSchema: z.object({ tenant: z.string() }),
    tenantOf: (c) => c.tenant,
    connect: async () => null,
    collectors: [
      {
        name: 'things',
        description: 'things',
        permissions: ['things:read'],
        async fetch(_session, run) {
          const ids: string[] = [];
          for await (const b of run.ctx.previous.bundles()) ids.push(b.identity?.nativeId ?? '?');
          plan.seenPrevious?.push({ scanId: run.ctx.previous.scanId, nativeIds: ids });
          const records = plan.records();
          // Failing after its records were read: what was read is still emitted.
          if (plan.collectorError) throw new PartialFailure(plan.collectorError, records);
          return records;
        },
        transform(records: ModelRecordInput[]) {
          if (plan.throwAfterCollectors) throw new Error('bug while assembling records');
          return records;
        },
      } as Collector<null>,
    ],
  };
  return {
    connector,
    config: { tenant: 't1' },
    tenant: 't1',
    path: 'probe',
  };
}

const app = (nativeId: string, raw: unknown = null): ModelRecordInput => ({
  type: 'identity',
  platform: 'probe',
  tenant: { id: 't1', name: null },
  kind: 'app',
  nativeId,
  collector: 'things',
  raw: raw as never,
});

describe('runScan', () => {
  let store: SnapshotStore | undefined;
  afterEach(async () => {
    await store?.close();
  });

  const scanOptions = (cc: ConfiguredConnector) => ({
    store: store!,
    connectors: [cc],
    configDir: '.',
    http: {},
    concurrency: 2,
    logger: silentLogger,
    progress: silentProgress,
    clock: systemClock,
    signal: new AbortController().signal,
    toolVersion: 'test',
  });
  const scan = (cc: ConfiguredConnector) =>
    runScan({
      store: store!,
      connectors: [cc],
      configDir: '.',
      http: {},
      concurrency: 2,
      logger: silentLogger,
      progress: silentProgress,
      clock: systemClock,
      signal: new AbortController().signal,
      toolVersion: 'test',
    });

  it("gives a connector its tenant's previous snapshot", async () => {
    store = await openStore(join(mkdtempSync(join(tmpdir(), 'gs-run-')), 'g.db'));
    const seenPrevious: Array<{ scanId: number | null; nativeIds: string[] }> = [];
    let records = [app('a'), app('b')];
    const cc = probeConnector({ records: () => records, seenPrevious });
    await scan(cc);
    records = [app('b')];
    await scan(cc);
    expect(seenPrevious).toEqual([
      { scanId: null, nativeIds: [] },
      { scanId: 1, nativeIds: ['a', 'b'] },
    ]);
  });

  it('stores the hash of the governance files in force with the scan', async () => {
    store = await openStore(join(mkdtempSync(join(tmpdir(), 'gs-run-')), 'g.db'));
    const cc = probeConnector({ records: () => [app('a')], seenPrevious: [] });
    const withHash = await runScan({ ...scanOptions(cc), governanceHash: 'sha256-of-governance' });
    expect(withHash.scan.governanceHash).toBe('sha256-of-governance');
    const without = await scan(cc);
    expect(without.scan.governanceHash).toBeNull();
    expect((await store.getScan(withHash.scan.id))?.governanceHash).toBe('sha256-of-governance');
  });

  it('redacts secret-named fields of raw objects before storing, and rejects records of another tenant', async () => {
    store = await openStore(join(mkdtempSync(join(tmpdir(), 'gs-run-')), 'g.db'));
    const foreign = { ...app('x'), tenant: { id: 'other', name: null } } as ModelRecordInput;
    const out = await scan(
      probeConnector({
        records: () => [
          app('a', { id: 'a', client_secret: 'hunter2-secret', nested: { password: 'pw-123456' } }),
          foreign,
        ],
      }),
    );
    expect(out.rejected).toBe(1);
    expect(out.coverage[0]!.collectors[0]!.status).toBe('failed');
    const bundles = [];
    for await (const b of store.readSnapshot(out.scan.id)) bundles.push(b);
    expect(bundles.map((b) => b.identity?.raw)).toEqual([
      { id: 'a', client_secret: '[redacted]', nested: { password: '[redacted]' } },
    ]);
  });

  it('a connector that throws while assembling its records fails that collector, so nothing is removed', async () => {
    store = await openStore(join(mkdtempSync(join(tmpdir(), 'gs-run-')), 'g.db'));
    await scan(probeConnector({ records: () => [app('a'), app('b')] }));
    const out = await scan(probeConnector({ records: () => [app('a')], throwAfterCollectors: true }));
    expect(out.scan.status).toBe('incomplete');
    expect(out.coverage[0]!.collectors[0]).toMatchObject({
      status: 'failed',
      reason: 'bug while assembling records',
    });
    const ids: string[] = [];
    for await (const b of store.readSnapshot(out.scan.id)) ids.push(b.identity!.nativeId);
    expect(ids).toEqual(['a', 'b']);
  });

  it('scrubs secrets quoted from API error bodies out of coverage before it is stored or returned', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-run-'));
    store = await openStore(join(dir, 'g.db'));
    const body =
      '{"error":"invalid_client","access_token":"opaque-at-1234567890","detail":"client_secret=Sup3rS3cretValue; ' +
      'token ghs_16C7e42F292c6912E7710c838347Ae178B4a; Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjMifQ.c2lnbmF0dXJl"}';
    const out = await scan(
      probeConnector({
        records: () => [app('a')],
        collectorError: new ApiError('probe-api', 400, body, { method: 'GET', path: '/things' }),
      }),
    );
    const reason = out.coverage[0]!.collectors[0]!.reason!;
    expect(reason).toContain('invalid_client');
    await store.close();
    store = undefined;
    const stored = (await import('node:fs')).readFileSync(join(dir, 'g.db')).toString('latin1');
    for (const secret of [
      'opaque-at-1234567890',
      'Sup3rS3cretValue',
      'ghs_16C7e42F',
      'eyJhbGciOiJSUzI1NiJ9',
    ]) {
      expect(reason).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
  });

  it('warns once per distinct reason: a tenant that could not connect is one line, naming its collectors', async () => {
    store = await openStore(join(mkdtempSync(join(tmpdir(), 'gs-run-')), 'g.db'));
    const collector = (name: string) => ({
      name,
      description: name,
      permissions: [`${name}:read`],
      fetch: async () => [],
    });
    const connector: Connector<{ tenant: string }, null> = {
      id: 'probe',
      platform: 'probe',
      title: 'probe',
      configSchema: z.object({ tenant: z.string() }),
      tenantOf: (c) => c.tenant,
      connect: async () => {
        throw new ApiError('probe-login', 401, 'invalid_client', { method: 'POST', path: '/token' });
      },
      collectors: [collector('apps'), collector('hooks'), collector('keys')],
    };
    const logger = memoryLogger('warn');
    await runScan({
      store: store!,
      connectors: [{ connector, config: { tenant: 't1' }, tenant: 't1', path: 'probe' }],
      configDir: '.',
      http: {},
      concurrency: 2,
      logger,
      progress: silentProgress,
      clock: systemClock,
      signal: new AbortController().signal,
      toolVersion: 'test',
    });
    const warnings = logger.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'tenant not scanned',
        collectors: 'apps, hooks, keys',
        reason: 'probe-login POST /token returned 401: invalid_client',
      }),
    ]);
  });

  it('a tenant not found: one "… not found" line, then one per other reason', async () => {
    store = await openStore(join(mkdtempSync(join(tmpdir(), 'gs-run-')), 'g.db'));
    const connector: Connector<{ tenant: string }, null> = {
      id: 'probe',
      platform: 'probe',
      title: 'probe',
      configSchema: z.object({ tenant: z.string() }),
      tenantOf: (c) => c.tenant,
      connect: async () => null,
      collectors: [
        {
          name: 'apps',
          description: 'apps',
          permissions: ['apps:read'],
          fetch: async () => {
            throw new ApiError('probe', 403, 'forbidden', { method: 'GET', path: '/apps' });
          },
        },
        {
          name: 'members',
          description: 'members',
          permissions: ['members:read'],
          fetch: async () => {
            throw new ApiError('probe', 404, 'Not Found', { method: 'GET', path: '/orgs/x/members' });
          },
        },
        {
          name: 'keys',
          description: 'keys',
          permissions: ['keys:read'],
          dependsOn: ['members'],
          fetch: async () => [],
        },
        {
          name: 'hooks',
          description: 'hooks',
          permissions: ['hooks:read'],
          dependsOn: ['members'],
          fetch: async () => [],
        },
      ],
      stopsTenant: (error) =>
        error instanceof ApiError && error.status === 404
          ? new TenantNotFoundError('organisation', 'probe', 404, 'probe answered 404', 'probe.tenant', '')
          : null,
    };
    const logger = memoryLogger('warn');
    const outcome = await runScan({
      store: store!,
      connectors: [{ connector, config: { tenant: 't1' }, tenant: 't1', path: 'probe' }],
      configDir: '.',
      http: {},
      concurrency: 1,
      logger,
      progress: silentProgress,
      clock: systemClock,
      signal: new AbortController().signal,
      toolVersion: 'test',
    });
    const warnings = logger.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      warnings.map(({ msg, collectors, collector, reason }) => ({ msg, collectors, collector, reason })),
    ).toEqual([
      {
        msg: 'organisation not found',
        collectors: 'members, keys, hooks',
        collector: undefined,
        reason: 'probe answered 404 — check `probe.tenant` in the config',
      },
      {
        msg: 'collector failed',
        collectors: undefined,
        collector: 'apps',
        reason: 'probe GET /apps returned 403: forbidden',
      },
    ]);
    expect(outcome.coverage[0]!.tenantFailure).toEqual({
      notFound: true,
      summary: 'organisation not found',
      reason: 'organisation not found: probe answered 404 — check `probe.tenant` in the config',
      collector: 'members',
    });
  });

  it('a collector that fails after streaming some pages is failed: what it had stored is not removed', async () => {
    store = await openStore(join(mkdtempSync(join(tmpdir(), 'gs-run-')), 'g.db'));
    await scan(probeConnector({ records: () => [app('a'), app('b'), app('c')] }));
    const streaming: Connector<{ tenant: string }, null> = {
      id: 'probe',
      platform: 'probe',
      title: 'probe',
      configSchema: z.object({ tenant: z.string() }),
      tenantOf: (c) => c.tenant,
      connect: async () => null,
      collectors: [
        {
          name: 'things',
          description: 'things',
          permissions: ['things:read'],
          async *fetch() {
            yield [app('a')];
            throw new ApiError('probe-api', 503, 'page 2 failed', { method: 'GET', path: '/things' });
          },
          transform: (page: ModelRecordInput[]) => page,
        },
      ],
    };
    const out = await scan({ connector: streaming, config: { tenant: 't1' }, tenant: 't1', path: 'probe' });
    expect(out.scan.status).toBe('incomplete');
    expect(out.coverage[0]!.collectors[0]).toMatchObject({ status: 'failed', items: 1 });
    const ids: string[] = [];
    for await (const b of store.readSnapshot(out.scan.id)) ids.push(b.identity!.nativeId);
    expect(ids.sort()).toEqual(['a', 'b', 'c']);
  });

  it('the store applies backpressure: the connector never runs far ahead of what was written', async () => {
    const total = 30_000;
    let produced = 0;
    let written = 0;
    let maxAhead = 0;
    const writer = {
      scanId: 1,
      async write(batch: readonly unknown[]) {
        // A slow store: each batch takes a few turns of the event loop.
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        written += batch.length;
      },
      async complete() {
        return { id: 1, status: 'complete' };
      },
      async abort() {},
    };
    const slowStore = {
      beginScan: async () => writer,
      listScans: async () => [],
      readConnectorState: async () => new Map(),
    } as unknown as SnapshotStore;
    const many: Connector<{ tenant: string }, null> = {
      id: 'probe',
      platform: 'probe',
      title: 'probe',
      configSchema: z.object({ tenant: z.string() }),
      tenantOf: (c) => c.tenant,
      connect: async () => null,
      collectors: [
        {
          name: 'things',
          description: 'things',
          permissions: ['things:read'],
          fetch: async () => total,
          *transform(n: number) {
            for (let i = 0; i < n; i++) {
              produced += 1;
              maxAhead = Math.max(maxAhead, produced - written);
              yield app(`t${i}`);
            }
          },
        },
      ],
    };
    await runScan({
      store: slowStore,
      connectors: [{ connector: many, config: { tenant: 't1' }, tenant: 't1', path: 'probe' }],
      configDir: '.',
      http: {},
      concurrency: 2,
      logger: silentLogger,
      progress: silentProgress,
      clock: systemClock,
      signal: new AbortController().signal,
      toolVersion: 'test',
      batchSize: 1000,
    });
    expect(written).toBe(total);
    // The batch being built (1000) + the runner's queue (4000) + the transform's batch (500).
    expect(maxAhead).toBeLessThanOrEqual(1000 + 4000 + 500);
  });

  it("turns the event loop while it checks a collector's records, so other I/O is not held up", async () => {
    store = await openStore(join(mkdtempSync(join(tmpdir(), 'gs-run-')), 'g.db'));
    const total = 1000;
    const records = Array.from({ length: total }, (_, i) => app(`a${i}`));
    // The engine ticks the tenant's progress once per record it has checked.
    let checked = 0;
    const progress = {
      ...silentProgress,
      tick: () => {
        checked += 1;
      },
    };
    // What another collector's HTTP answer would need: a turn of the event loop.
    const turns: number[] = [];
    let scanning = true;
    const turn = () => {
      turns.push(checked);
      if (scanning) setImmediate(turn);
    };
    setImmediate(turn);
    // One batch for everything: no store write in between gives the event loop a turn.
    const cc = probeConnector({ records: () => records });
    const out = await runScan({ ...scanOptions(cc), progress, batchSize: 10 * total });
    scanning = false;
    expect(out.scan.status).toBe('complete');
    expect(checked).toBe(total);
    const during = new Set(turns.filter((n) => n > 0 && n < total));
    expect(during.size).toBeGreaterThanOrEqual(3);
  });

  it('calls onFirstRequest once, when the first request is sent, and not for a scan that sends none', async () => {
    store = await openStore(join(mkdtempSync(join(tmpdir(), 'gs-run-')), 'g.db'));
    const events: string[] = [];
    const server = createServer((_req, res) => {
      events.push('answered');
      res.end('{}');
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const cc = probeConnector({ records: () => [app('a1')] });
      const things = cc.connector.collectors[0]!;
      const fetchThings = things.fetch;
      // Three requests: the callback comes with the first one, before its answer, and only then.
      things.fetch = async (session, run) => {
        for (let i = 0; i < 3; i++) {
          events.push('sending');
          await (await run.ctx.http.fetch(url)).text();
        }
        return fetchThings(session, run);
      };
      const out = await runScan({ ...scanOptions(cc), onFirstRequest: () => events.push('first request') });
      expect(out.scan.status).toBe('complete');
      expect(events).toEqual([
        'sending',
        'first request',
        'answered',
        'sending',
        'answered',
        'sending',
        'answered',
      ]);

      // A connector that sends nothing (reads a file, answers from a journal): no callback.
      const quiet: string[] = [];
      await runScan({
        ...scanOptions(probeConnector({ records: () => [app('a1')] })),
        onFirstRequest: () => quiet.push('first request'),
      });
      expect(quiet).toEqual([]);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });
});
