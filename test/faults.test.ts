import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { demoWorld } from '../src/package-root.js';
import { runCli, tempDir } from './support/cli.js';

/**
 * Faults injected into the emulator while the built CLI scans the demo organisation with the real
 * SDKs: transient errors are retried and the scan completes; a permanent 403 on one collector makes the
 * scan incomplete (exit 3) with that collector named, and the next diff reports no false removals.
 */
describe('scanning through API faults', () => {
  let emu: RunningEmulator;
  let config: string;

  beforeAll(async () => {
    emu = await startEmulator({ world: demoWorld('demo') });
    config = writeClientConfig(emu, tempDir('gs-faults-')).configFile;
  });
  afterAll(() => emu.stop());

  const statuses = (pathPart: string) =>
    emu
      .stats()
      .routes.filter((r) => r.pattern.includes(pathPart))
      .reduce<Record<string, number>>((acc, r) => {
        for (const [s, n] of Object.entries(r.statuses)) acc[s] = (acc[s] ?? 0) + n;
        return acc;
      }, {});

  it('retries 429s and 5xx on every platform and completes the scan', async () => {
    emu.faults.add({
      service: 'github',
      path: '^/api/v3/orgs/[^/]+/installations$',
      times: 1,
      action: { kind: 'rate-limit', retryAfter: 0 },
    });
    emu.faults.add({
      service: 'github',
      path: '^/api/v3/orgs/[^/]+/members$',
      times: 1,
      action: { kind: 'status', status: 502 },
    });
    emu.faults.add({
      service: 'github',
      path: '^/api/v3/orgs/[^/]+/personal-access-tokens$',
      times: 1,
      action: { kind: 'secondary-rate-limit', retryAfter: 1 },
    });
    emu.faults.add({
      service: 'graph',
      path: '^/v1.0/servicePrincipals$',
      times: 1,
      action: { kind: 'rate-limit', retryAfter: 0 },
    });
    emu.faults.add({
      service: 'graph',
      path: '^/v1.0/applications$',
      times: 1,
      action: { kind: 'status', status: 503, headers: { 'retry-after': '0' } },
    });
    emu.faults.add({
      path: '^/admin/directory/v1/users$',
      times: 1,
      action: { kind: 'status', status: 503 },
    });
    emu.faults.add({
      path: '^/admin/reports/v1/activity/',
      times: 1,
      action: { kind: 'rate-limit', retryAfter: 0 },
    });
    emu.resetStats();

    const r = await runCli(['scan', '-c', config, '--format', 'json']);
    expect(r.code).toBe(0);
    // Retries are worth a warning on stderr, nothing worse.
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.stderr).toMatch(/429/);
    const out = JSON.parse(r.stdout);
    expect(out.scan.status).toBe('complete');
    // Every fault fired, and was recovered from.
    for (const f of emu.faults.list()) expect(f.applied, JSON.stringify(f)).toBe(f.times);
    expect(statuses('/installations')['429']).toBe(1);
    expect(statuses('/members')['502']).toBe(1);
    expect(statuses('/servicePrincipals')['429']).toBe(1);
    expect(statuses('/admin/directory/v1/users')['503']).toBe(1);
    emu.faults.clear();
  });

  it('a permanent 403 on one collector: exit 3, the collector and status named, others kept, no false removals', async () => {
    emu.faults.add({
      service: 'graph',
      path: '^/v1.0/oauth2PermissionGrants',
      action: {
        kind: 'status',
        status: 403,
        body: {
          error: {
            code: 'Authorization_RequestDenied',
            message: 'Insufficient privileges to complete the operation.',
          },
        },
      },
    });
    const r = await runCli(['scan', '-c', config]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/oauth2-permission-grants\s+failed .*HTTP 403/);
    expect(r.stdout).toMatch(
      /Scan incomplete: microsoft365:[0-9a-f-]+ oauth2-permission-grants \(HTTP 403\)/,
    );
    // Other collectors of the same connector completed.
    expect(r.stdout).toMatch(/service-principals\s+complete/);

    const d = await runCli(['diff', '-c', config, '--format', 'json']);
    expect(d.code).toBe(0);
    const diff = JSON.parse(d.stdout);
    expect(diff.grants.removed).toEqual([]);
    expect(diff.identities.removed).toEqual([]);
    expect(diff.notCompared).toContainEqual(
      expect.objectContaining({ collector: 'oauth2-permission-grants', status: 'failed' }),
    );
    const carried = diff.notCompared.find(
      (s: { collector: string }) => s.collector === 'oauth2-permission-grants',
    );
    expect(carried.removals.grant).toBe(0); // carried over by the store, so there was nothing to withhold

    // The delegated grants are still in the inventory (carried over from the previous scan).
    const inv = await runCli(['inventory', '-c', config, '--platform', 'microsoft365', '--format', 'json']);
    const delegated = JSON.parse(inv.stdout)
      .flatMap((i: { grants: Array<{ collector: string }> }) => i.grants)
      .filter((g: { collector: string }) => g.collector === 'oauth2-permission-grants');
    expect(delegated.length).toBeGreaterThan(0);
    emu.faults.clear();

    // Once the permission is back, the scan is complete again.
    const again = await runCli(['scan', '-c', config]);
    expect(again.code).toBe(0);
  });
});

describe('configuration problems found while scanning', () => {
  let emu: RunningEmulator;
  afterAll(() => emu.stop());

  it('a missing key file is a usage error (exit 2) naming the key and file, and nothing is stored', async () => {
    emu = await startEmulator({ world: demoWorld('demo') });
    const dir = tempDir('gs-badkey-');
    const { configFile } = writeClientConfig(emu, dir);
    rmSync(join(dir, 'microsoft365-client-cert.pem'));
    const r = await runCli(['scan', '-c', configFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/microsoft365\.certificateFile/);
    expect(r.stderr).toContain('microsoft365-client-cert.pem');
    const inv = await runCli(['inventory', '-c', configFile]);
    expect(inv.code).toBe(2);
    expect(inv.stderr).toContain('no completed scan yet');
  });

  it('a bad --as-of is rejected before scanning', async () => {
    const dir = tempDir('gs-asof-');
    const { configFile } = writeClientConfig(emu, dir);
    emu.resetStats();
    const r = await runCli(['scan', '-c', configFile, '--as-of', 'yesterday-ish']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--as-of: not a date: 'yesterday-ish'");
    expect(emu.stats().total).toBe(0);
  });
});
