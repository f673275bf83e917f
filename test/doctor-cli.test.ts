import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { ROOT, runCli, tempDir } from './support/cli.js';

/**
 * `grantscope doctor` against the emulator with one permission withheld per collector: the emulator
 * answers as the platform does (GitHub mints an installation token holding only what the App was
 * granted; Entra issues a token whose roles claim lacks it; Google's token endpoint answers
 * unauthorized_client for a scope the delegation lacks), and doctor names the missing permission.
 */
const WORLDS = join(ROOT, 'fixtures', 'worlds');

interface Check {
  subject: string;
  collector: string;
  needed: string;
  state: string;
  fix: string | null;
}

let emu: RunningEmulator | null = null;
afterEach(async () => {
  await emu?.stop();
  emu = null;
});

/** The demo world of one platform, edited, served; a config for it written into a fresh folder. */
// biome-ignore lint/suspicious/noExplicitAny: world sections are edited as loose YAML
async function setUp(platform: string, edit: (section: Record<string, any>) => void) {
  const dir = tempDir('gs-doctor-');
  const world = parse(readFileSync(join(WORLDS, `demo.${platform}.yaml`), 'utf8'));
  edit(world[platform]);
  const file = join(dir, 'world.yaml');
  writeFileSync(file, stringify({ name: 'doctor test', ...world }));
  emu = await startEmulator({ world: file });
  const { configFile } = writeClientConfig(emu, dir);
  return { dir, configFile };
}

async function doctor(configFile: string, dir: string, ...args: string[]) {
  const r = await runCli(['doctor', '-c', configFile, '--format', 'json', ...args], { cwd: dir });
  const report = r.stdout ? (JSON.parse(r.stdout) as { ok: boolean; checks: Check[] }) : null;
  return { ...r, report };
}

const missing = (checks: Check[]) => checks.filter((c) => c.state === 'missing');

describe('grantscope doctor', () => {
  it('passes on the demo GitHub org with every permission, and prints a table', async () => {
    const { dir, configFile } = await setUp('github', () => {});
    const r = await doctor(configFile, dir);
    expect(r.stderr).toBe('');
    expect(missing(r.report!.checks)).toEqual([]);
    expect(r.report!.checks.some((c) => c.collector === 'members' && c.state === 'granted')).toBe(true);
    expect(r.code).toBe(0);
    const table = await runCli(['doctor', '-c', configFile], { cwd: dir });
    expect(table.stdout).toMatch(/TENANT\s+COLLECTOR\s+NEEDED\s+STATUS/);
    expect(table.stdout).toMatch(/checks passed/);
  });

  it.each([
    ['members', 'members', 'Organization permission "Members: read"'],
    ['organization_hooks', 'org-webhooks', 'Organization permission "Webhooks: read"'],
    ['administration', 'deploy-keys', 'Repository permission "Administration: read"'],
    [
      'organization_personal_access_tokens',
      'pat-grants',
      'Organization permission "Personal access tokens: read"',
    ],
  ])('GitHub App without %s: names %s missing', async (permission, collector, needed) => {
    const { dir, configFile } = await setUp('github', (s) => {
      delete s.app.permissions[permission];
    });
    const r = await doctor(configFile, dir);
    expect(r.code).toBe(1);
    const gone = missing(r.report!.checks);
    expect(gone.map((c) => c.collector)).toContain(collector);
    expect(gone.every((c) => c.needed === needed)).toBe(true);
    expect(gone[0]!.fix).toMatch(/Permissions & events/);
  });

  it('GitHub classic token without admin:org_hook: org-webhooks missing, the App-only PAT lists missing', async () => {
    const { dir, configFile } = await setUp('github', (s) => {
      s.classic_token = { scopes: ['read:org', 'repo'] };
    });
    const config = parse(readFileSync(configFile, 'utf8'));
    delete config.github.app;
    config.github.tokenEnv = 'GS_TEST_GITHUB_TOKEN';
    writeFileSync(configFile, stringify(config));
    const token = readFileSync(join(dir, 'github-classic-token.txt'), 'utf8').trim();
    const r = await runCli(['doctor', '-c', configFile, '--format', 'json'], {
      cwd: dir,
      env: { GS_TEST_GITHUB_TOKEN: token },
    });
    expect(r.code).toBe(1);
    const checks = (JSON.parse(r.stdout) as { checks: Check[] }).checks;
    expect(
      missing(checks)
        .map((c) => c.collector)
        .sort(),
    ).toEqual(['org-webhooks', 'pat-grants', 'pat-requests']);
    expect(missing(checks).find((c) => c.collector === 'org-webhooks')!.fix).toMatch(/scope admin:org_hook/);
    expect(checks.find((c) => c.collector === 'members')!.state).toBe('granted');
    expect(checks.find((c) => c.collector === 'deploy-keys')!.state).toBe('granted');
  });

  it.each([
    ['Directory.Read.All', 'oauth2-permission-grants', 'Directory.Read.All'],
    ['AuditLog.Read.All', 'owners', 'AuditLog.Read.All'],
  ])('Entra app without %s: names it missing for %s', async (withheld, collector, needed) => {
    const { dir, configFile } = await setUp('microsoft365', (s) => {
      s.scanner.permissions = s.scanner.permissions.filter((p: string) => p !== withheld);
    });
    const r = await doctor(configFile, dir);
    expect(r.code).toBe(1);
    const gone = missing(r.report!.checks);
    const mine = gone.filter((c) => c.collector === collector);
    expect(mine.some((c) => c.needed.startsWith(`Microsoft Graph application permission ${needed}`))).toBe(
      true,
    );
    expect(gone.every((c) => c.fix?.includes('Grant admin consent'))).toBe(true);
  });

  it('Entra app with every permission passes', async () => {
    const { dir, configFile } = await setUp('microsoft365', () => {});
    const r = await doctor(configFile, dir);
    expect(missing(r.report!.checks)).toEqual([]);
    expect(r.code).toBe(0);
  });

  it.each([
    ['admin.directory.user.readonly', ['users']],
    ['admin.directory.user.security', ['oauth-grants']],
    ['admin.reports.audit.readonly', ['token-activity', 'domain-wide-delegation']],
  ])('Google delegation without %s: names the scope missing', async (scope, collectors) => {
    const { dir, configFile } = await setUp('google-workspace', (s) => {
      s.scanner.delegatedScopes = [
        'https://www.googleapis.com/auth/admin.directory.user.readonly',
        'https://www.googleapis.com/auth/admin.directory.user.security',
        'https://www.googleapis.com/auth/admin.reports.audit.readonly',
      ].filter((x) => !x.endsWith(scope));
    });
    const r = await doctor(configFile, dir);
    expect(r.code).toBe(1);
    const gone = missing(r.report!.checks);
    expect(gone.map((c) => c.collector).sort()).toEqual([...collectors].sort());
    for (const c of gone) {
      expect(c.needed).toBe(`domain-wide delegation of https://www.googleapis.com/auth/${scope}`);
      expect(c.fix).toMatch(/Domain-wide delegation/);
    }
  });

  it('Google subject who is not an admin: each admin privilege missing, the delegation granted', async () => {
    const { dir, configFile } = await setUp('google-workspace', (s) => {
      s.users.find((u: { email: string }) => u.email === s.scanner.subject).admin = false;
    });
    const r = await doctor(configFile, dir);
    expect(r.code).toBe(1);
    const gone = missing(r.report!.checks);
    expect(gone.map((c) => c.needed.replace(/ \(for .*\)$/, '')).sort()).toEqual([
      'admin privilege Reports',
      'admin privilege Reports',
      'admin privilege Security › User security management',
      'admin privilege Users › Read',
    ]);
  });

  it('Google service account without IAM roles: GCP collectors cannot be told, the rest pass', async () => {
    const { dir, configFile } = await setUp('google-workspace', (s) => {
      s.scanner.cloudAccess = false;
    });
    const r = await doctor(configFile, dir);
    const gcp = r.report!.checks.filter((c) => c.collector === 'gcp-projects');
    expect(gcp.map((c) => c.state)).toEqual(['unknown']);
    expect(missing(r.report!.checks)).toEqual([]);
  });

  it('reports an unreadable key file, a refused connection and a database of a newer grantscope', async () => {
    const { dir, configFile } = await setUp('github', () => {});
    const config = readFileSync(configFile, 'utf8').replace(
      /privateKeyFile: \S+/,
      'privateKeyFile: gone.pem',
    );
    writeFileSync(configFile, config);
    const db = new Database(join(dir, 'grantscope.db'));
    db.pragma('application_id = 1196639025');
    db.pragma('user_version = 99');
    db.exec('CREATE TABLE scans (id INTEGER)');
    db.close();
    const r = await doctor(configFile, dir);
    expect(r.code).toBe(1);
    const gone = missing(r.report!.checks);
    expect(gone.find((c) => c.subject === 'config')?.collector).toBe('github.app.privateKeyFile');
    expect(gone.find((c) => c.collector === '(connection)')?.subject).toMatch(/^github:/);
    expect(gone.find((c) => c.subject === 'database')).toMatchObject({ collector: 'schema' });
  });

  it.each([
    ['github', 'org', 'acme-crop', 'organisation not found: check `github.org` in the config'],
    [
      'microsoft365',
      'tenantId',
      '0badc0de-1da3-4124-974d-72e2bc80841b',
      'tenant not found: check `microsoft365.tenantId` in the config',
    ],
    [
      'google-workspace',
      'customerId',
      'C99wrong1',
      'customer not found: check `google-workspace.customerId` in the config',
    ],
  ])(
    '%s with a wrong %s: the connection check says the tenant is not found, and nothing else',
    async (platform, key, value, fix) => {
      const { dir, configFile } = await setUp(platform, () => {});
      const config = parse(readFileSync(configFile, 'utf8'));
      config[platform][key] = value;
      writeFileSync(configFile, stringify(config));
      const r = await doctor(configFile, dir);
      expect(r.code).toBe(1);
      const tenant = r.report!.checks.filter((c) => c.subject === `${platform}:${value}`);
      expect(tenant).toEqual([expect.objectContaining({ collector: '(connection)', state: 'missing', fix })]);
    },
  );
});
