import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import type { Grant, Identity, ModelRecord } from '../../src/model/index.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import connector, { Microsoft365Config } from './index.js';

/**
 * A service principal's (or app registration's) child collection — owners, appRoleAssignedTo —
 * that answers 404 inside `$batch` while its parent still exists fails the collector, so its records
 * are carried over instead of being reported removed (an app with "no owners" would be ownerless).
 * Only a parent that answers 404 when read by id is gone and takes its children with it.
 */
const NOW = new Date('2026-11-01T00:00:00Z');
const DEMO = 'fixtures/worlds/test/m365-demo.yaml';
const ZOOM = '4eae3d12-2eda-4c8f-bf42-abdddb5f5285';
const PRIYA = '4651d4cc-381c-4efb-a6b8-8aa30ce8b406';
const notFound = (id: string) => ({
  error: {
    code: 'Request_ResourceNotFound',
    message: `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  },
});

describe('Microsoft 365 child collections: 404 while the parent exists is a failure, a deleted parent is not', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: DEMO, now: NOW });
  });
  afterEach(() => {
    emu.faults.clear();
    emu.setWorld(DEMO);
  });
  afterAll(() => emu.stop());

  async function scan() {
    const setup = emu.clientSetup();
    const ctx = await createTestContext({ connector, tenant: 'm365', caCert: emu.caCert, now: NOW });
    for (const [name, content] of Object.entries(setup.files))
      writeFileSync(`${ctx.configDir}/${name}`, content);
    const config = Microsoft365Config.parse(setup.config.microsoft365);
    const result = await collectScan(connector, config, ctx);
    const byCollector = Object.fromEntries(result.coverage.collectors.map((c) => [c.collector, c]));
    return { ...result, byCollector };
  }
  const zoom = (records: ModelRecord[]) =>
    records.find((r): r is Identity => r.type === 'identity' && r.nativeId === ZOOM)!;

  it('fails owners when one service principal’s owners answer 404 but it still exists', async () => {
    emu.faults.add({
      service: 'graph',
      path: `/v1.0/servicePrincipals/${ZOOM}/owners`,
      times: 1,
      action: { kind: 'status', status: 404, body: notFound(ZOOM) },
    });
    const r = await scan();
    expect(r.byCollector.owners).toMatchObject({
      status: 'failed',
      httpStatus: 404,
      api: 'GET /servicePrincipals/{id}/owners',
    });
    expect(r.byCollector.owners!.reason).toContain(`that still exist (${ZOOM})`);
    // Owners unknown, never "none": Zoom is not made ownerless.
    expect(zoom(r.records)).toMatchObject({ ownersKnown: false });
    for (const c of ['service-principals', 'app-role-assignments', 'oauth2-permission-grants']) {
      expect(r.byCollector[c]!.status, c).toBe('complete');
    }
  });

  it('leaves the owners of a service principal deleted while scanning unknown, and completes', async () => {
    const before = await scan();
    expect(zoom(before.records)).toMatchObject({
      ownersKnown: true,
      owners: [expect.objectContaining({ id: PRIYA })],
    });
    emu.faults.add({
      service: 'graph',
      path: `/v1.0/servicePrincipals/${ZOOM}/owners`,
      action: { kind: 'status', status: 404, body: notFound(ZOOM) },
    });
    // Read by id, the service principal is gone too (asked twice: replicas may lag).
    emu.faults.add({
      service: 'graph',
      path: `^/v1.0/servicePrincipals/${ZOOM}$`,
      action: { kind: 'status', status: 404, body: notFound(ZOOM) },
    });
    const r = await scan();
    expect(r.coverage.status).toBe('complete');
    expect(r.byCollector.owners!.notes.join('\n')).toMatch(
      `deleted while scanning (owners unknown): ${ZOOM}`,
    );
    expect(zoom(r.records)).toMatchObject({ ownersKnown: false, owners: [] });
    expect(emu.faults.list()[1]!.applied).toBe(2);
  });

  it('fails app-role-assignments when a resource’s appRoleAssignedTo answers 404 but it still exists', async () => {
    const before = await scan();
    const grantsBefore = before.records.filter((r) => r.collector === 'app-role-assignments').length;
    expect(grantsBefore).toBeGreaterThan(0);
    emu.faults.add({
      service: 'graph',
      path: '/v1.0/servicePrincipals/{id}/appRoleAssignedTo',
      times: 1,
      action: { kind: 'status', status: 404, body: notFound('resource') },
    });
    const r = await scan();
    expect(r.byCollector['app-role-assignments']).toMatchObject({
      status: 'failed',
      httpStatus: 404,
      api: 'GET /servicePrincipals/{id}/appRoleAssignedTo',
    });
    expect(r.records.filter((x) => x.collector === 'app-role-assignments')).toHaveLength(0);
  });

  it('drops the assignments of a resource deleted while scanning, and completes', async () => {
    const before = await scan();
    const resources = new Set(
      before.records
        .filter((x) => x.type === 'grant' && x.collector === 'app-role-assignments')
        .map((x) => (x.attributes as { resourceId?: string }).resourceId),
    );
    const [gone] = [...resources].sort();
    emu.faults.add({
      service: 'graph',
      path: `/v1.0/servicePrincipals/${gone}/appRoleAssignedTo`,
      action: { kind: 'status', status: 404, body: notFound(gone!) },
    });
    emu.faults.add({
      service: 'graph',
      path: `^/v1.0/servicePrincipals/${gone}$`,
      action: { kind: 'status', status: 404, body: notFound(gone!) },
    });
    const r = await scan();
    expect(r.byCollector['app-role-assignments']!.status).toBe('complete');
    const after = r.records.filter((x) => x.type === 'grant' && x.collector === 'app-role-assignments');
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((x) => (x.attributes as { resourceId?: string }).resourceId !== gone)).toBe(true);
    expect(r.byCollector['app-role-assignments']!.notes.join('\n')).toContain(
      `deleted while scanning: ${gone}`,
    );
  });

  it('asks once more before taking a consenting user for deleted', async () => {
    const before = await scan();
    const deleted = (records: ModelRecord[]) =>
      records.filter(
        (x) => x.type === 'grant' && (x.attributes as { principalDeleted?: boolean }).principalDeleted,
      ).length;
    // A user behind a per-user consent, who exists.
    const consent = before.records.find(
      (x): x is Grant =>
        x.type === 'grant' && x.grantedVia === 'user-consent' && x.principal?.active === true,
    )!;
    const user = consent.principal!.id;
    emu.faults.add({
      service: 'graph',
      path: `^/v1.0/users/${user}$`,
      times: 1,
      action: { kind: 'status', status: 404, body: notFound(user) },
    });
    const r = await scan();
    expect(emu.faults.list()[0]!.applied).toBe(1);
    expect(r.byCollector['oauth2-permission-grants']!.status).toBe('complete');
    expect(deleted(r.records)).toBe(deleted(before.records));
    const same = r.records.find((x): x is Grant => x.type === 'grant' && x.principal?.id === user)!;
    expect(same.principal).toMatchObject({ active: true, name: consent.principal!.name });
  });
});
