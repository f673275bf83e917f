import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { FINDINGS_SCHEMA_PATH, findingsJsonSchema, findingsJsonSchemaText } from './json-schema.js';

const file = new URL(`../../${FINDINGS_SCHEMA_PATH}`, import.meta.url).pathname;
const REGENERATE = 'GRANTSCOPE_WRITE_SCHEMA=1 npx vitest run src/findings/json-schema.test.ts';

describe('findings JSON Schema', () => {
  it(`the committed ${FINDINGS_SCHEMA_PATH} is up to date`, () => {
    if (process.env.GRANTSCOPE_WRITE_SCHEMA === '1') {
      writeFileSync(file, findingsJsonSchemaText());
      // Keep the committed file in the repository's formatting (biome collapses short arrays).
      execFileSync(new URL('../../node_modules/.bin/biome', import.meta.url).pathname, [
        'format',
        '--write',
        file,
      ]);
    }
    let committed: unknown = null;
    try {
      committed = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // Missing or unreadable: reported by the assertion below.
    }
    expect(
      committed,
      `${FINDINGS_SCHEMA_PATH} is out of date with src/findings/finding.ts; regenerate: ${REGENERATE}`,
    ).toEqual(findingsJsonSchema());
  });

  it('accepts a finding and rejects one missing a field or with an unknown severity', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(findingsJsonSchema());
    const finding = {
      fingerprint: '0123456789abcdef0123456789abcdef',
      rule: 'stale',
      severity: 'medium',
      platform: 'github',
      tenant: 'acme',
      identity: { kind: 'github-app-installation', id: '1001', name: 'Acme CI' },
      subject: null,
      title: 'Acme CI has not been used for 120 days',
      evidence: { lastUsedAt: '2026-07-01T00:00:00Z', thresholdDays: 90, nested: { list: [1, 'two', null] } },
      remediation: 'Revoke it.',
      frameworks: { owaspNhi: ['NHI1'], nistCsf: ['PR.AA-01'], other: [] },
      firstSeen: '2026-11-01T00:00:00Z',
      lastSeen: '2026-11-26T00:00:00Z',
      scanId: 7,
    };
    expect(validate([finding]), JSON.stringify(validate.errors)).toBe(true);
    const { title: _title, ...untitled } = finding;
    expect(validate([untitled])).toBe(false);
    expect(validate([{ ...finding, severity: 'urgent' }])).toBe(false);
    expect(validate([{ ...finding, firstSeen: 'yesterday' }])).toBe(false);
  });
});
