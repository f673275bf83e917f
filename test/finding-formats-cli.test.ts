import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './support/cli.js';
import { ocsfDetectionFindingValidator, sarifValidator } from './support/format-schemas.js';

interface FindingJson {
  fingerprint: string;
  rule: string;
  severity: string;
  excepted?: boolean;
  exception?: { approver: string; expires: string };
}

// biome-ignore lint/suspicious/noExplicitAny: SARIF and OCSF documents are read as plain JSON
type Json = any;

/**
 * The finding formats end to end: the demo (built CLI, real SDKs, the emulator's demo world, a
 * governance file with one exception), then `findings -o` in sarif, ocsf and jsonl, checked against
 * the official schemas and against the same findings as JSON.
 */
describe('findings --format sarif | ocsf | jsonl, end to end', () => {
  const dir = tempDir('gs-formats-cli-');
  const config = () => join(dir, 'grantscope.yaml');
  let findings: FindingJson[];
  const write = async (format: string, file: string) => {
    const r = await runCli(['findings', '-c', config(), '--format', format, '-o', join(dir, file)], {
      cwd: dir,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return readFileSync(join(dir, file), 'utf8');
  };

  beforeAll(async () => {
    const demo = await runCli(['demo', '--dir', dir, '--format', 'json']);
    expect(demo.code, demo.stderr).toBe(0);
    const r = await runCli(['findings', '-c', config(), '--format', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    findings = JSON.parse(r.stdout);
    expect(findings.length).toBeGreaterThan(5);
    expect(findings.filter((f) => f.excepted)).toHaveLength(1);
  }, 120_000);

  it('sarif: valid SARIF 2.1.0, one result per finding, fingerprints equal and stable across runs', async () => {
    const text = await write('sarif', 'findings.sarif');
    const doc = JSON.parse(text);
    const validate = sarifValidator();
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const run = doc.runs[0];
    expect(run.results).toHaveLength(findings.length);
    expect(run.results.map((r: Json) => r.partialFingerprints['grantscopeFingerprint/v1']).sort()).toEqual(
      findings.map((f) => f.fingerprint).sort(),
    );
    for (const r of run.results) {
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
      // Shown on the platform's section of grantscope.yaml, relative to where the command ran.
      const loc = r.locations[0].physicalLocation;
      expect(loc.artifactLocation.uri).toBe('grantscope.yaml');
      const line = readFileSync(config(), 'utf8').split('\n')[loc.region.startLine - 1];
      expect(line).toBe(`${r.properties.platform}:`);
    }
    const excepted = findings.find((f) => f.excepted)!;
    const suppressed = run.results.filter((r: Json) => r.suppressions);
    expect(suppressed.map((r: Json) => r.partialFingerprints['grantscopeFingerprint/v1'])).toEqual([
      excepted.fingerprint,
    ]);
    expect(suppressed[0].suppressions[0].justification).toContain(excepted.exception!.approver);
    expect(run.properties).toMatchObject({ scanStatus: 'complete' });
    // The same snapshot gives the same file, byte for byte: uploads stay deduplicated.
    expect(await write('sarif', 'again.sarif')).toBe(text);
  });

  it('ocsf: one valid Detection Finding per line, uid = fingerprint, the excepted one suppressed', async () => {
    const lines = (await write('ocsf', 'findings.ocsf.jsonl')).trimEnd().split('\n');
    const validate = ocsfDetectionFindingValidator();
    const events = lines.map((l) => JSON.parse(l));
    for (const e of events) expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
    expect(events.map((e: Json) => e.finding_info.uid).sort()).toEqual(
      findings.map((f) => f.fingerprint).sort(),
    );
    const suppressed = events.filter((e: Json) => e.status_id === 3);
    expect(suppressed.map((e: Json) => e.finding_info.uid)).toEqual([
      findings.find((f) => f.excepted)!.fingerprint,
    ]);
  });

  it('jsonl: one finding per line, the same objects as the JSON array, valid against finding.schema.json', async () => {
    const lines = (await write('jsonl', 'findings.jsonl')).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(findings);
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(join(ROOT, 'src', 'findings', 'finding.schema.json'), 'utf8')),
    );
    // The schema describes the JSON array; each line is one of its elements.
    for (const l of lines) expect(validate([JSON.parse(l)]), JSON.stringify(validate.errors)).toBe(true);
  });

  it('--fingerprint <short>: the finding a table names, in every format; several prefixes; an unknown one named', async () => {
    const [one, two] = findings.filter((f) => !f.excepted);
    const short = (f: FindingJson) => f.fingerprint.slice(0, 10);
    // The table shows the short form; it selects exactly that finding.
    const table = await runCli(['findings', '-c', config(), '--width', '0'], { cwd: dir });
    expect(table.stdout).toContain(short(one!));
    const run = (...args: string[]) => runCli(['findings', '-c', config(), ...args], { cwd: dir });
    const picked = await run('--fingerprint', short(one!).toUpperCase(), '--format', 'json');
    expect(picked.code).toBe(0);
    expect(picked.stderr).toBe('');
    expect(JSON.parse(picked.stdout).map((f: FindingJson) => f.fingerprint)).toEqual([one!.fingerprint]);
    for (const format of ['table', 'md', 'csv', 'jsonl', 'sarif', 'ocsf']) {
      const r = await run('--fingerprint', short(one!), '--format', format, '--width', '0');
      expect(r.code, format).toBe(0);
      const text = r.stdout;
      expect(
        text.includes(format === 'table' || format === 'md' ? short(one!) : one!.fingerprint),
        format,
      ).toBe(true);
      expect(text.includes(short(two!)), format).toBe(false);
    }
    // A comma list and a repeated option; a prefix no finding has is named on stderr, the rest still listed.
    const both = await run(
      '--fingerprint',
      `${short(one!)},${short(two!)}`,
      '--fingerprint',
      '0000abcd',
      '--format',
      'json',
    );
    expect(both.code).toBe(0);
    expect(
      JSON.parse(both.stdout)
        .map((f: FindingJson) => f.fingerprint)
        .sort(),
    ).toEqual([one!.fingerprint, two!.fingerprint].sort());
    expect(both.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^warn {2}--fingerprint 0000abcd: no finding of scan #\d+ has a fingerprint starting with it/,
      ),
    ]);
    // No match: an empty list and exit 0, as the other filters; not hex: a usage error.
    const none = await run('--fingerprint', '0000abcd', '--format', 'json');
    expect([none.code, JSON.parse(none.stdout)]).toEqual([0, []]);
    const bad = await run('--fingerprint', 'xyz1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--fingerprint 'xyz1': expected 4 to 32 hex digits");
  });
});
