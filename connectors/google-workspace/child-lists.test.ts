import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CollectorCoverage, CoverageReport } from '../../src/connector/coverage.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { loadWorld, type World } from '../../src/emulator/world.js';
import type { Credential, Grant, ModelRecord } from '../../src/model/index.js';
import { collectScan, createTestContext } from '../../test/support/connector-context.js';
import connector from './index.js';

/**
 * A child list — a user's tokens, a service account's keys, a project's service accounts — that answers
 * 404 while its parent still exists fails its collector, so the engine carries its records over instead
 * of reporting them removed. Only a parent that is gone takes its children with it: a user that
 * users.get no longer finds, an account its project no longer lists, a project projects:search no longer
 * lists.
 */
const DEMO = 'fixtures/worlds/test/google-workspace.yaml';
const LENA = 'lena.fischer@acme.example';
const ETL = 'etl-runner@acme-data-platform.iam.gserviceaccount.com';
const notFound = (message: string) => ({
  error: { code: 404, message, errors: [{ message, domain: 'global', reason: 'notFound' }] },
});
const rpcNotFound = (message: string) => ({ error: { code: 404, message, status: 'NOT_FOUND' } });

type Section = {
  users: Array<{ email: string }>;
  grants: Array<{ user: string }>;
  projects: Array<{ projectId: string; serviceAccounts?: Array<{ accountId: string }> }>;
};
function demoWith(edit: (section: Section) => void): World {
  const w = structuredClone(loadWorld(DEMO));
  edit(w.platforms['google-workspace'] as Section);
  return w;
}

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ world: DEMO });
});
afterAll(() => emu.stop());
afterEach(() => {
  emu.faults.clear();
  emu.setWorld(DEMO);
});

async function scan(): Promise<{ records: ModelRecord[]; coverage: CoverageReport }> {
  const setup = emu.clientSetup();
  const ctx = await createTestContext({
    connector,
    tenant: 'C03acme7x',
    caCert: emu.caCert,
    now: emu.now,
    http: { retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 } },
  });
  for (const [name, content] of Object.entries(setup.files))
    await writeFile(join(ctx.configDir, name), content);
  const config = connector.configSchema.parse(setup.config['google-workspace']);
  return collectScan(connector, config, ctx);
}

const collector = (coverage: CoverageReport, name: string) =>
  coverage.collectors.find((c) => c.collector === name) as CollectorCoverage;
const holders = (records: ModelRecord[]) =>
  [
    ...new Set(
      records
        .filter((r): r is Grant => r.type === 'grant' && r.collector === 'oauth-grants')
        .map((g) => g.principal?.name),
    ),
  ].sort();
const keysOf = (records: ModelRecord[], account: string) =>
  records.filter((r): r is Credential => r.type === 'credential' && r.identity.nativeId.includes(account));

describe('google-workspace child lists: 404 while the parent exists is a failure, a deleted parent is not', () => {
  let lenaId: string;
  let baseline: Awaited<ReturnType<typeof scan>>;
  beforeAll(async () => {
    baseline = await scan();
    expect(holders(baseline.records)).toContain(LENA);
    lenaId = baseline.records
      .filter((r): r is Grant => r.type === 'grant')
      .find((g) => g.principal?.name === LENA)!.principal!.id;
  });

  it("fails oauth-grants when a user's tokens.list answers 404 while users.get still finds the user", async () => {
    emu.faults.add({
      path: `/admin/directory/v1/users/${lenaId}/tokens`,
      times: 1,
      action: { kind: 'status', status: 404, body: notFound('Resource Not Found: userKey') },
    });
    const { coverage, records } = await scan();
    expect(collector(coverage, 'oauth-grants')).toMatchObject({ status: 'failed', httpStatus: 404 });
    expect(collector(coverage, 'oauth-grants').reason).toMatch(
      new RegExp(`tokens\\.list answered 404 for ${LENA}, who still exists`),
    );
    // The connector emits nothing of oauth-grants' own that would read as a removal.
    expect(holders(records)).not.toContain(LENA);
    expect(coverage.status).toBe('incomplete');
  });

  it('drops the grants of a user deleted mid-scan, and completes', async () => {
    emu.faults.add({
      path: `/admin/directory/v1/users/${lenaId}/tokens`,
      times: 1,
      action: { kind: 'latency', ms: 300 },
    });
    const scanning = scan();
    await vi.waitFor(() => expect(emu.faults.list()[0]!.applied).toBe(1), { timeout: 10_000, interval: 5 });
    emu.setWorld(
      demoWith((s) => {
        s.users = s.users.filter((u) => u.email !== LENA);
        s.grants = s.grants.filter((g) => g.user !== LENA);
      }),
    );
    const { coverage, records } = await scanning;
    expect(collector(coverage, 'oauth-grants').status).toBe('complete');
    expect(collector(coverage, 'oauth-grants').notes).toContain(
      `1 users were deleted during the scan: ${LENA}`,
    );
    expect(holders(records)).toEqual(holders(baseline.records).filter((h) => h !== LENA));
  });

  it("fails service-account-keys when an account's keys.list answers 404 while its project still lists it", async () => {
    emu.faults.add({
      path: `/v1/projects/acme-data-platform/serviceAccounts/${ETL}/keys`,
      times: 1,
      action: { kind: 'status', status: 404, body: rpcNotFound(`Service account ${ETL} does not exist.`) },
    });
    const { coverage, records } = await scan();
    expect(collector(coverage, 'service-account-keys')).toMatchObject({ status: 'failed', httpStatus: 404 });
    expect(collector(coverage, 'service-account-keys').reason).toContain(
      `service account ${ETL}, still listed`,
    );
    expect(keysOf(records, ETL)).toEqual([]);
    expect(collector(coverage, 'service-accounts').status).toBe('complete');
  });

  it('drops the keys of a service account deleted mid-scan, and completes', async () => {
    expect(keysOf(baseline.records, ETL)).toHaveLength(2);
    emu.faults.add({
      path: `/v1/projects/acme-data-platform/serviceAccounts/${ETL}/keys`,
      times: 1,
      action: { kind: 'latency', ms: 300 },
    });
    const scanning = scan();
    await vi.waitFor(() => expect(emu.faults.list()[0]!.applied).toBe(1), { timeout: 10_000, interval: 5 });
    emu.setWorld(
      demoWith((s) => {
        const p = s.projects.find((x) => x.projectId === 'acme-data-platform')!;
        p.serviceAccounts = p.serviceAccounts!.filter((a) => a.accountId !== 'etl-runner');
      }),
    );
    const { coverage, records } = await scanning;
    expect(collector(coverage, 'service-account-keys').status).toBe('complete');
    expect(collector(coverage, 'service-account-keys').notes).toContain(
      `service accounts deleted during the scan: ${ETL}`,
    );
    expect(keysOf(records, ETL)).toEqual([]);
    expect(keysOf(records, 'backup-sa')).toHaveLength(1);
  });

  it("fails service-accounts when a project's list answers 404 while projects:search still lists it", async () => {
    emu.faults.add({
      path: '/v1/projects/acme-web/serviceAccounts',
      times: 1,
      action: { kind: 'status', status: 404, body: rpcNotFound('Project acme-web not found.') },
    });
    const { coverage } = await scan();
    expect(collector(coverage, 'service-accounts')).toMatchObject({ status: 'failed', httpStatus: 404 });
    expect(collector(coverage, 'service-accounts').reason).toContain(
      'project acme-web, still listed by projects:search',
    );
    // Keys of accounts that could not be listed are unknown too.
    expect(collector(coverage, 'service-account-keys').status).toBe('failed');
  });

  it('drops the service accounts of a project deleted mid-scan, and completes', async () => {
    emu.faults.add({
      path: '/v1/projects/acme-web/serviceAccounts',
      times: 1,
      action: { kind: 'latency', ms: 300 },
    });
    const scanning = scan();
    await vi.waitFor(() => expect(emu.faults.list()[0]!.applied).toBe(1), { timeout: 10_000, interval: 5 });
    emu.setWorld(demoWith((s) => (s.projects = s.projects.filter((p) => p.projectId !== 'acme-web'))));
    const { coverage, records } = await scanning;
    expect(collector(coverage, 'service-accounts').status).toBe('complete');
    expect(collector(coverage, 'service-accounts').notes).toContain(
      'projects deleted while scanning (no longer listed): acme-web',
    );
    const accounts = records.filter((r) => r.type === 'identity' && r.kind === 'service-account');
    expect(accounts.some((a) => JSON.stringify(a).includes('acme-web'))).toBe(false);
    expect(accounts.length).toBeGreaterThan(0);
  });
});
