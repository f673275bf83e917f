import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ocsfDetectionFindingValidator, sarifValidator } from '../../../test/support/format-schemas.js';
import type { Finding } from '../../findings/finding.js';
import { RULES } from '../../rules/registry.js';
import { configAnchor } from '../sarif-anchor.js';
import { collectText, findingsChunks, streamOf } from './findings.js';
import { OCSF_VERSION, ocsfDetectionFinding } from './ocsf.js';
import { FINGERPRINT_KEY, MAX_TAGS } from './sarif.js';
import { scanReportChunks } from './scan-report.js';

/** Control characters (but tab and newline) and the right-to-left override, as they occur unescaped. */
function rawControlCharacters(text: string): number[] {
  return [...text]
    .map((c) => c.codePointAt(0)!)
    .filter((n) => (n < 0x20 && n !== 0x09 && n !== 0x0a) || n === 0x202e);
}

const HOSTILE = 'Evil <script>alert(1)</script> [click](https://evil.example) \\ \u0007 \u202e @here';

function finding(over: Partial<Finding> & Pick<Finding, 'fingerprint'>): Finding {
  return {
    rule: 'over-privileged',
    severity: 'high',
    platform: 'github',
    tenant: 'acme',
    identity: { kind: 'github-app-installation', id: '71001', name: 'Renovate' },
    subject: null,
    title: 'Renovate can write to workflows',
    evidence: { grants: ['workflows:write'] },
    remediation:
      'Reduce the permissions at https://github.com/organizations/acme/settings/installations/71001.',
    frameworks: { owaspNhi: ['NHI5'], nistCsf: ['PR.AA-05'], other: ['CIS GitHub 1.2'] },
    firstSeen: '2026-01-01T00:00:00.000Z',
    lastSeen: '2026-01-02T00:00:00.000Z',
    scanId: 2,
    ...over,
  };
}

const FINDINGS: Finding[] = [
  finding({ fingerprint: 'a'.repeat(32) }),
  finding({
    fingerprint: 'b'.repeat(32),
    rule: 'stale',
    severity: 'critical',
    platform: 'microsoft365',
    tenant: '11111111-2222-3333-4444-555555555555',
    identity: { kind: 'service-principal', id: 'sp-1', name: HOSTILE },
    title: `${HOSTILE} was not used for 200 days`,
    evidence: { lastUsed: null, manageUrl: 'https://entra.microsoft.com/#view/sp-1' },
    firstSeen: '2026-01-02T00:00:00.000Z',
  }),
  finding({ fingerprint: 'c'.repeat(32), severity: 'medium', subject: 'permission:contents:write' }),
  finding({ fingerprint: 'd'.repeat(32), rule: 'ownerless', severity: 'low' }),
  finding({
    fingerprint: 'e'.repeat(32),
    rule: 'stale',
    severity: 'info',
    excepted: true,
    exception: {
      status: 'active',
      reason: 'Quarterly export job',
      approver: 'Erin Okafor',
      granted: '2026-01-01',
      expires: '2026-06-30',
      source: { file: 'governance.yaml', line: 42 },
    },
  }),
];

const dir = mkdtempSync(join(tmpdir(), 'gs-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, 'grantscope.yaml');
writeFileSync(config, 'database: grantscope.db\n\ngithub:\n  org: acme\nmicrosoft365:\n  tenant: x\n');

// biome-ignore lint/suspicious/noExplicitAny: SARIF documents are read as plain JSON
type Json = any;

async function sarif(findings: readonly Finding[]): Promise<Json> {
  const text = await collectText(
    findingsChunks(streamOf(findings), 'sarif', false, {
      sarifAnchor: configAnchor(config, dir),
      runProperties: { scanId: 2, scanStatus: 'complete' },
    }),
  );
  return JSON.parse(text);
}

describe('SARIF 2.1.0', () => {
  it('is valid against the OASIS schema, with one result per finding, excepted ones suppressed', async () => {
    const doc = await sarif(FINDINGS);
    const validate = sarifValidator();
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const results = doc.runs[0].results;
    expect(results).toHaveLength(FINDINGS.length);
    const excepted = results.find((r: Json) => r.partialFingerprints[FINGERPRINT_KEY] === 'e'.repeat(32));
    expect(excepted.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: expect.stringMatching(/Erin Okafor until 2026-06-30: Quarterly export job/),
      },
    ]);
    expect(results.filter((r: Json) => r.suppressions)).toHaveLength(1);
  });

  it('has what GitHub code scanning requires: rules with help and security-severity, a physical location', async () => {
    const doc = await sarif(FINDINGS);
    const run = doc.runs[0];
    expect(doc.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(run.columnKind).toBe('utf16CodeUnits');
    expect(run.tool.driver).toMatchObject({ name: 'grantscope', informationUri: expect.any(String) });
    for (const rule of run.tool.driver.rules) {
      expect(rule.shortDescription.text).toBe(RULES.find((r) => r.id === rule.id)!.description);
      expect(rule.fullDescription.text.length).toBeGreaterThan(0);
      expect(rule.help.text.length).toBeGreaterThan(0);
      expect(rule.help.markdown.length).toBeGreaterThan(0);
      expect(rule.properties.tags).toContain('security');
    }
    // The rule's security-severity is its worst finding's (GitHub ranks alerts by the rule's).
    const byId = Object.fromEntries(run.tool.driver.rules.map((r: Json) => [r.id, r]));
    expect(byId.stale.properties['security-severity']).toBe('9.5');
    expect(byId['over-privileged'].properties['security-severity']).toBe('8.0');
    expect(byId.ownerless.properties['security-severity']).toBe('2.0');
    expect(byId['over-privileged'].properties.tags).toEqual(expect.arrayContaining(['OWASP-NHI/NHI5']));
    for (const r of run.results) {
      const loc = r.locations[0].physicalLocation;
      expect(loc.artifactLocation).toEqual({ uri: 'grantscope.yaml', uriBaseId: '%SRCROOT%' });
      expect(loc.region).toMatchObject({ startLine: expect.any(Number), startColumn: 1 });
    }
    // Each result sits on its platform's section of the config.
    const line = (fp: string) =>
      run.results.find((r: Json) => r.partialFingerprints[FINGERPRINT_KEY] === fp).locations[0]
        .physicalLocation.region;
    expect(line('a'.repeat(32))).toMatchObject({ startLine: 3, endLine: 3, endColumn: 8 });
    expect(line('b'.repeat(32))).toMatchObject({ startLine: 5, endColumn: 14 });
  });

  it('every ruleIndex points at its rule; levels follow severity', async () => {
    const doc = await sarif(FINDINGS);
    const { results, tool } = doc.runs[0];
    for (const r of results) expect(tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
    const level = Object.fromEntries(
      results.map((r: Json) => [r.properties.severity, r.level] as [string, string]),
    );
    expect(level).toEqual({
      critical: 'error',
      high: 'error',
      medium: 'warning',
      low: 'note',
      info: 'note',
    });
  });

  it('partialFingerprints are the findings fingerprints, stable whatever the input order', async () => {
    const once = await sarif(FINDINGS);
    const again = await sarif([...FINDINGS].reverse());
    expect(JSON.stringify(again)).toBe(JSON.stringify(once));
    const fps = once.runs[0].results.map((r: Json) => r.partialFingerprints);
    expect(fps.map((p: Json) => p[FINGERPRINT_KEY]).sort()).toEqual(
      FINDINGS.map((f) => f.fingerprint).sort(),
    );
    for (const p of fps) expect(p.primaryLocationLineHash).toBe(p[FINGERPRINT_KEY]);
  });

  it('the identity is the logical location, with its manage URL when the finding has one', async () => {
    const doc = await sarif(FINDINGS);
    const r = doc.runs[0].results.find(
      (x: Json) => x.partialFingerprints[FINGERPRINT_KEY] === 'b'.repeat(32),
    );
    expect(r.locations[0].logicalLocations).toEqual([
      {
        name: HOSTILE,
        fullyQualifiedName: 'microsoft365/11111111-2222-3333-4444-555555555555/service-principal/sp-1',
        kind: 'resource',
        properties: { manageUrl: 'https://entra.microsoft.com/#view/sp-1' },
      },
    ]);
  });

  it('third-party names stay text: JSON-escaped, no embedded links, no raw control or format characters', async () => {
    const text = await collectText(
      findingsChunks(streamOf(FINDINGS), 'sarif', false, { sarifAnchor: configAnchor(config, dir) }),
    );
    expect(rawControlCharacters(text)).toEqual([]);
    expect(text).toContain('\\u0007');
    expect(text).toContain('\\u202e');
    const r = JSON.parse(text).runs[0].results.find(
      (x: Json) => x.partialFingerprints[FINGERPRINT_KEY] === 'b'.repeat(32),
    );
    // SARIF §3.11.6: `[text](target)` in a message is a link; escaped brackets are literal.
    expect(r.message.text).toContain('\\[click\\](https://evil.example) \\\\');
    expect(r.message.text).not.toMatch(/(?<!\\)\[click/);
  });

  it('keeps within GitHub limits: at most 20 tags, no evidence in results', async () => {
    const many = finding({
      fingerprint: 'f'.repeat(32),
      frameworks: { owaspNhi: ['NHI1'], nistCsf: [], other: Array.from({ length: 30 }, (_, i) => `X ${i}`) },
    });
    const doc = await sarif([many]);
    const result = doc.runs[0].results[0];
    expect(result.properties.tags).toHaveLength(MAX_TAGS);
    expect(result.properties.tags.slice(0, 2)).toEqual(['security', 'OWASP-NHI/NHI1']);
    expect(result.properties.evidence).toBeUndefined();
    for (const rule of doc.runs[0].tool.driver.rules)
      expect(rule.properties.tags.length).toBeLessThanOrEqual(MAX_TAGS);
  });

  it('an empty run is still a valid document', async () => {
    const doc = await sarif([]);
    expect(sarifValidator()(doc)).toBe(true);
    expect(doc.runs[0].results).toEqual([]);
    expect(doc.runs[0].tool.driver.rules).toEqual([]);
  });

  it('scan --format sarif writes the findings with the scan id and status', async () => {
    const text = await collectText(
      scanReportChunks(
        {
          scan: { id: 7, status: 'incomplete' } as never,
          coverage: [],
          analysis: { findings: { read: () => streamOf(FINDINGS) } } as never,
        },
        'sarif',
        false,
        { sarifAnchor: configAnchor(config, dir) },
      ),
    );
    const doc = JSON.parse(text);
    expect(sarifValidator()(doc)).toBe(true);
    expect(doc.runs[0].properties).toEqual({ scanId: 7, scanStatus: 'incomplete' });
    expect(doc.runs[0].results).toHaveLength(FINDINGS.length);
  });
});

describe('OCSF Detection Finding', () => {
  const validate = ocsfDetectionFindingValidator();

  it('one event per line, each valid against the OCSF 1.8.0 detection_finding schema', async () => {
    const text = await collectText(findingsChunks(streamOf(FINDINGS), 'ocsf'));
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(FINDINGS.length);
    for (const line of lines) {
      const event = JSON.parse(line);
      expect(validate(event), JSON.stringify(validate.errors)).toBe(true);
      expect(event).toMatchObject({ class_uid: 2004, category_uid: 2, metadata: { version: OCSF_VERSION } });
    }
    expect(rawControlCharacters(text)).toEqual([]);
  });

  it('maps lifecycle and severity: new, update, suppressed (excepted), resolved', () => {
    const [first, seenBefore, , , excepted] = FINDINGS;
    const created = ocsfDetectionFinding({ ...first!, firstSeen: first!.lastSeen }, { toolVersion: '1.0.0' });
    expect(created).toMatchObject({ activity_id: 1, type_uid: 200401, status_id: 1, severity_id: 4 });
    expect(
      ocsfDetectionFinding(
        { ...seenBefore!, firstSeen: '2025-12-01T00:00:00.000Z' },
        { toolVersion: '1.0.0' },
      ),
    ).toMatchObject({
      activity_id: 2,
      type_uid: 200402,
      severity_id: 5,
      finding_info: { uid: 'b'.repeat(32), types: ['stale'] },
    });
    const suppressed = ocsfDetectionFinding(excepted!, { toolVersion: '1.0.0' });
    expect(suppressed).toMatchObject({ status_id: 3, status: 'Suppressed', severity_id: 1, is_alert: false });
    expect(suppressed.status_detail).toMatch(/Erin Okafor until 2026-06-30/);
    const resolved = ocsfDetectionFinding(first!, {
      toolVersion: '1.0.0',
      resolvedAt: '2026-02-01T00:00:00Z',
    });
    expect(resolved).toMatchObject({
      activity_id: 3,
      type_uid: 200403,
      status_id: 4,
      time: Date.parse('2026-02-01T00:00:00Z'),
    });
    for (const e of [created, suppressed, resolved])
      expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
  });

  it('the generated schema is strict enough to catch a wrong event', () => {
    const good = ocsfDetectionFinding(FINDINGS[0]!, { toolVersion: '1.0.0' });
    expect(validate(good)).toBe(true);
    expect(validate({ ...good, class_uid: 2001 })).toBe(false);
    expect(validate({ ...good, status_id: 42 })).toBe(false);
    expect(validate({ ...good, finding_info: { title: 'no uid' } })).toBe(false);
    expect(validate({ ...good, time: '2026-01-01' })).toBe(false);
    expect(validate({ ...good, findings_info: {} })).toBe(false);
    const { metadata: _m, ...noMetadata } = good;
    expect(validate(noMetadata)).toBe(false);
  });
});
