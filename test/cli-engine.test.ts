import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CONNECTOR, type FakeTenant, runCli, tempDir, writeFakeSetup } from './support/cli.js';

/**
 * The engine end to end through the built CLI, with the test connector loaded as a plugin (so this
 * also proves that a fourth platform plugs in without engine changes).
 */
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString().replace(/\.\d+Z$/, 'Z');
const later = (days: number) => new Date(Date.now() + days * DAY).toISOString().replace(/\.\d+Z$/, 'Z');
const SECRET = 'SUPERSECRET-9f8e7d6c5b4a';

function tenantV1(): FakeTenant {
  return {
    identities: [
      {
        kind: 'oauth-app',
        nativeId: 'app-crm',
        displayName: 'CRM Sync',
        origin: 'third-party',
        createdAt: ago(400),
        lastUsed: { at: ago(2), source: 'acme:audit' },
        owners: [{ id: 'alice', name: 'Alice', active: true }],
        raw: { id: 'app-crm', name: 'CRM Sync' },
      },
      {
        kind: 'oauth-app',
        nativeId: 'app-export',
        displayName: 'Bulk Exporter',
        origin: 'third-party',
        createdAt: ago(500),
        lastUsed: { at: ago(200), source: 'acme:audit' },
        owners: [{ id: 'bob', name: 'Bob', active: false }],
        // Secret material in a raw API object must never reach the database or the output.
        raw: { id: 'app-export', client_secret: SECRET, settings: { token: SECRET } },
      },
    ],
    grants: [
      {
        identity: { kind: 'oauth-app', nativeId: 'app-crm' },
        permission: { id: 'contacts', name: 'contacts', access: 'read' },
        target: { breadth: 'all', type: 'workspace' },
        risk: { tier: 'low' },
      },
      {
        identity: { kind: 'oauth-app', nativeId: 'app-export' },
        permission: { id: 'admin', name: 'admin', access: 'admin' },
        target: { breadth: 'tenant', type: 'workspace' },
        risk: { tier: 'critical', reason: 'full admin' },
      },
    ],
    credentials: [
      {
        identity: { kind: 'oauth-app', nativeId: 'app-export' },
        credentialType: 'client-secret',
        nativeId: 'sec-1',
        createdAt: ago(400),
        expiresAt: null,
      },
      {
        identity: { kind: 'oauth-app', nativeId: 'app-crm' },
        credentialType: 'client-secret',
        nativeId: 'sec-2',
        createdAt: ago(10),
        expiresAt: later(100),
      },
    ],
  };
}

/** v2: CRM Sync widened read → write, a new app appears, the exporter's secret is gone. */
function tenantV2(): FakeTenant {
  const t = tenantV1();
  (t.grants![0] as { permission: { access: string } }).permission.access = 'write';
  t.identities!.push({
    kind: 'oauth-app',
    nativeId: 'app-new',
    displayName: 'Shadow Mailer',
    origin: 'third-party',
    createdAt: ago(1),
    lastUsed: null,
    owners: [],
  });
  t.grants!.push({
    identity: { kind: 'oauth-app', nativeId: 'app-new' },
    permission: { id: 'mail', name: 'mail', access: 'write' },
    target: { breadth: 'tenant', type: 'workspace' },
    risk: { tier: 'high' },
  });
  t.credentials = t.credentials!.filter((c) => (c as { nativeId: string }).nativeId !== 'sec-1');
  return t;
}

interface FindingJson {
  rule: string;
  severity: string;
  identity: { id: string };
  fingerprint: string;
  firstSeen: string;
}

describe('grantscope CLI with a plugin connector', () => {
  const dir = tempDir();
  const config = join(dir, 'grantscope.yaml');
  let firstFindings: FindingJson[];

  beforeAll(() => {
    writeFakeSetup(dir, tenantV1());
  });

  it('first scan: stores a snapshot, reports findings, exits 0 without --fail-on', async () => {
    const r = await runCli(['scan', '-c', config, '--format', 'json'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.scan.status).toBe('complete');
    expect(out.scan.counts).toEqual({ identities: 2, grants: 2, credentials: 2 });
    expect(out.previousScan).toBeNull();
    firstFindings = out.findings;
    const got = firstFindings.map((f) => `${f.rule}:${f.identity.id}:${f.severity}`).sort();
    expect(got).toEqual(
      [
        'credential-hygiene:app-export:high',
        'over-privileged:app-export:critical',
        'ownerless:app-export:high',
        'stale:app-export:high',
      ].sort(),
    );
  });

  it('diff after the first scan: nothing to compare yet, exit 0, json fit for scripts', async () => {
    const table = await runCli(['diff', '-c', config], { cwd: dir });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Nothing to compare yet: scan #1 is the first scan');
    const json = await runCli(['diff', '-c', config, '--format', 'json'], { cwd: dir });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ from: null, to: 1, nothingToCompare: true });
    const csv = await runCli(['diff', '-c', config, '--format', 'csv'], { cwd: dir });
    expect(csv.stdout).toBe('change,source,kind,identity,detail\n');
  });

  it('never writes secret material to the database or the output', async () => {
    const db = readFileSync(join(dir, 'grantscope.db'));
    expect(db.includes(SECRET)).toBe(false);
    const inv = await runCli(['inventory', '-c', config, '--format', 'json', '--raw'], { cwd: dir });
    expect(inv.code).toBe(0);
    expect(inv.stdout).not.toContain(SECRET);
    expect(inv.stdout).toContain('[redacted]');
  });

  it('--fail-on high exits 1 when a high finding exists, 0 when the bar is above it', async () => {
    const high = await runCli(['findings', '-c', config, '--fail-on', 'high'], { cwd: dir });
    expect(high.code).toBe(1);
    expect(high.stdout).toContain('over-privileged');
    const none = await runCli(['findings', '-c', config, '--rule', 'stale', '--fail-on', 'critical'], {
      cwd: dir,
    });
    expect(none.code).toBe(0);
  });

  it('findings JSON validates against the published JSON Schema', async () => {
    const r = await runCli(['findings', '-c', config, '--format', 'json'], { cwd: dir });
    const schema = JSON.parse(
      readFileSync(join(__dirname, '..', 'src', 'findings', 'finding.schema.json'), 'utf8'),
    );
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    const data = JSON.parse(r.stdout);
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
    expect(data.length).toBe(4);
  });

  it('second scan: reports the widening, the new identity, the removed secret and new findings', async () => {
    writeFakeSetup(dir, tenantV2());
    const r = await runCli(['scan', '-c', config, '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.previousScan).toBe(1);
    expect(
      out.diff.scopeExpansions.map((e: { identity: { nativeId: string } }) => e.identity.nativeId),
    ).toEqual(['app-crm']);
    expect(out.diff.identities.added.map((i: { nativeId: string }) => i.nativeId)).toEqual(['app-new']);
    expect(out.diff.credentials.removed.map((c: { nativeId: string }) => c.nativeId)).toEqual(['sec-1']);
    const rules = out.findings.map((f: FindingJson) => `${f.rule}:${f.identity.id}`);
    expect(rules).toContain('new-grant:app-new');
    expect(rules).toContain('scope-expansion:app-crm');
    // A finding seen before keeps its first-seen time.
    const stale = out.findings.find((f: FindingJson) => f.rule === 'stale');
    expect(stale.firstSeen).toBe(firstFindings.find((f) => f.rule === 'stale')!.firstSeen);

    const diff = await runCli(['diff', '-c', config], { cwd: dir });
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/scope widened .*access read → write/);
    expect(diff.stdout).toMatch(/identity added .*Shadow Mailer/);
  });

  it('a failed collector: exit 3, the collector named, and no false removals in the next diff', async () => {
    const t = tenantV2();
    writeFakeSetup(dir, t, { fail: ['grants'] });
    const r = await runCli(['scan', '-c', config], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/grants\s+failed/);
    expect(r.stdout).toContain('Scan incomplete: acme-saas:t1 grants');
    const d = await runCli(['diff', '-c', config, '--format', 'json'], { cwd: dir });
    const diff = JSON.parse(d.stdout);
    expect(diff.grants.removed).toEqual([]);
    expect(diff.notCompared.map((s: { collector: string }) => s.collector)).toContain('grants');
    // The carried-over grants are still in the latest snapshot.
    const inv = await runCli(['inventory', '-c', config, '--format', 'json'], { cwd: dir });
    const grants = JSON.parse(inv.stdout).flatMap((i: { grants: unknown[] }) => i.grants);
    expect(grants).toHaveLength(3);
  });

  it('a connector that fails outright: exit 3 and every collector failed with the reason', async () => {
    writeFakeSetup(dir, tenantV2(), { failAuth: true });
    const r = await runCli(['scan', '-c', config, '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out.scan.status).toBe('incomplete');
    for (const c of out.coverage[0].collectors) {
      expect(c.status).toBe('failed');
      expect(c.reason).toContain('401 Unauthorized');
    }
    expect(out.diff.identities.removed).toEqual([]);
  });

  it('Ctrl-C stops a scan at once: exit 130, nothing stored, the scan recorded as failed', async () => {
    writeFakeSetup(dir, tenantV2(), { delayMsPerRecord: 60_000 });
    const before = await runCli(['inventory', '-c', config, '--format', 'json'], { cwd: dir });
    const r = await runCli(['scan', '-c', config, '-v'], {
      cwd: dir,
      killWhen: (stderr) => stderr.includes('scan started'),
      killSignal: 'SIGINT',
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/scan #\d+ interrupted by SIGINT; nothing from it was stored/);
    const after = await runCli(['inventory', '-c', config, '--format', 'json'], { cwd: dir });
    expect(after.stdout).toBe(before.stdout);
    // SIGTERM (a service manager, docker stop): the same, with 143.
    const term = await runCli(['scan', '-c', config, '-v'], {
      cwd: dir,
      killWhen: (stderr) => stderr.includes('scan started'),
      killSignal: 'SIGTERM',
    });
    expect(term.code).toBe(143);
    expect(term.stderr).toMatch(/scan #\d+ interrupted by SIGTERM; nothing from it was stored/);
    const afterTerm = await runCli(['inventory', '-c', config, '--format', 'json'], { cwd: dir });
    expect(afterTerm.stdout).toBe(before.stdout);
  });

  it('a scan killed after it began writing records leaves the previous snapshot intact', async () => {
    // More records than one write batch (2000), slowly, so the kill lands between two batches.
    const big = tenantV2();
    for (let i = 0; i < 2500; i++) {
      big.identities!.push({
        kind: 'oauth-app',
        nativeId: `bulk-${i}`,
        displayName: `Bulk ${i}`,
        owners: [],
      });
    }
    writeFakeSetup(dir, big, { delayMsPerRecord: 1 });
    const before = await runCli(['inventory', '-c', config, '--format', 'json'], { cwd: dir });
    const killed = await runCli(['scan', '-c', config, '-v'], {
      cwd: dir,
      killWhen: (stderr) => stderr.includes('stored a batch of records'),
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stderr).toContain('stored a batch of records');
    const after = await runCli(['inventory', '-c', config, '--format', 'json'], { cwd: dir });
    expect(after.code).toBe(0);
    expect(after.stdout).toBe(before.stdout);
  });
});

describe('grantscope CLI usage errors', () => {
  it('a config error names the file, the key and the line, and exits 2', async () => {
    const dir = tempDir();
    const file = writeFakeSetup(dir, {}, { extraYaml: '  pageSize: 10' });
    const r = await runCli(['scan', '-c', file], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/acme-saas/);
    expect(r.stderr).toMatch(/unknown key 'pageSize'/);
    expect(r.stderr).toContain("line 6: acme-saas: unknown key 'pageSize'");
  });

  it('an unknown section suggests the closest name', async () => {
    const dir = tempDir();
    const file = join(dir, 'grantscope.yaml');
    writeFileSync(file, 'databse: x.db\n');
    const r = await runCli(['scan', '-c', file], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown section 'databse' (did you mean 'database'?)");
    expect(r.stderr).toContain('line 1');
  });

  it('no config file is a usage error with a hint', async () => {
    const r = await runCli(['scan'], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no config file');
  });

  it('reading a missing database is a usage error, not an empty result', async () => {
    const dir = tempDir();
    const r = await runCli(['findings', '--db', join(dir, 'none.db')], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no such database');
  });

  it('an unknown option exits 2', async () => {
    const r = await runCli(['findings', '--nope'], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--nope'");
  });
});

describe('grantscope scan output formats', () => {
  it('md is a report with coverage, changes and findings tables; csv is the findings table', async () => {
    const dir = tempDir();
    const config = writeFakeSetup(dir, tenantV1());
    const md = await runCli(['scan', '-c', config, '--format', 'md'], { cwd: dir });
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^# grantscope scan #1\n/);
    expect(md.stdout).toContain('## Coverage');
    expect(md.stdout).toMatch(/\| acme-saas:t1 \| grants \| complete \|/);
    expect(md.stdout).toContain('First scan: no previous snapshot');
    expect(md.stdout).toMatch(/\| critical \| [0-9a-f]{10} \| over-privileged \| acme-saas \|/);

    writeFakeSetup(dir, tenantV2());
    const out = join(dir, 'findings.csv');
    const csv = await runCli(['scan', '-c', config, '--format', 'csv', '-o', out], { cwd: dir });
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe('');
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^fingerprint,severity,rule,platform,tenant,identity_kind,identity_id/);
    expect(lines.some((l) => l.includes(',new-grant,acme-saas,t1,oauth-app,app-new,'))).toBe(true);
  });
});

describe('a scan of some tenants in between', () => {
  it('each tenant is compared with the newest earlier scan that included it', async () => {
    const dir = tempDir();
    const config = join(dir, 'grantscope.yaml');
    const write = (tenants: Array<{ id: string; file: string; data: FakeTenant }>) => {
      const lines = ['database: grantscope.db', `plugins: [${JSON.stringify(FAKE_CONNECTOR)}]`, 'acme-saas:'];
      for (const t of tenants) {
        writeFileSync(join(dir, t.file), JSON.stringify(t.data));
        lines.push(`  - tenant: ${t.id}`, `    recordsFile: ${t.file}`);
      }
      writeFileSync(config, `${lines.join('\n')}\n`);
    };
    write([
      { id: 't1', file: 't1.json', data: tenantV1() },
      { id: 't2', file: 't2.json', data: tenantV1() },
    ]);
    expect((await runCli(['scan', '-c', config], { cwd: dir })).code).toBe(0);
    // Scan 2 covers t1 only (as `scan --only` or a trimmed config would).
    write([{ id: 't1', file: 't1.json', data: tenantV1() }]);
    expect((await runCli(['scan', '-c', config], { cwd: dir })).code).toBe(0);
    // Scan 3 covers both again; t2 changed since scan 1.
    write([
      { id: 't1', file: 't1.json', data: tenantV1() },
      { id: 't2', file: 't2.json', data: tenantV2() },
    ]);
    const r = await runCli(['scan', '-c', config, '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(
      out.diff.identities.added.map(
        (i: { tenant: { id: string }; nativeId: string }) => `${i.tenant.id}:${i.nativeId}`,
      ),
    ).toEqual(['t2:app-new']);
    const rules = out.findings.map(
      (f: FindingJson & { tenant: string }) => `${f.rule}:${f.tenant}:${f.identity.id}`,
    );
    expect(rules).toContain('new-grant:t2:app-new');
    expect(rules).toContain('scope-expansion:t2:app-crm');
  });
});
