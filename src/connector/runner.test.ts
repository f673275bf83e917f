import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestContext } from '../../test/support/connector-context.js';
import { ApiError, ConnectorContractError } from '../errors.js';
import type { ModelRecordInput } from '../model/record.js';
import { type Collector, PartialFailure } from './collector.js';
import type { Connector } from './connector.js';
import { ConnectorStateTracker } from './connector-state.js';
import { checkCollectors, scanTenant } from './runner.js';

/**
 * The runner's guarantees, on a made-up platform whose collectors read from a map instead of an API:
 * dependency order, "not run: needs X", partial failures, stopping a tenant, concurrency, request
 * attribution and the contract check.
 */
type Session = { tenant: string; log: string[] };

const identity = (collector: string, nativeId: string): ModelRecordInput =>
  ({
    type: 'identity',
    platform: 'test',
    tenant: { id: 't1', name: null },
    collector,
    kind: 'test-app',
    nativeId,
    name: nativeId,
    origin: 'third-party',
    enabled: true,
    createdAt: null,
    owners: [],
    ownersKnown: true,
    lastUsed: null,
    manageUrl: null,
    attributes: {},
    raw: {},
  }) as unknown as ModelRecordInput;

/** A collector that fetches `items` (after `waitMs`) and emits one identity per item. */
function collector(
  name: string,
  items: string[] | (() => Promise<string[]>),
  extra: Partial<Collector<Session, string[]>> = {},
): Collector<Session, string[]> {
  return {
    name,
    description: `${name} of the test platform`,
    permissions: [`${name}:read`],
    fetch: async (session) => {
      session.log.push(`fetch ${name}`);
      return typeof items === 'function' ? items() : items;
    },
    transform: (fetched) => fetched.map((id) => identity(name, id)),
    ...extra,
  };
}

function connectorOf(
  collectors: Collector<Session, string[]>[],
  extra: Partial<Connector<{ tenant: string }, Session>> = {},
): Connector<{ tenant: string }, Session> & { log: string[] } {
  const log: string[] = [];
  return {
    id: 'test',
    platform: 'test',
    title: 'Test',
    configSchema: z.object({ tenant: z.string() }),
    tenantOf: (c) => c.tenant,
    connect: async (config) => ({ tenant: config.tenant, log }),
    collectors: collectors as Collector<Session>[],
    log,
    ...extra,
  };
}

async function run(connector: Connector<{ tenant: string }, Session>, signal?: AbortSignal) {
  const ctx = await createTestContext({ connector, tenant: 't1' });
  const scanCtx = signal ? { ...ctx, signal } : ctx;
  const records: ModelRecordInput[] = [];
  for await (const r of scanTenant(connector, { tenant: 't1' }, scanCtx)) records.push(r);
  const coverage = ctx.coverage.report();
  const of = (name: string) => coverage.collectors.find((c) => c.collector === name)!;
  const ids = (name: string) =>
    records.filter((r) => r.collector === name).map((r) => (r as { nativeId: string }).nativeId);
  return { records, coverage, of, ids };
}

const forbidden = () => new ApiError('Test API', 403, 'missing scope', { method: 'GET', path: '/things' });

describe('the collector runner', () => {
  it('runs a collector after the one it depends on, with its data, and emits both', async () => {
    const c = connectorOf([
      collector('grants', [], {
        dependsOn: ['apps'],
        fetch: async (session, r) => {
          session.log.push('fetch grants');
          return r.input<string[]>('apps').map((a) => `${a}-grant`);
        },
      }),
      collector('apps', ['a1', 'a2']),
    ]);
    const out = await run(c);
    expect(c.log).toEqual(['fetch apps', 'fetch grants']);
    expect(out.ids('apps')).toEqual(['a1', 'a2']);
    expect(out.ids('grants')).toEqual(['a1-grant', 'a2-grant']);
    expect(out.coverage.status).toBe('complete');
    expect(out.of('grants')).toMatchObject({ status: 'complete', items: 2 });
  });

  it('a failed collector emits nothing; what needs it is not run and names it; the rest completes', async () => {
    const c = connectorOf([
      collector('apps', async () => {
        throw forbidden();
      }),
      collector('grants', ['g1'], { dependsOn: ['apps'] }),
      collector('secrets', ['s1'], { dependsOn: ['grants'] }),
      collector('webhooks', ['w1']),
    ]);
    const out = await run(c);
    expect(out.records.map((r) => r.collector)).toEqual(['webhooks']);
    expect(out.of('apps')).toMatchObject({ status: 'failed', httpStatus: 403, api: 'GET /things' });
    expect(out.of('grants').status).toBe('failed');
    expect(out.of('grants').reason).toMatch(
      /^not run: it needs the apps collector, which failed \(.*missing scope/,
    );
    expect(out.of('grants').httpStatus).toBe(403);
    expect(out.of('secrets').reason).toMatch(/^not run: it needs the grants collector, which failed/);
    expect(c.log).not.toContain('fetch grants');
    expect(c.log).not.toContain('fetch secrets');
    expect(out.of('webhooks').status).toBe('complete');
    expect(out.coverage.status).toBe('incomplete');
  });

  it('a collector whose dependency is unavailable is unavailable too, not failed', async () => {
    const c = connectorOf([
      collector('apps', [], {
        fetch: async (_s, r) => {
          r.ctx.coverage.unavailable('apps', 'needs a premium licence', 403);
          return [];
        },
      }),
      collector('grants', ['g1'], { dependsOn: ['apps'] }),
    ]);
    const out = await run(c);
    expect(out.of('apps').status).toBe('unavailable');
    expect(out.of('grants')).toMatchObject({ status: 'unavailable', httpStatus: 403 });
    expect(out.of('grants').reason).toMatch(
      /needs the apps collector, which is unavailable \(needs a premium licence\)/,
    );
    expect(out.coverage.status).toBe('complete');
  });

  it('a PartialFailure fails the collector but emits what was read', async () => {
    const c = connectorOf([
      collector('keys', async () => {
        throw new PartialFailure(forbidden(), ['k1']);
      }),
    ]);
    const out = await run(c);
    expect(out.ids('keys')).toEqual(['k1']);
    expect(out.of('keys')).toMatchObject({ status: 'failed', httpStatus: 403 });
  });

  it('a transform that throws fails its collector and emits none of its records', async () => {
    const c = connectorOf([
      collector('apps', ['a1'], {
        transform: () => {
          throw new Error('unexpected shape');
        },
      }),
      collector('hooks', ['h1']),
    ]);
    const out = await run(c);
    expect(out.ids('apps')).toEqual([]);
    expect(out.of('apps')).toMatchObject({ status: 'failed', reason: 'unexpected shape' });
    expect(out.ids('hooks')).toEqual(['h1']);
  });

  it('a transform runs as its collector: its connector-state writes are dropped when it fails', async () => {
    const state = new ConnectorStateTracker('test:t1', new Map());
    const c = connectorOf([
      collector('apps', ['a1'], {
        *transform(fetched, _s, run) {
          yield identity('apps', fetched[0]!);
          run.ctx.state!.set('apps.digest', 'd1');
          throw new Error('unexpected shape');
        },
      }),
      collector('hooks', ['h1'], {
        *transform(fetched, _s, run) {
          yield identity('hooks', fetched[0]!);
          run.ctx.state!.set('hooks.digest', 'd2');
        },
      }),
    ]);
    const ctx = { ...(await createTestContext({ connector: c, tenant: 't1' })), state };
    for await (const _ of scanTenant(c, { tenant: 't1' }, ctx));
    expect(state.toCommit(ctx.coverage.report())).toEqual([
      { source: 'test:t1', key: 'hooks.digest', value: 'd2' },
    ]);
  });

  it('enrichedBy: the transform waits for the enricher, reads its data, and goes on without it when it failed', async () => {
    // The shape of Entra: owners need the service principal list, and the service principals'
    // records carry their owners. With one collector at a time this must not deadlock.
    const ownersCollector = (fail: boolean): Collector<Session, Record<string, string>> => ({
      name: 'owners',
      description: 'owners of the test platform',
      permissions: ['owners:read'],
      dependsOn: ['principals'],
      fetch: async (_s, r) => {
        if (fail) throw forbidden();
        return Object.fromEntries(r.input<string[]>('principals').map((sp) => [sp, `${sp}-owner`]));
      },
    });
    const build = (ownersFail: boolean) =>
      connectorOf(
        [
          collector('principals', ['sp1', 'sp2'], {
            enrichedBy: ['owners'],
            transform: (sps, _s, r) => {
              const owners = r.optional<Record<string, string>>('owners');
              return sps.map((sp) => identity('principals', owners ? `${sp}:${owners[sp]}` : `${sp}:?`));
            },
          }),
          ownersCollector(ownersFail) as unknown as Collector<Session, string[]>,
        ],
        { concurrency: 1 },
      );
    const ok = await run(build(false));
    expect(ok.ids('principals')).toEqual(['sp1:sp1-owner', 'sp2:sp2-owner']);
    const failed = await run(build(true));
    expect(failed.ids('principals')).toEqual(['sp1:?', 'sp2:?']);
    expect(failed.of('principals').status).toBe('complete');
    expect(failed.of('owners').status).toBe('failed');
  });

  it('a failure the connector calls fatal stops the collectors not yet started', async () => {
    const c = connectorOf(
      [
        collector('apps', async () => {
          throw new ApiError('Test API', 401, 'Bad credentials', { method: 'GET', path: '/apps' });
        }),
        collector('hooks', ['h1']),
        collector('keys', ['k1']),
      ],
      {
        concurrency: 1,
        stopsTenant: (err, name) =>
          err instanceof ApiError && err.status === 401 ? `authentication failed in ${name}` : null,
      },
    );
    const out = await run(c);
    expect(out.records).toEqual([]);
    expect(out.of('hooks')).toMatchObject({
      status: 'failed',
      reason: 'not reached: authentication failed in apps',
    });
    expect(out.of('keys').reason).toBe('not reached: authentication failed in apps');
    expect(c.log).toEqual(['fetch apps']);
  });

  it('a connect that fails fails every collector with its reason, and nothing is fetched', async () => {
    const c = connectorOf([collector('apps', ['a1']), collector('hooks', ['h1'])], {
      connect: async () => {
        throw new ApiError('Test login', 401, 'invalid_client', { method: 'POST', path: '/token' });
      },
    });
    const out = await run(c);
    expect(out.records).toEqual([]);
    for (const name of ['apps', 'hooks']) {
      expect(out.of(name)).toMatchObject({ status: 'failed', httpStatus: 401, api: 'POST /token' });
    }
  });

  it('an interrupted scan starts no more collectors', async () => {
    const abort = new AbortController();
    const c = connectorOf(
      [
        collector('apps', async () => {
          abort.abort(new DOMException('interrupted', 'AbortError'));
          return ['a1'];
        }),
        collector('hooks', ['h1']),
      ],
      { concurrency: 1 },
    );
    const out = await run(c, abort.signal);
    expect(out.of('hooks')).toMatchObject({
      status: 'failed',
      reason: 'not reached: the scan was interrupted',
    });
    expect(c.log).toEqual(['fetch apps']);
  });

  it('never has more collectors fetching than the connector allows', async () => {
    let now = 0;
    let most = 0;
    const slow = (name: string) =>
      collector(name, async () => {
        now += 1;
        most = Math.max(most, now);
        await new Promise((r) => setTimeout(r, 20));
        now -= 1;
        return [name];
      });
    await run(connectorOf(['a', 'b', 'c', 'd', 'e'].map(slow), { concurrency: 2 }));
    expect(most).toBe(2);
    most = 0;
    await run(connectorOf(['a', 'b', 'c', 'd', 'e'].map(slow)));
    expect(most).toBe(5);
  });

  it('counts the requests a fetch makes for its collector', async () => {
    const c = connectorOf([
      collector('apps', [], {
        fetch: async (_s, r) => {
          await Promise.resolve();
          r.ctx.coverage.countRequest();
          r.ctx.coverage.countRequest();
          return ['a1'];
        },
      }),
      collector('hooks', [], {
        fetch: async (_s, r) => {
          r.ctx.coverage.countRequest();
          return [];
        },
      }),
    ]);
    const out = await run(c);
    expect(out.of('apps').requests).toBe(2);
    expect(out.of('hooks').requests).toBe(1);
  });

  it('a collector reading data it did not declare fails with a contract error', async () => {
    const c = connectorOf([
      collector('apps', ['a1']),
      collector('hooks', [], { fetch: async (_s, r) => r.input<string[]>('apps') }),
    ]);
    const out = await run(c);
    expect(out.of('hooks').status).toBe('failed');
    expect(out.of('hooks').reason).toMatch(/read the data of apps, which is not in its dependsOn/);
  });

  it('refuses a collector list that breaks the contract, naming every problem', () => {
    const bad = connectorOf([
      collector('Apps', ['a']),
      collector('hooks', [], { dependsOn: ['keys'] }),
      collector('keys', [], { dependsOn: ['hooks'], permissions: [] }),
      collector('teams', [], { enrichedBy: ['nobody'], description: ' ' }),
    ]);
    expect(() => checkCollectors(bad)).toThrow(ConnectorContractError);
    let message = '';
    try {
      checkCollectors(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("collector name 'Apps' is not kebab-case");
    expect(message).toContain('keys: no permissions listed');
    expect(message).toContain("teams: depends on unknown collector 'nobody'");
    expect(message).toContain('teams: no description');
    expect(message).toMatch(/dependency cycle: (hooks → keys → hooks|keys → hooks → keys)/);
  });
});

describe('records flow in bounded batches', () => {
  /** Consumes slowly (a macrotask per record) and tracks how far the producer got ahead. */
  async function consumeSlowly(
    connector: Connector<{ tenant: string }, Session>,
    produced: () => number,
    options: { maxQueuedRecords: number; batchSize: number },
  ) {
    const ctx = await createTestContext({ connector, tenant: 't1' });
    let consumed = 0;
    let maxAhead = 0;
    const records: ModelRecordInput[] = [];
    for await (const r of scanTenant(connector, { tenant: 't1' }, ctx, options)) {
      records.push(r);
      consumed += 1;
      maxAhead = Math.max(maxAhead, produced() - consumed);
      await new Promise((r) => setImmediate(r));
    }
    const coverage = ctx.coverage.report();
    return {
      records,
      maxAhead,
      coverage,
      of: (n: string) => coverage.collectors.find((c) => c.collector === n)!,
    };
  }

  it('a transform of many records never gets more than the queue bound ahead of the consumer', async () => {
    let produced = 0;
    const ids = Array.from({ length: 5000 }, (_, i) => `a${i}`);
    const c = connectorOf([
      collector('apps', ids, {
        *transform(fetched) {
          for (const id of fetched) {
            produced += 1;
            yield identity('apps', id);
          }
        },
      }),
    ]);
    const out = await consumeSlowly(c, () => produced, { maxQueuedRecords: 100, batchSize: 10 });
    expect(out.records).toHaveLength(5000);
    // Queued (≤ 100), plus the batch the transform is filling.
    expect(out.maxAhead).toBeLessThanOrEqual(110);
    expect(out.of('apps')).toMatchObject({ status: 'complete', items: 5000 });
  });

  it('a streamed fetch reads its pages only as the consumer takes their records; dependents get what it returns', async () => {
    let pagesRead = 0;
    const pages = 200;
    const perPage = 25;
    const apps: Collector<Session, string[], string[]> = {
      name: 'apps',
      description: 'apps',
      permissions: ['apps:read'],
      async *fetch() {
        const seen: string[] = [];
        for (let p = 0; p < pages; p++) {
          pagesRead += 1;
          const page = Array.from({ length: perPage }, (_, i) => `a${p * perPage + i}`);
          seen.push(page[0]!);
          yield page;
        }
        return seen;
      },
      transform: (page) => page.map((id) => identity('apps', id)),
    };
    const c = connectorOf([
      apps as unknown as Collector<Session, string[]>,
      collector('grants', [], {
        dependsOn: ['apps'],
        fetch: async (_s, r) => r.input<string[]>('apps').map((a) => `${a}-grant`),
      }),
    ]);
    const out = await consumeSlowly(c, () => pagesRead * perPage, { maxQueuedRecords: 100, batchSize: 50 });
    expect(out.records.filter((r) => r.collector === 'apps')).toHaveLength(pages * perPage);
    // Queued (≤ 100) plus the page being transformed: never the whole tenant (5,000).
    expect(out.maxAhead).toBeLessThanOrEqual(100 + perPage);
    expect(out.records.filter((r) => r.collector === 'grants')).toHaveLength(pages);
    expect(out.of('apps')).toMatchObject({ status: 'complete', items: pages * perPage });
  });

  it('a stream that fails part-way fails its collector: pages read are emitted, dependents are not run', async () => {
    const apps: Collector<Session, string[], string[]> = {
      name: 'apps',
      description: 'apps',
      permissions: ['apps:read'],
      async *fetch() {
        yield ['a1', 'a2'];
        yield ['a3'];
        throw forbidden();
      },
      transform: (page) => page.map((id) => identity('apps', id)),
    };
    const c = connectorOf([
      apps as unknown as Collector<Session, string[]>,
      collector('grants', ['g1'], { dependsOn: ['apps'] }),
    ]);
    const out = await run(c);
    expect(out.ids('apps')).toEqual(['a1', 'a2', 'a3']);
    expect(out.of('apps')).toMatchObject({ status: 'failed', httpStatus: 403, items: 3 });
    expect(out.of('grants').reason).toMatch(/^not run: it needs the apps collector, which failed/);
    expect(out.coverage.status).toBe('incomplete');
  });

  it('a streamed collector with enrichedBy transforms its pages once the enricher has its data', async () => {
    const owners = collector('owners', ['o1'], {
      dependsOn: ['apps'],
      fetch: async (_s, r) => r.input<string[]>('apps').map((a) => `${a}:owned`),
    });
    const apps: Collector<Session, string[], string[]> = {
      name: 'apps',
      description: 'apps',
      permissions: ['apps:read'],
      enrichedBy: ['owners'],
      async *fetch() {
        yield ['a1'];
        yield ['a2'];
        return ['a1', 'a2'];
      },
      transform: function* (page, _s, r) {
        const owned = r.optional<string[]>('owners') ?? [];
        for (const id of page) yield identity('apps', owned.includes(`${id}:owned`) ? `${id}+owner` : id);
      },
    };
    // One collector at a time: holding the pages, not waiting inside the slot, avoids a deadlock.
    const c = connectorOf([apps as unknown as Collector<Session, string[]>, owners], { concurrency: 1 });
    const out = await run(c);
    expect(out.ids('apps')).toEqual(['a1+owner', 'a2+owner']);
    expect(out.of('apps').status).toBe('complete');
  });

  it('a consumer that stops early leaves no collector waiting for queue space', async () => {
    const c = connectorOf([
      collector(
        'apps',
        Array.from({ length: 1000 }, (_, i) => `a${i}`),
      ),
    ]);
    const ctx = await createTestContext({ connector: c, tenant: 't1' });
    let n = 0;
    for await (const _ of scanTenant(c, { tenant: 't1' }, ctx, { maxQueuedRecords: 10, batchSize: 5 })) {
      if (++n === 3) break;
    }
    expect(n).toBe(3);
  });
});
