import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { demoWorld } from '../src/package-root.js';
import { runCli, tempDir } from './support/cli.js';

/**
 * Recertification end to end: the built CLI scans the demo organisation on the emulator, then
 * records reviews (`grantscope review`), lists what is due per owner (`reviews due`) and a history
 * (`reviews history`); findings and inventory carry the review in force, and the review rules fire
 * once their dates pass (judged with --as-of).
 */
const DAY = 86_400_000;
const inDays = (n: number) => new Date(Date.now() + n * DAY).toISOString().slice(0, 10);

interface FindingJson {
  rule: string;
  severity: string;
  identity: { kind: string; id: string };
  lastReview?: { decision: string; reviewer: string; source: string; note?: string; until?: string };
}

describe('grantscope review / reviews', () => {
  let emu: RunningEmulator;
  const dir = tempDir('gs-reviews-');
  let config: string;
  const cli = (args: string[]) => runCli([...args, '-c', config], { cwd: dir });

  beforeAll(async () => {
    emu = await startEmulator({ world: demoWorld('demo') });
    config = writeClientConfig(emu, dir).configFile;
    const scan = await runCli(['scan', '-c', config, '--format', 'json'], { cwd: dir });
    expect(scan.code).toBe(0);
    // The scan records which governance files were in force: none here.
    expect(JSON.parse(scan.stdout).scan.governanceHash).toBeNull();
  });
  afterAll(() => emu.stop());

  it('records reviews and shows their history, newest first', async () => {
    const keep = await cli([
      'review',
      '71004',
      '--decision',
      'keep',
      '--reviewer',
      'alice',
      '--note',
      'CHG-1: used by CI',
    ]);
    expect(keep.stderr).toBe('');
    expect(keep.code).toBe(0);
    expect(keep.stdout).toBe(
      'Recorded review #1: keep "Acme Deploy Bot" (github-app-installation 71004, github acme-corp) by alice.\n',
    );

    const revoke = await cli([
      'review',
      'github-app-installation:71005',
      '--decision',
      'revoke',
      '--reviewer',
      'bob',
      '--until',
      inDays(10),
      '--note',
      'vendor offboarded',
      '--format',
      'json',
    ]);
    expect(revoke.code).toBe(0);
    expect(JSON.parse(revoke.stdout)).toMatchObject({
      id: 2,
      identity: { kind: 'github-app-installation', id: '71005', name: 'SonarCloud' },
      decision: 'revoke',
      until: `${inDays(10)}T00:00:00.000Z`,
      scanId: 1,
    });

    // By display name, case-insensitive.
    const again = await cli(['review', 'acme deploy bot', '--decision', 'reduce', '--reviewer', 'carol']);
    expect(again.code).toBe(0);
    const history = await cli(['reviews', 'history', '71004', '--format', 'json']);
    expect(history.code).toBe(0);
    expect(
      JSON.parse(history.stdout).map(
        (r: { decision: string; reviewer: string }) => `${r.decision}:${r.reviewer}`,
      ),
    ).toEqual(['reduce:carol', 'keep:alice']);
    // A later keep is the review in force again.
    expect((await cli(['review', '71004', '--decision', 'keep', '--reviewer', 'alice'])).code).toBe(0);
  });

  it('findings and inventory carry the review in force', async () => {
    const findings = JSON.parse((await cli(['findings', '--format', 'json'])).stdout) as FindingJson[];
    const of71004 = findings.filter((f) => f.identity.id === '71004');
    expect(of71004.length).toBeGreaterThan(0);
    for (const f of of71004)
      expect(f.lastReview).toMatchObject({ decision: 'keep', reviewer: 'alice', source: 'store' });
    expect(findings.find((f) => f.identity.id === '71005')?.lastReview).toMatchObject({
      decision: 'revoke',
      note: 'vendor offboarded',
    });
    expect(findings.filter((f) => f.identity.id === '71003').every((f) => f.lastReview === undefined)).toBe(
      true,
    );

    const inventory = JSON.parse((await cli(['inventory', '--format', 'json'])).stdout) as {
      nativeId: string;
      lastReview?: { decision: string };
    }[];
    expect(inventory.find((i) => i.nativeId === '71004')?.lastReview).toMatchObject({ decision: 'keep' });
    expect(inventory.find((i) => i.nativeId === '71003')?.lastReview).toBeUndefined();
    const table = (await cli(['inventory', '--platform', 'github'])).stdout;
    expect(table).toMatch(/REVIEWED/);
    expect(table).toMatch(/Acme Deploy Bot .* keep \d{4}-\d{2}-\d{2}/);
  });

  it('a rescan reports the review in force with its findings', async () => {
    const r = await cli(['scan', '--format', 'json']);
    expect(r.code).toBe(0);
    const { scan, findings } = JSON.parse(r.stdout) as { scan: { id: number }; findings: FindingJson[] };
    expect(scan.id).toBe(2);
    const of71004 = findings.filter((f) => f.identity.id === '71004');
    expect(of71004.length).toBeGreaterThan(0);
    for (const f of of71004) expect(f.lastReview).toMatchObject({ decision: 'keep', reviewer: 'alice' });
    expect(findings.filter((f) => f.identity.id === '71003').every((f) => f.lastReview === undefined)).toBe(
      true,
    );
  });

  it('once their dates pass: an overdue review and a revoke not carried out are findings', async () => {
    const now = JSON.parse(
      (await cli(['findings', '--format', 'json', '--as-of', 'now'])).stdout,
    ) as FindingJson[];
    expect(now.filter((f) => f.rule === 'overdue-review' || f.rule === 'review-decision-overdue')).toEqual(
      [],
    );
    const later = JSON.parse(
      (await cli(['findings', '--format', 'json', '--as-of', inDays(100)])).stdout,
    ) as FindingJson[];
    const review = later.filter((f) => f.rule === 'overdue-review' || f.rule === 'review-decision-overdue');
    expect(review.map((f) => `${f.rule} ${f.identity.id} ${f.severity}`).sort()).toEqual([
      'overdue-review 71004 medium',
      // 71005 was decided for revocation: its removal is overdue, not another review.
      'review-decision-overdue 71005 high',
    ]);
  });

  it('reviews due: one list per owner, "no owner" last, reviewed identities left out', async () => {
    const r = await cli(['reviews', 'due', '--format', 'json']);
    expect(r.code).toBe(0);
    const groups = JSON.parse(r.stdout) as {
      owner: { name: string; source: string } | null;
      identities: { identity: { id: string }; status: string }[];
    }[];
    expect(groups.length).toBeGreaterThan(2);
    const ids = groups.flatMap((g) => g.identities.map((i) => i.identity.id));
    expect(ids).not.toContain('71004');
    expect(ids).toContain('71003');
    expect(groups.find((g) => g.identities.some((i) => i.identity.id === '71003'))?.owner).toMatchObject({
      name: 'bob',
      source: 'platform',
    });
    const named = groups.filter((g) => g.owner !== null).map((g) => g.owner!.name);
    expect(named).toEqual([...named].sort((a, b) => a.localeCompare(b)));
    expect(groups.findIndex((g) => g.owner === null)).toBe(
      groups.some((g) => g.owner === null) ? groups.length - 1 : -1,
    );

    const table = await cli(['reviews', 'due']);
    expect(table.stdout).toMatch(/^bob \[in-platform owner\]: \d+ to review$/m);
    expect(table.stdout).toMatch(/identities to review, \d+ owner lists/);
    const md = await cli(['reviews', 'due', '--format', 'md']);
    expect(md.stdout).toMatch(/^\| Owner \| Status \|/);
  });

  it('bad input gets a clear error, and nothing is recorded', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['review', 'nosuch', '--decision', 'keep', '--reviewer', 'x'],
        /no identity 'nosuch' in scan #\d; `grantscope inventory` lists the ids/,
      ],
      [
        ['review', 'deploy', '--decision', 'keep', '--reviewer', 'x'],
        /no identity 'deploy' in scan #\d; did you mean:\n {2}github acme-corp/,
      ],
      [
        ['review', 'Mail and Drive backup', '--decision', 'keep', '--reviewer', 'x'],
        /ambiguous in scan #\d: 2 identities match; add the options of one:[\s\S]*--kind domain-wide-delegation[\s\S]*--kind service-account/,
      ],
      [
        ['review', '71004', '--decision', 'keep', '--reviewer', 'x', '--until', '2026-02-30'],
        /--until: no such day: '2026-02-30'/,
      ],
      [
        ['review', '71004', '--decision', 'keep', '--reviewer', 'x', '--until', 'soon'],
        /--until: not a date: 'soon'/,
      ],
      [
        ['review', '71004', '--decision', 'revoke', '--reviewer', 'x', '--until', '2020-01-01'],
        /--until: 2020-01-01 is not in the future/,
      ],
      [['review', '71004', '--decision', 'maybe', '--reviewer', 'x'], /argument 'maybe' is invalid/],
      [['review', '71004', '--reviewer', 'x'], /required option '--decision <decision>' not specified/],
      [['review', '71004', '--decision', 'keep', '--reviewer', '  '], /--reviewer: empty/],
      [['reviews', 'due', '--within', 'lots'], /--within: not a number of days/],
      [['reviews', 'history', 'nosuch'], /no identity 'nosuch'/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    cases.forEach(([args, message], i) => {
      expect(results[i]!.code, args.join(' ')).toBe(2);
      expect(results[i]!.stderr, args.join(' ')).toMatch(message);
    });
    // Disambiguated, it is recorded.
    const ok = await cli([
      'review',
      'Mail and Drive backup',
      '--kind',
      'service-account',
      '--decision',
      'keep',
      '--reviewer',
      'x',
    ]);
    expect(ok.code).toBe(0);
    const history = JSON.parse((await cli(['reviews', 'history', '71004', '--format', 'json'])).stdout);
    expect(history).toHaveLength(3);
  });

  it('--help teaches with examples', async () => {
    const review = await cli(['review', '--help']);
    expect(review.code).toBe(0);
    expect(review.stdout).toContain('$ grantscope review 71004 --decision keep --reviewer');
    const due = await runCli(['reviews', 'due', '--help']);
    expect(due.stdout).toContain('one list per');
    expect(due.stdout).toContain('$ grantscope reviews due --within 30');
  });
});
