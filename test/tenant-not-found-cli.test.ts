import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { ROOT, runCli, tempDir } from './support/cli.js';

/**
 * A config naming a tenant the platform does not have (a wrong GitHub org, Entra tenant id, Google
 * customer id): `grantscope scan` says so once, for the tenant, on stderr and under the coverage table,
 * exits 3 (incomplete) and stores nothing as removed. The emulator answers each as the platform does
 * (GitHub 404 on the org, Entra 400 invalid_tenant AADSTS90002, Google 400 badRequest).
 */
const WORLD = join(ROOT, 'fixtures', 'worlds', 'demo.yaml');

const WRONG: Record<string, { key: string; value: string; summary: string; said: RegExp }> = {
  github: {
    key: 'org',
    value: 'acme-crop',
    summary: 'organisation not found',
    said: /GitHub answered 404 to GET \/orgs\/\{org\}\/members — check `github\.org` in the config/,
  },
  microsoft365: {
    key: 'tenantId',
    value: '0badc0de-1da3-4124-974d-72e2bc80841b',
    summary: 'tenant not found',
    said: /answered 400 to GET \/0badc0de-[^/]+\/v2\.0\/\.well-known\/openid-configuration: invalid_tenant: AADSTS90002: Tenant '0badc0de-1da3-4124-974d-72e2bc80841b' not found\..* — check `microsoft365\.tenantId` in the config/,
  },
  'google-workspace': {
    key: 'customerId',
    value: 'C99wrong1',
    summary: 'customer not found',
    said: /Google answered 400 badRequest to GET \/admin\/directory\/v1\/users\?customer=C99wrong1 — check `google-workspace\.customerId` in the config/,
  },
};

describe('scan of a tenant that does not exist', () => {
  let emu: RunningEmulator;
  let dir: string;
  let goodConfig: string;
  beforeAll(async () => {
    emu = await startEmulator({ world: WORLD });
    dir = tempDir('gs-tenant404-');
    goodConfig = writeClientConfig(emu, dir).configFile;
  });
  afterAll(() => emu.stop());

  it.each(Object.keys(WRONG))(
    '%s: one tenant-level line, exit 3, nothing reported removed',
    async (platform) => {
      const wrong = WRONG[platform]!;
      const db = join(dir, `${platform}.db`);
      const first = await runCli(['scan', '-c', goodConfig, '--db', db, '--only', platform], { cwd: dir });
      expect(first.code).toBe(0);

      const config = parse(readFileSync(goodConfig, 'utf8'));
      config[platform][wrong.key] = wrong.value;
      const wrongConfig = join(dir, `wrong-${platform}.yaml`);
      writeFileSync(wrongConfig, stringify(config));
      const r = await runCli(['scan', '-c', wrongConfig, '--db', db, '--only', platform], { cwd: dir });
      expect(r.code).toBe(3);
      // stderr: exactly one line, for the tenant, listing the collectors once.
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^warn  ${wrong.summary} connector=${platform} tenant=${wrong.value} reason=`),
      );
      expect(lines[0]).toMatch(wrong.said);
      expect(lines[0]).toMatch(/ collectors=[a-z0-9-]+(, [a-z0-9-]+){5,}$/);
      // stdout: each collector's row says three words; the reason once, under the table.
      expect(r.stdout.match(wrong.said) ?? []).toHaveLength(1);
      expect(r.stdout).toMatch(new RegExp(`not run: ${wrong.summary}\\n`));
      expect(r.stdout).toMatch(
        new RegExp(
          `Scan incomplete: ${platform}:${wrong.value}: ${wrong.summary}: .*\\(\\d+ collectors not run\\)\\.`,
        ),
      );

      // The scan is stored as incomplete with the tenant's failure in its JSON coverage.
      const json = await runCli(
        ['scan', '-c', wrongConfig, '--db', db, '--only', platform, '--format', 'json'],
        {
          cwd: dir,
        },
      );
      expect(json.code).toBe(3);
      const out = JSON.parse(json.stdout);
      expect(out.scan.status).toBe('incomplete');
      expect(out.coverage[0].tenantFailure).toMatchObject({ notFound: true, summary: wrong.summary });
      expect(out.coverage[0].tenantFailure.reason).toMatch(wrong.said);
      expect(out.diff.identities.removed).toEqual([]);

      // Nothing of the real tenant is reported removed: its collectors are named as not compared.
      const diff = await runCli(['diff', '-c', wrongConfig, '--db', db, '--from', '1', '--format', 'json'], {
        cwd: dir,
      });
      const d = JSON.parse(diff.stdout);
      expect([d.counts.identities.removed, d.counts.grants.removed, d.counts.credentials.removed]).toEqual([
        0, 0, 0,
      ]);
      expect(d.notCompared.length).toBeGreaterThan(0);
    },
  );
});
