import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { ROOT, runCli, tempDir } from './support/cli.js';

interface FindingJson {
  fingerprint: string;
  platform: string;
  tenant: string;
  scanId: number;
}

/**
 * Reading a round: each tenant scanned in a scan of its own (as queue workers do, here `scan --only`
 * per platform on the emulator's demo world, real SDKs over HTTP). The read commands read the newest
 * scan of every tenant by default and name the scans; `--scan N` reads that one scan as before.
 */
describe('read commands over one scan per tenant', () => {
  let emu: RunningEmulator;
  let dir: string;
  let config: string;
  const scanIds: Record<string, number> = {};
  const cli = (args: string[]) => runCli([...args, '-c', config], { cwd: dir });

  beforeAll(async () => {
    emu = await startEmulator({ world: join(ROOT, 'fixtures', 'worlds', 'demo.yaml') });
    dir = tempDir('gs-rounds-');
    config = writeClientConfig(emu, dir).configFile;
    for (const platform of ['github', 'microsoft365']) {
      const r = await cli(['scan', '--only', platform, '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      scanIds[platform] = JSON.parse(r.stdout).scan.id;
    }
  }, 120_000);
  afterAll(() => emu.stop());

  it('findings: both tenants by default, each finding naming its scan; --scan N reads one', async () => {
    const r = await cli(['findings', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const all: FindingJson[] = JSON.parse(r.stdout);
    const byPlatform = (fs: FindingJson[]) =>
      Object.fromEntries(['github', 'microsoft365'].map((p) => [p, fs.filter((f) => f.platform === p)]));
    const split = byPlatform(all);
    expect(split.github!.length).toBeGreaterThan(0);
    expect(split.microsoft365!.length).toBeGreaterThan(0);
    expect(new Set(split.github!.map((f) => f.scanId))).toEqual(new Set([scanIds.github]));
    expect(new Set(split.microsoft365!.map((f) => f.scanId))).toEqual(new Set([scanIds.microsoft365]));

    const one = await cli(['findings', '--format', 'json', '--scan', String(scanIds.github)]);
    expect(one.code, one.stderr).toBe(0);
    const github: FindingJson[] = JSON.parse(one.stdout);
    expect(github.map((f) => f.fingerprint).sort()).toEqual(split.github!.map((f) => f.fingerprint).sort());
    expect(github.every((f) => f.platform === 'github')).toBe(true);

    const table = await cli(['findings']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(
      new RegExp(
        `^Scans read: newest scan of each of 2 sources, from 2 scans: github:\\S+ #${scanIds.github} \\(\\d{4}-\\d\\d-\\d\\d\\), microsoft365:\\S+ #${scanIds.microsoft365} `,
      ),
    );
  });

  it('inventory: both tenants by default, json entries carry their scan; --scan N reads one', async () => {
    const r = await cli(['inventory', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const entries: Array<{ platform: string; scanId: number }> = JSON.parse(r.stdout);
    expect(new Set(entries.map((e) => `${e.platform}#${e.scanId}`))).toEqual(
      new Set([`github#${scanIds.github}`, `microsoft365#${scanIds.microsoft365}`]),
    );
    const one = await cli(['inventory', '--format', 'json', '--scan', String(scanIds.microsoft365)]);
    const m365: Array<{ platform: string; scanId?: number }> = JSON.parse(one.stdout);
    expect(m365.length).toBe(entries.filter((e) => e.platform === 'microsoft365').length);
    // One scan read: the entries are as they always were, without a scanId.
    expect(m365.every((e) => e.platform === 'microsoft365' && e.scanId === undefined)).toBe(true);
    const table = await cli(['inventory', '--platform', 'github']);
    expect(table.stdout.split('\n')[0]).toMatch(/^Scans read: newest scan of each of 2 sources/);
  });

  it('report and evidence: every tenant, each from its own scan, named in the report data and the manifest', async () => {
    const report = await cli(['report', '-o', join(dir, 'round.html')]);
    expect(report.code, report.stderr).toBe(0);
    const html = readFileSync(join(dir, 'round.html'), 'utf8');
    const data = JSON.parse(
      html.match(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/)![1]!,
    ) as {
      scan: { id: number };
      scans: { sources: Array<{ source: string; scanId: number }> };
      identities: Array<{ platform: string; history: Array<{ scanId: number; present: boolean }> }>;
    };
    expect(data.scan.id).toBe(scanIds.microsoft365);
    expect(data.scans.sources.map((x) => `${x.source.split(':')[0]}#${x.scanId}`)).toEqual([
      `github#${scanIds.github}`,
      `microsoft365#${scanIds.microsoft365}`,
    ]);
    expect(new Set(data.identities.map((i) => i.platform))).toEqual(new Set(['github', 'microsoft365']));
    // Each identity's history is its own tenant's scans, not the other tenant's (where it was never looked for).
    for (const i of data.identities) {
      expect(i.history.map((h) => [h.scanId, h.present])).toEqual([
        [scanIds[i.platform as 'github' | 'microsoft365'], true],
      ]);
    }

    const evidence = await cli(['evidence', '--out', join(dir, 'pack')]);
    expect(evidence.code, evidence.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'pack', 'manifest.json'), 'utf8'));
    expect(manifest.snapshots.scan.id).toBe(scanIds.microsoft365);
    expect(manifest.snapshots.sources.map((x: { scanId: number }) => x.scanId)).toEqual([
      scanIds.github,
      scanIds.microsoft365,
    ]);
    const inventory = readFileSync(join(dir, 'pack', 'inventory.csv'), 'utf8');
    expect(inventory).toMatch(/\ngithub,/);
    expect(inventory).toMatch(/\nmicrosoft365,/);
  });

  it('review: finds an identity of a tenant the latest scan did not cover, recorded against its own scan', async () => {
    const inventory = await cli(['inventory', '--format', 'json', '--platform', 'microsoft365']);
    const sp = (JSON.parse(inventory.stdout) as Array<{ nativeId: string; kind: string }>).find(
      (e) => e.kind === 'service-principal',
    )!;
    // A github scan is the latest now: microsoft365 is read from its own, older scan.
    const again = await cli(['scan', '--only', 'github', '--format', 'json']);
    expect(again.code, again.stderr).toBe(0);
    const github2 = JSON.parse(again.stdout).scan.id as number;
    const review = await cli([
      'review',
      sp.nativeId,
      '--kind',
      'service-principal',
      '--decision',
      'keep',
      '--reviewer',
      'alice',
      '--format',
      'json',
    ]);
    expect(review.code, review.stderr).toBe(0);
    expect(JSON.parse(review.stdout)).toMatchObject({
      identity: { id: sp.nativeId },
      scanId: scanIds.microsoft365,
    });

    // diff with no --from/--to: each tenant's newest scan against its own previous one (github: its
    // first scan → this one; microsoft365 has no earlier scan), not the latest scan against the one
    // before it (another tenant's, with nothing in common).
    const diff = await cli(['diff', '--format', 'json']);
    expect(diff.code, diff.stderr).toBe(0);
    const d = JSON.parse(diff.stdout);
    expect(d).toMatchObject({ from: scanIds.github, to: github2 });
    expect(d.sources.map((x: { from: number; to: number }) => [x.from, x.to])).toEqual([
      [scanIds.github, github2],
    ]);
    const between = await cli([
      'diff',
      '--format',
      'json',
      '--from',
      String(scanIds.microsoft365),
      '--to',
      String(github2),
    ]);
    expect(between.code, between.stderr).toBe(0);
    expect(JSON.parse(between.stdout).sources).toBeUndefined();
  });

  it('scan --tenant scans the named tenant only, and an unknown one is a usage error naming the configured ones', async () => {
    const unknown = await cli(['scan', '--tenant', 'github:no-such-org']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /--tenant: not configured in .*: github:no-such-org; configured: github:acme-corp, /,
    );

    const r = await cli(['scan', '--tenant', 'github:acme-corp', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.scan.sources.map((s: { source: string }) => s.source)).toEqual(['github:acme-corp']);
  });
});
