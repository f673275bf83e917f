import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorStateTracker } from '../../src/connector/connector-state.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import type { Identity } from '../../src/model/index.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import { generatedEntraSection } from '../../test/support/entra-generated.js';
import connector, { Microsoft365Config } from './index.js';

/**
 * On a scan that reads owners in full (a first scan), the owners of each page of the service
 * principal list are read as soon as the page arrives, while the next pages are still asked, after
 * the users delta link for the next scan is taken; the owners collector takes those answers instead
 * of asking again. Against the emulator, on a generated tenant.
 */
const NOW = new Date('2026-11-01T00:00:00Z');
/** A generated tenant of 200 service principals, listed in pages of 50. */
const WORLD = {
  name: 'owners read early',
  now: NOW.toISOString(),
  microsoft365: generatedEntraSection({ seed: 42, servicePrincipals: 200, users: 100 }),
};
const PAGE = 50;

describe('Microsoft 365 owners read while the service principal list is paged', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gs-owners-early-')), 'world.json');
    writeFileSync(file, JSON.stringify(WORLD));
    emu = await startEmulator({ world: file, now: NOW });
  });
  afterAll(() => emu.stop());

  /** A scan with pages of 50; `stored`: with a store behind it (a first scan: no state kept yet). */
  async function scan(stored: boolean) {
    const setup = emu.clientSetup();
    const base = await createTestContext({ connector, tenant: 'm365', caCert: emu.caCert, now: NOW });
    for (const [name, content] of Object.entries(setup.files))
      writeFileSync(`${base.configDir}/${name}`, content);
    const state = new ConnectorStateTracker('microsoft365:m365', new Map());
    const ctx = stored ? { ...base, state } : base;
    const config = Microsoft365Config.parse({ ...(setup.config.microsoft365 as object), pageSize: PAGE });
    const result = await collectScan(connector, config, ctx);
    const owners = result.coverage.collectors.find((c) => c.collector === 'owners')!;
    const ownersOf = new Map(
      result.records
        .filter((r): r is Identity => r.type === 'identity')
        .map((i) => [i.nativeId, { known: i.ownersKnown, owners: i.owners.map((o) => o.id).sort() }]),
    );
    const paths = base.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`);
    return { result, owners, ownersOf, paths, state };
  }

  it('reads owners between the list’s pages, after the users delta link, and the same owners', async () => {
    const first = await scan(true);
    const after = await scan(false);
    expect(first.result.coverage.status).toBe('complete');
    const { paths } = first;
    expect(paths.filter((p) => p === 'GET /v1.0/servicePrincipals')).toHaveLength(200 / PAGE);
    const lastListPage = paths.lastIndexOf('GET /v1.0/servicePrincipals');
    const firstBatch = paths.indexOf('POST /v1.0/$batch');
    const latestLink = paths.indexOf('GET /v1.0/users/delta');
    // Only the owners post $batch while the list is read (the others depend on the whole list).
    expect(firstBatch).toBeGreaterThan(-1);
    expect(firstBatch).toBeLessThan(lastListPage);
    expect(latestLink).toBeLessThan(firstBatch);
    // The same owners as read after the list.
    expect(first.ownersOf).toEqual(after.ownersOf);
    expect([...first.ownersOf.values()].some((o) => o.owners.length > 0)).toBe(true);
    expect(first.owners.status).toBe('complete');
    // As many $batch posts, and the users delta link.
    expect(first.owners.requests).toBe(after.owners.requests + 1);
    expect(first.state.toCommit(first.result.coverage).map((w) => w.key)).toContain('owners.usersDeltaLink');
  });

  it('fails the owners collector, not the list, when an owners read fails while the list is paged', async () => {
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/servicePrincipals/{id}/owners',
      times: 1,
      action: {
        kind: 'status',
        status: 403,
        body: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges' } },
      },
    });
    try {
      const { result } = await scan(true);
      const of = (name: string) => result.coverage.collectors.find((c) => c.collector === name)!;
      expect(of('service-principals').status).toBe('complete');
      expect(of('owners')).toMatchObject({ status: 'failed', httpStatus: 403 });
      expect(of('app-role-assignments').status).toBe('complete');
    } finally {
      emu.faults.clear();
    }
  });
});
