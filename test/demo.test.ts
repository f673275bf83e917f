import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { demoWorld } from '../src/package-root.js';
import { ROOT, runCli, tempDir } from './support/cli.js';

/**
 * The demo organisation end to end: the built CLI drives the real SDKs (GitHub App auth, Entra
 * client credentials, Google JWT-bearer with subject) over HTTPS against the emulator. The expected
 * findings follow from the demo worlds, whose files say which object is meant to produce which
 * finding (fixtures/worlds/demo.*.yaml); they are listed in test/expected/.
 */
interface FindingJson {
  platform: string;
  rule: string;
  severity: string;
  subject: string | null;
  identity: { kind: string; id: string };
}

const line = (f: FindingJson) =>
  `${f.platform} ${f.rule} ${f.severity} ${f.identity.kind} ${f.identity.id}${f.subject ? ` ${f.subject}` : ''}`;
const expected = (name: string) =>
  readFileSync(join(ROOT, 'test', 'expected', name), 'utf8')
    .trim()
    .split('\n')
    .sort();

describe('grantscope demo', () => {
  const dir = tempDir('gs-demo-');
  let out: {
    database: string;
    report: string;
    scans: Array<{ id: number; status: string }>;
    findings: FindingJson[];
    tickets: {
      jira: string;
      syncs: Array<{
        sink: string;
        scanId: number;
        actions: Array<{ kind: string; key: string; ticket: string | null }>;
        done: number;
        error: string | null;
      }>;
    };
  };

  beforeAll(async () => {
    const r = await runCli(['demo', '--dir', dir, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    out = JSON.parse(r.stdout);
  });

  it('scans every platform completely, twice, and writes a Markdown report', () => {
    expect(out.scans.map((s) => s.status)).toEqual(['complete', 'complete']);
    expect(out.report).toBe(join(dir, 'report.md'));
    const report = readFileSync(out.report, 'utf8');
    expect(report).toMatch(/^# grantscope scan #2\n/);
    expect(report).toContain('## Changes since scan #1');
    // Findings carry their short fingerprint, what to do, and a link to where to do it.
    expect(report).toMatch(/\| critical \| [0-9a-f]{10} \| over-privileged \| github \|/);
    expect(report).toContain(
      '| Severity | Fingerprint | Rule | Platform | Identity | Title | Remediation | Manage |',
    );
    expect(report).toMatch(/\| \[open\]\(https:\/\/admin\.google\.com\/ac\/owl\/domainwidedelegation\) \|/);
    // The report is an inventory of who can reach what: owner-only, like the database.
    expect(statSync(out.report).mode & 0o777).toBe(0o600);
  });

  it('finds exactly the intended findings in the first scan', async () => {
    const r = await runCli(['findings', '--db', out.database, '--scan', '1', '--format', 'json']);
    const got = (JSON.parse(r.stdout) as FindingJson[]).map(line).sort();
    expect(got).toEqual(expected('demo-scan-1.findings.txt'));
    for (const p of ['github', 'microsoft365', 'google-workspace']) {
      for (const rule of ['over-privileged', 'ownerless', 'stale', 'credential-hygiene']) {
        expect(
          got.filter((l) => l.startsWith(`${p} ${rule} `)).length,
          `${p} ${rule}`,
        ).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('finds exactly the intended findings after the organisation changed, including new and widened grants', () => {
    const got = out.findings.map(line).sort();
    expect(got).toEqual(expected('demo-scan-2.findings.txt'));
    for (const p of ['github', 'microsoft365', 'google-workspace']) {
      expect(
        got.some((l) => l.startsWith(`${p} new-grant `)),
        p,
      ).toBe(true);
    }
  });

  it('runs the ticket lifecycle against the local Jira: opened after the first scan, updated or closed after the second', async () => {
    const [first, second] = out.tickets.syncs;
    expect(out.tickets.syncs).toHaveLength(2);
    expect([first!.scanId, second!.scanId, first!.error, second!.error]).toEqual([1, 2, null, null]);
    // One ticket per partner identity with an open finding of medium severity or above (the findings
    // as the governance file decides them: owners, approvals, exceptions).
    const r = await runCli([
      'findings',
      '-c',
      join(dir, 'grantscope.yaml'),
      '--scan',
      '1',
      '--format',
      'json',
    ]);
    const scan1 = JSON.parse(r.stdout) as (FindingJson & { tenant: string; excepted?: boolean })[];
    const identities = new Set(
      scan1
        .filter((f) => f.severity !== 'low' && f.severity !== 'info' && !f.excepted)
        .map((f) => `identity:${f.platform}:${f.tenant}:${f.identity.kind}:${f.identity.id}`),
    );
    expect(first!.actions.every((a) => a.kind === 'open' && /^SEC-\d+$/.test(a.ticket ?? ''))).toBe(true);
    expect(new Set(first!.actions.map((a) => a.key))).toEqual(identities);
    expect(first!.done).toBe(first!.actions.length);
    // The second scan comments on identities that changed and closes resolved ones, reusing the same
    // tickets; it opens tickets only for identities that had none.
    const kinds = new Set(second!.actions.map((a) => a.kind));
    expect(kinds.has('comment')).toBe(true);
    expect(kinds.has('close')).toBe(true);
    const openedBefore = new Map(first!.actions.map((a) => [a.key, a.ticket]));
    for (const a of second!.actions) {
      if (a.kind === 'open') expect(openedBefore.has(a.key), a.key).toBe(false);
      else expect(a.ticket).toBe(openedBefore.get(a.key));
    }
    const list = await runCli([
      'tickets',
      'list',
      '--db',
      out.database,
      '-c',
      join(dir, 'grantscope.yaml'),
      '--format',
      'json',
    ]);
    expect(list.code).toBe(0);
    const stored = JSON.parse(list.stdout) as { key: string; state: string }[];
    expect(stored.length).toBe(openedBefore.size + second!.actions.filter((a) => a.kind === 'open').length);
  });

  it('a second demo in the same directory starts afresh', async () => {
    const again = await runCli(['demo', '--dir', dir, '--format', 'json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).scans.map((s: { id: number }) => s.id)).toEqual([1, 2]);
  });

  it('the Explore hints of the table output work when pasted, with grantscope not on PATH', async () => {
    const hintDir = tempDir('gs-demo-hints-');
    const r = await runCli(['demo', '--dir', hintDir], { env: { PATH: '/usr/bin:/bin' } });
    expect(r.code).toBe(0);
    const explore = /^Explore: {2}(.+)$/m.exec(r.stdout)?.[1];
    expect(explore).toMatch(/ inventory --db /);
    expect(explore).not.toMatch(/^grantscope /);
    const run = spawnSync('sh', ['-c', explore!], { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('identities,');
    expect(r.stdout).toMatch(/sqlite3 -readonly \S+grantscope\.db 'select \* from findings'/);
  });

  it('the table output shows the changes and the findings for people', async () => {
    const r = await runCli(['diff', '--db', out.database]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/scope widened .*reach selected → all/);
    expect(r.stdout).toMatch(/identity added .*Otter\.ai/);
    expect(r.stdout).toMatch(/grant removed .*docs#103/);
  });

  it('diff as JSON Lines: one change per line, the same changes as the CSV', async () => {
    const jsonl = await runCli(['diff', '--db', out.database, '--format', 'jsonl']);
    const csv = await runCli(['diff', '--db', out.database, '--format', 'csv']);
    expect([jsonl.code, csv.code]).toEqual([0, 0]);
    const lines = jsonl.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(csv.stdout.trimEnd().split('\n').length - 1);
    expect(lines.every((l) => l.from === 1 && l.to === 2 && typeof l.change === 'string')).toBe(true);
    expect(lines.some((l) => l.change === 'identity added' && String(l.identity).includes('Otter.ai'))).toBe(
      true,
    );
  });
});

describe('an unchanged organisation scanned again', () => {
  let emu: RunningEmulator;
  const dir = tempDir('gs-rescan-');
  let config: string;

  beforeAll(async () => {
    emu = await startEmulator({ world: demoWorld('demo') });
    config = writeClientConfig(emu, dir).configFile;
  });
  afterAll(() => emu.stop());

  it('adds no new versions: the diff is empty and no finding is new', async () => {
    const first = await runCli(['scan', '-c', config, '--format', 'json']);
    expect(first.code).toBe(0);
    const second = await runCli(['scan', '-c', config, '--format', 'json']);
    expect(second.code).toBe(0);
    const { diff, findings } = JSON.parse(second.stdout);
    expect(diff.counts.identities).toMatchObject({ added: 0, removed: 0, modified: 0 });
    expect(diff.counts.grants).toEqual({ added: 0, removed: 0, modified: 0 });
    expect(diff.counts.credentials).toMatchObject({ added: 0, removed: 0, renewed: 0, modified: 0 });
    expect(diff.counts.rawOnlyUpdates).toBe(0);
    expect(
      findings.filter((f: FindingJson) => f.rule === 'new-grant' || f.rule === 'scope-expansion'),
    ).toEqual([]);
  });
});
