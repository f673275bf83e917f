import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { Microsoft365Section } from '../../src/emulator/microsoft365/schema.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { loadWorld, type World } from '../../src/emulator/world.js';
import type { Identity } from '../../src/model/index.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import { ownedByOnly, tokenRoles } from './auth.js';
import connector, { Microsoft365Config } from './index.js';

/**
 * Readings of Graph that its documents leave open, and what the connector does under each:
 * - servicePrincipal.createdDateTime, returned by the service but not declared in Graph's metadata: if
 *   Graph refused it in `$select`, the list is read without it and coverage says creation dates are
 *   unavailable, instead of the collector failing on every tenant;
 * - a scanner holding only Application.ReadWrite.OwnedBy, which Graph answers with the scanner's own
 *   apps only: the lists are not reported as the complete tenant.
 */
const NOW = new Date('2026-11-01T00:00:00Z');
const DEMO = 'fixtures/worlds/test/m365-demo.yaml';
type Section = z.input<typeof Microsoft365Section>;

function demoWith(edit: (s: Section) => void): World {
  const w = structuredClone(loadWorld(DEMO));
  edit(w.platforms.microsoft365 as Section);
  return w;
}

describe('Microsoft Graph readings: undeclared $select properties and OwnedBy-only tokens', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO, now: NOW });
  });
  afterEach(() => {
    emu.setWorld(DEMO);
    emu.resetStats();
  });
  afterAll(() => emu.stop());

  async function scan() {
    const setup = emu.clientSetup();
    const ctx = await createTestContext({ connector, tenant: 'm365', caCert: emu.caCert, now: NOW });
    for (const [name, content] of Object.entries(setup.files))
      writeFileSync(`${ctx.configDir}/${name}`, content);
    const result = await collectScan(connector, Microsoft365Config.parse(setup.config.microsoft365), ctx);
    return {
      ...result,
      byCollector: Object.fromEntries(result.coverage.collectors.map((c) => [c.collector, c])),
    };
  }
  const sps = (records: Awaited<ReturnType<typeof scan>>['records']) =>
    records.filter((r): r is Identity => r.type === 'identity' && r.kind === 'service-principal');
  const listCalls = () => emu.stats().routes.find((r) => r.pattern === '/v1.0/servicePrincipals')?.statuses;

  it('reads createdDateTime where Graph serves it (the default reading)', async () => {
    const r = await scan();
    expect(sps(r.records).filter((i) => i.createdAt !== null).length).toBeGreaterThan(0);
    expect(listCalls()).toEqual({ 200: 1 });
    expect(r.byCollector['service-principals']!.notes.join('\n')).not.toMatch(/creation dates/);
  });

  it('reads the list without createdDateTime when Graph refuses it in $select, and says so', async () => {
    emu.setWorld(demoWith((s) => (s.quirks = { refuseUndeclaredSelect: true })));
    const r = await scan();
    expect(r.coverage.status).toBe('complete');
    expect(listCalls()).toEqual({ 200: 1, 400: 1 });
    expect(sps(r.records)).toHaveLength(26);
    expect(sps(r.records).every((i) => i.createdAt === null)).toBe(true);
    expect(r.byCollector['service-principals']!.notes).toContainEqual(
      expect.stringMatching(
        /^creation dates unavailable: Graph refused \$select=createdDateTime on servicePrincipals \(.*Could not find a property named 'createdDateTime'/,
      ),
    );
  });

  it('does not report an OwnedBy-only view as the complete tenant', async () => {
    emu.setWorld(
      demoWith((s) => (s.scanner = { ...s.scanner!, permissions: ['Application.ReadWrite.OwnedBy'] })),
    );
    const r = await scan();
    for (const c of ['service-principals', 'app-role-assignments', 'owners', 'application-credentials']) {
      expect(r.byCollector[c], c).toMatchObject({ status: 'unavailable' });
      expect(r.byCollector[c]!.reason, c).toMatch(
        /token holds Application\.ReadWrite\.OwnedBy and no tenant-wide read permission: Graph lists only the applications the scanner owns/,
      );
    }
    expect(
      r.coverage.collectors.some((c) => c.status === 'complete' && c.collector === 'service-principals'),
    ).toBe(false);
  });

  it('reads roles from the token, and tells OwnedBy alone from OwnedBy with a tenant-wide permission', () => {
    const jwt = (claims: object) =>
      ['e30', Buffer.from(JSON.stringify(claims)).toString('base64url'), 'sig'].join('.');
    expect(tokenRoles(jwt({ roles: ['Application.ReadWrite.OwnedBy'] }))).toEqual([
      'Application.ReadWrite.OwnedBy',
    ]);
    expect(tokenRoles('opaque')).toBeNull();
    expect(ownedByOnly(['Application.ReadWrite.OwnedBy'])).toBe(true);
    expect(ownedByOnly(['Application.ReadWrite.OwnedBy', 'Application.Read.All'])).toBe(false);
    expect(ownedByOnly(['Directory.Read.All'])).toBe(false);
    expect(ownedByOnly(null)).toBe(false);
  });
});
