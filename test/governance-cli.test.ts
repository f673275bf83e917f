import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { governanceJsonSchema } from '../src/governance/json-schema.js';
import { runCli, tempDir } from './support/cli.js';

interface FindingJson {
  rule: string;
  severity: string;
  platform: string;
  identity: { kind: string; id: string; name: string | null };
  subject: string | null;
  title: string;
  evidence: Record<string, unknown>;
  remediation: string;
  owner?: { registered: Array<{ person: string; active: boolean | null }> };
  approval?: { approver: string; reference: string | null };
  exception?: { status: string; approver: string; reason: string; expires: string };
  excepted?: boolean;
}

/**
 * Governance end to end: the demo (the built CLI, the real SDKs, the emulator's demo world) with its
 * governance file, then `findings` with the file from grantscope.yaml's `governance:` key or from
 * `--governance`, in each output format and as a CI gate.
 */
describe('governance file, end to end', () => {
  const dir = tempDir('gs-governance-');
  let demo: { database: string; governance: string; findings: FindingJson[] };
  const config = () => join(dir, 'grantscope.yaml');

  beforeAll(async () => {
    const r = await runCli(['demo', '--dir', dir, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    demo = JSON.parse(r.stdout);
  });

  it('the demo writes a dated governance file that the published JSON Schema accepts', () => {
    expect(demo.governance).toBe(join(dir, 'governance.yaml'));
    const validate = new Ajv2020({ strict: false }).compile(governanceJsonSchema());
    const doc = parse(readFileSync(demo.governance, 'utf8'));
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(JSON.stringify(doc)).not.toContain('now-');
    expect(readFileSync(config(), 'utf8')).toContain('governance: governance.yaml');
  });

  it('a retired vendor still installed is critical, naming the object and where to remove it', () => {
    const f = demo.findings.find((x) => x.rule === 'retired-still-present');
    expect(f).toMatchObject({
      severity: 'critical',
      identity: { kind: 'github-app-installation', id: '71005' },
    });
    expect(f!.remediation).toMatch(/settings\/installations\/71005/);
  });

  it('a grant beyond its approval is unapproved-scope; approved ones are not; findings carry the approval', () => {
    const beyond = demo.findings.filter((x) => x.rule === 'unapproved-scope');
    expect(beyond.map((x) => [x.identity.name, x.subject])).toEqual([
      ['Renovate', 'permission:workflows:write'],
    ]);
    expect(beyond[0]!.approval).toMatchObject({ approver: 'Alice Chen', reference: 'CHG-1987' });
  });

  it('owners: a registered owner who left keeps the identity ownerless; one who is here makes it owned', () => {
    const deployBot = demo.findings.find((x) => x.rule === 'ownerless' && x.identity.id === '71004');
    expect(deployBot!.title).toContain('its registered owner Frank Weber has left');
    expect(deployBot!.owner!.registered).toMatchObject([{ person: 'Frank Weber', active: false }]);
    expect(
      demo.findings.filter((x) => x.rule === 'ownerless' && x.identity.name?.startsWith('CloudVault Backup')),
    ).toEqual([]);
  });

  it('the excepted finding is kept in JSON, marked with who, why and until when', () => {
    const f = demo.findings.find((x) => x.rule === 'stale' && x.identity.id === '81003');
    expect(f).toMatchObject({ excepted: true, exception: { status: 'active', approver: 'Erin Okafor' } });
    expect(demo.findings.filter((x) => x.excepted)).toHaveLength(1);
  });

  it('findings -c reads the governance key: the table hides the excepted finding and says so; --include-excepted shows it', async () => {
    const table = await runCli(['findings', '-c', config(), '--rule', 'stale', '--platform', 'github']);
    expect(table.code).toBe(0);
    expect(table.stdout).not.toContain('q3-audit-export');
    expect(table.stdout).toContain(
      '1 finding accepted by an exception not shown (--include-excepted shows them).',
    );
    const all = await runCli([
      'findings',
      '-c',
      config(),
      '--rule',
      'stale',
      '--platform',
      'github',
      '--include-excepted',
    ]);
    expect(all.stdout).toMatch(/\[excepted until \d{4}-\d{2}-\d{2}\] "q3-audit-export"/);
    const csv = await runCli(['findings', '-c', config(), '--rule', 'stale', '--format', 'csv']);
    expect(csv.stdout.split('\n')[0]).toContain('owner,approval,excepted,exception');
    expect(csv.stdout).toMatch(
      /q3-audit-export.*,true,"active: Erin Okafor until \d{4}-\d{2}-\d{2}: Quarterly audit export/,
    );
  });

  it('--fail-on ignores excepted findings; without the governance file the same finding fails the gate', async () => {
    const everyStale = join(dir, 'accept-stale.yaml');
    const today = new Date().toISOString().slice(0, 10);
    const inMonth = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    writeFileSync(
      everyStale,
      `version: 1\nexceptions:\n  - { rule: stale, match: { platform: github }, reason: test, approver: Tester, granted: ${today}, expires: ${inMonth} }\n`,
    );
    const gate = [
      'findings',
      '--db',
      demo.database,
      '--rule',
      'stale',
      '--platform',
      'github',
      '--fail-on',
      'low',
    ];
    expect((await runCli(gate)).code).toBe(1);
    const accepted = await runCli([...gate, '--governance', everyStale, '--format', 'json']);
    expect(accepted.code).toBe(0);
    const found = JSON.parse(accepted.stdout) as FindingJson[];
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((f) => f.excepted === true)).toBe(true);
  });

  it('inventory shows registered owners, approvals, exceptions and retirement per identity', async () => {
    const json = await runCli(['inventory', '-c', config(), '--platform', 'github', '--format', 'json']);
    expect(json.code).toBe(0);
    const entries = JSON.parse(json.stdout) as Array<{
      nativeId: string;
      governance: Record<string, unknown> | null;
    }>;
    const byId = new Map(entries.map((e) => [e.nativeId, e.governance]));
    expect(byId.get('71004')).toMatchObject({ registeredOwners: [{ person: 'Frank Weber', active: false }] });
    expect(byId.get('71005')).toMatchObject({ retired: { name: 'SonarCloud' } });
    expect(byId.get('71003')).toMatchObject({ approval: { reference: 'CHG-1987' } });
    expect(byId.get('81003')).toMatchObject({ exceptions: [{ rule: 'stale', approver: 'Erin Okafor' }] });
    expect(byId.get('70001')).toBeNull();
    const table = await runCli(['inventory', '-c', config(), '--platform', 'github']);
    expect(table.stdout).toContain('Frank Weber (left)');
  });

  it('a bad governance file is a usage error naming the file, the line and the key', async () => {
    const bad = join(dir, 'bad-governance.yaml');
    writeFileSync(bad, 'version: 1\nretired:\n  - match: { publisher: x }\n    name: X\n');
    const r = await runCli(['findings', '--db', demo.database, '--governance', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toMatch(/line 3: retired\[0\]\.date/);
    // scan reads it before any request: the demo's emulator is gone, yet the error is the file's.
    const scan = await runCli(['scan', '-c', config(), '--governance', bad]);
    expect(scan.code).toBe(2);
    expect(scan.stderr).toMatch(/line 3: retired\[0\]\.date/);
  });
});
