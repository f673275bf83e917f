import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorContext, PreviousSnapshot } from '../../src/connector/context.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import type { IdentityBundle } from '../../src/store/store.js';
import { createTestContext } from '../../test/support/connector-context.js';
import { endpointsOf } from './config.js';
import connector, { Microsoft365Config } from './index.js';
import { OWNERS_AUDIT_CURSOR, OWNERS_USERS_DELTA_LINK, PREVIOUS_OWNERS } from './owners-incremental.js';
import { PREVIOUS_SERVICE_PRINCIPALS, SERVICE_PRINCIPALS_DELTA_LINK } from './service-principals-delta.js';
import type { Session } from './session.js';

/**
 * `connect` starts reading the previous service principals back from the store before it asks the
 * token (a rescan that will follow the servicePrincipals delta link), so that this CPU work fills the
 * wait on the token endpoint; the service principal collector takes that read. Against the emulator's
 * token endpoint, with a fake previous snapshot and stored state.
 */
const NOW = new Date('2026-11-01T00:00:00Z');
const DEMO = 'fixtures/worlds/test/m365-demo.yaml';
const SCAN_ID = 41;

describe('connect reads the previous service principals while the token is asked', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO, now: NOW });
  });
  afterAll(() => emu.stop());
  beforeEach(() => emu.faults.clear());

  /** A context whose state holds a usable delta link, and whose previous snapshot logs its reads. */
  async function configured(opts: { link: boolean; readMs?: number; owners?: boolean }) {
    const events: string[] = [];
    const fields: (readonly string[])[] = [];
    const setup = emu.clientSetup();
    const config = Microsoft365Config.parse(setup.config.microsoft365);
    const link = `${endpointsOf(config).graphBaseUrl}/servicePrincipals/delta?$deltatoken=kept`;
    const previous: PreviousSnapshot = {
      scanId: SCAN_ID,
      scannedAt: null,
      async *bundles(filter) {
        events.push(`read ${filter?.collectors?.join(',')}`);
        fields.push(filter?.fields ?? []);
        try {
          if (opts.readMs) await new Promise((r) => setTimeout(r, opts.readMs));
          yield {
            source: 'microsoft365:m365',
            identityKey: 'service-principal:a',
            identity: {
              raw: { id: 'a' },
              nativeId: 'A',
              ownersKnown: true,
              owners: [{ active: true, type: 'user', name: 'Ann', id: 'u1' }],
            },
            grants: [],
            credentials: [],
          } as unknown as IdentityBundle;
        } finally {
          events.push('read ended');
        }
      },
    };
    const ctx = await createTestContext({
      connector,
      tenant: 'm365',
      caCert: emu.caCert,
      now: NOW,
      previous,
    });
    for (const [name, content] of Object.entries(setup.files))
      writeFileSync(`${ctx.configDir}/${name}`, content);
    const count = ctx.coverage.countRequest.bind(ctx.coverage);
    ctx.coverage.countRequest = () => {
      events.push('request');
      count();
    };
    const kept: Record<string, string> = {
      ...(opts.link && { [SERVICE_PRINCIPALS_DELTA_LINK]: link }),
      ...(opts.owners && {
        [OWNERS_USERS_DELTA_LINK]: `${endpointsOf(config).graphBaseUrl}/users/delta?$deltatoken=kept`,
        [OWNERS_AUDIT_CURSOR]: NOW.toISOString(),
      }),
    };
    const state = {
      fullResync: false,
      get: (key: string) => (kept[key] ? { value: kept[key], scanId: SCAN_ID } : undefined),
      set: () => {},
    };
    return { ctx: { ...ctx, state } as unknown as ConnectorContext, config, events, fields };
  }

  it('starts the read before the token request, and the session holds it for the collector', async () => {
    emu.faults.add({
      service: 'login',
      path: '/{tenant}/oauth2/v2.0/token',
      action: { kind: 'latency', ms: 200 },
    });
    const { ctx, config, events } = await configured({ link: true });
    const session = (await connector.connect(config, ctx)) as Session;
    expect(events[0]).toBe('read service-principals');
    expect(events.indexOf('read service-principals')).toBeLessThan(events.indexOf('request'));
    expect(session.previous?.has(PREVIOUS_SERVICE_PRINCIPALS)).toBe(true);
    expect(events.filter((e) => e.startsWith('read service-principals'))).toHaveLength(1);
  });

  it('reads the owners the identities knew in the same pass, when the owners collector will keep them', async () => {
    const { ctx, config, events, fields } = await configured({ link: true, owners: true });
    const session = (await connector.connect(config, ctx)) as Session;
    expect(events.filter((e) => e.startsWith('read service-principals'))).toHaveLength(1);
    expect(fields).toEqual([['raw', 'nativeId', 'ownersKnown', 'owners']]);
    expect(session.previous?.has(PREVIOUS_OWNERS)).toBe(true);
    const owners = await session.previous!.take(PREVIOUS_OWNERS, async () => new Map());
    // Rebuilt in a fresh read's field order (records-carry digests them the same).
    expect(JSON.stringify([...(owners as Map<string, unknown>)])).toBe(
      JSON.stringify([['a', [{ id: 'u1', name: 'Ann', type: 'user', active: true }]]]),
    );
  });

  it('starts no read without a delta link to follow (a first scan)', async () => {
    const { ctx, config, events } = await configured({ link: false });
    const session = (await connector.connect(config, ctx)) as Session;
    expect(events.filter((e) => e.startsWith('read'))).toEqual([]);
    expect(session.previous?.has(PREVIOUS_SERVICE_PRINCIPALS)).toBe(false);
  });

  it('a refused token: connect fails once the read it started has ended', async () => {
    emu.faults.add({
      service: 'login',
      path: '/{tenant}/oauth2/v2.0/token',
      action: {
        kind: 'status',
        status: 401,
        body: {
          error: 'invalid_client',
          error_description: 'AADSTS7000215: Invalid client secret provided.',
        },
      },
    });
    // The read outlasts the refusal: connect must wait for it rather than leave it running on the store.
    const { ctx, config, events } = await configured({ link: true, readMs: 400 });
    await expect(connector.connect(config, ctx)).rejects.toThrow(/invalid_client/);
    expect(events.filter((e) => e.startsWith('read'))).toEqual(['read service-principals', 'read ended']);
  });
});
