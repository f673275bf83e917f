import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './support/cli.js';

/** `grantscope report` and `grantscope evidence` on the demo's two scans, through the built CLI. */
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : [join(prefix, e.name).replaceAll('\\', '/')],
    )
    .sort();
}

/** The report's embedded data. */
const embedded = (html: string) =>
  JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!);

describe('grantscope report and evidence', () => {
  const dir = tempDir('gs-evidence-');
  const config = join(dir, 'grantscope.yaml');

  beforeAll(async () => {
    const r = await runCli(['demo', '--dir', dir, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('writes the same report for the same snapshot, and --framework keeps one framework', async () => {
    const a = join(dir, 'a.html');
    const b = join(dir, 'b.html');
    expect((await runCli(['report', '-c', config, '-o', a])).code).toBe(0);
    expect((await runCli(['report', '-c', config, '-o', b])).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const data = embedded(readFileSync(a, 'utf8'));
    expect(data.frameworks.map((f: { id: string }) => f.id)).toEqual([
      'owasp-nhi',
      'nist-csf',
      'cis-v8',
      'soc2',
    ]);
    expect(data.scan.id).toBe(2);
    // The CSP allows nothing external; scripts and styles are pinned by hash.
    expect(readFileSync(a, 'utf8')).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+';/,
    );
    const soc2 = join(dir, 'soc2.html');
    expect((await runCli(['report', '-c', config, '--framework', 'soc2', '-o', soc2])).code).toBe(0);
    const only = embedded(readFileSync(soc2, 'utf8'));
    expect(only.frameworks.map((f: { id: string }) => f.id)).toEqual(['soc2']);
    expect(only.frameworks[0].controls.map((c: { id: string }) => c.id)).toEqual([
      'CC6.1',
      'CC6.2',
      'CC6.3',
      'CC7.2',
      'CC8.1',
      'CC9.2',
    ]);
  });

  it('writes a pack whose manifest checksums every file, and the same pack again apart from generatedAt', async () => {
    const one = join(dir, 'pack-1');
    const two = join(dir, 'pack-2');
    const r = await runCli(['evidence', '-c', config, '--out', one, '--since', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Evidence pack: ${one}`);
    expect((await runCli(['evidence', '-c', config, '--out', two, '--since', '1'])).code).toBe(0);
    const files = filesUnder(one);
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'manifest.json',
        'report.html',
        'findings.json',
        'findings.sarif',
        'inventory.csv',
        'diff.json',
        'diff.md',
        'coverage.csv',
        'coverage.md',
        'governance/governance.yaml',
        'governance/SHA256SUMS',
      ]),
    );
    expect(filesUnder(two)).toEqual(files);
    for (const f of files.filter((f) => f !== 'manifest.json'))
      expect(readFileSync(join(one, f)).equals(readFileSync(join(two, f))), f).toBe(true);
    const manifest = JSON.parse(readFileSync(join(one, 'manifest.json'), 'utf8'));
    const again = JSON.parse(readFileSync(join(two, 'manifest.json'), 'utf8'));
    expect({ ...manifest, generatedAt: null }).toEqual({ ...again, generatedAt: null });
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(
      files.filter((f) => f !== 'manifest.json'),
    );
    for (const f of manifest.files) expect(sha256(readFileSync(join(one, f.path))), f.path).toBe(f.sha256);
    expect(manifest.snapshots.scan.id).toBe(2);
    expect(manifest.snapshots.since.id).toBe(1);
    expect(manifest.governance.hash).toMatch(/^[0-9a-f]{64}$/);
    // The pack's findings are `grantscope findings` with the same config.
    const findings = await runCli(['findings', '-c', config, '--format', 'json']);
    expect(readFileSync(join(one, 'findings.json'), 'utf8')).toBe(findings.stdout);
    expect(readFileSync(join(one, 'README.md'), 'utf8')).toContain('snapshot #2');
    expect(readFileSync(join(one, 'diff.md'), 'utf8')).toMatch(/^# Changes from scan #1 /);
  });

  it('writes a byte-identical zip when SOURCE_DATE_EPOCH fixes the timestamp', async () => {
    const env = { SOURCE_DATE_EPOCH: '1767225600' };
    const a = join(dir, 'a.zip');
    const b = join(dir, 'b.zip');
    expect((await runCli(['evidence', '-c', config, '--zip', a], { env })).code).toBe(0);
    expect((await runCli(['evidence', '-c', config, '--zip', b], { env })).code).toBe(0);
    const zip = readFileSync(a);
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(zip.equals(readFileSync(b))).toBe(true);
    const root = `grantscope-evidence-`;
    expect(zip.includes(Buffer.from(`/manifest.json`))).toBe(true);
    expect(zip.includes(Buffer.from(root))).toBe(true);
  });

  it('refuses bad input with a usage error (exit 2) that names the option', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['evidence', '-c', config, '--out', join(dir, 'x'), '--zip', join(dir, 'x.zip')], /--out and --zip/],
      [['evidence', '-c', config, '--history', '0'], /--history/],
      [['evidence', '-c', config, '--since', '2'], /--since \(2\) must be older/],
      [['evidence', '-c', config, '--out', join(dir, 'pack-1')], /--out .*not empty/],
      [['evidence', '-c', config, '--out', join(dir, 'y')], /--out .*is a file/],
      [['report', '-c', config, '--framework', 'iso27001'], /--framework/],
      [['report', '-c', config, '-o', join(dir, 'grantscope.db')], /database/],
    ];
    writeFileSync(join(dir, 'y'), 'a file, not a folder');
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });
});
