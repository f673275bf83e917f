import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../connector/coverage.js';
import type { Finding } from '../../findings/finding.js';
import { setTableWidth } from '../table-width.js';
import { collectText, findingsChunks, streamOf } from './findings.js';
import { renderCoverage } from './scan.js';

/**
 * Golden tests: the exact text of the findings and coverage tables at 80 and 200 columns. A change to
 * the layout shows up here as a diff of the files in ./golden; review it, then update them with
 * `npx vitest run src/output/views/table-golden.test.ts -u`.
 */

const base: Pick<
  Finding,
  'platform' | 'tenant' | 'subject' | 'evidence' | 'frameworks' | 'firstSeen' | 'lastSeen' | 'scanId'
> = {
  platform: 'github',
  tenant: 'acme-corp',
  subject: null,
  evidence: {},
  frameworks: { owaspNhi: ['NHI5'], nistCsf: ['PR.AA-05'], other: [] },
  firstSeen: '2026-03-01T08:00:00Z',
  lastSeen: '2026-03-08T08:00:00Z',
  scanId: 2,
};

const FINDINGS: Finding[] = [
  {
    ...base,
    fingerprint: '2295373b34e1a0c95d8f7e6a1b2c3d4e',
    rule: 'over-privileged',
    severity: 'critical',
    identity: { kind: 'github-app-installation', id: '71002', name: 'Renovate' },
    title:
      '"Renovate" (GitHub App installation) holds critical-risk permissions: contents (write), workflows (write), checks (write), administration (write) and pull_requests (write)',
    remediation:
      'Narrow or remove the rest at https://github.com/organizations/acme-corp/settings/installations/71002.',
  },
  {
    ...base,
    fingerprint: 'a6a93ac1181f2e3d4c5b6a7988776655',
    rule: 'retired-still-present',
    severity: 'high',
    platform: 'microsoft365',
    tenant: 'f67a73f9-1da3-4124-974d-72e2bc80841b',
    identity: {
      kind: 'service-principal',
      id: 'f412961c-7595-4ef0-bfb0-6e5557468ede',
      name: 'CloudVault Backup for Microsoft 365 (EU data boundary edition)',
    },
    title:
      '"CloudVault Backup for Microsoft 365 (EU data boundary edition)" (service principal) of retired CloudVault (offboarded 2026-01-15, CHG-4411) is still present',
    remediation: 'Remove it in the microsoft365 admin settings for f67a73f9-1da3-4124-974d-72e2bc80841b.',
  },
  {
    ...base,
    fingerprint: '80d64ec3bf99887766554433221100ff',
    rule: 'stale',
    severity: 'medium',
    platform: 'google-workspace',
    tenant: 'C03acme7x',
    identity: { kind: 'oauth-client', id: '356192874036-a1m33t1ngn0t3s', name: '会議メモ AI' },
    title: '"会議メモ AI" (OAuth client) has not been used for 180 days',
    remediation: 'Remove it at https://admin.google.com/ac/owl/list?tab=apps.',
  },
  {
    ...base,
    fingerprint: 'bd04c096cd00112233445566778899aa',
    rule: 'credential-hygiene',
    severity: 'low',
    identity: { kind: 'deploy-key', id: 'acme-corp/docs#103', name: 'old-jenkins' },
    title: 'Deploy key "old-jenkins" never expires',
    remediation: 'Rotate it.',
  },
];

const COVERAGE: CoverageReport[] = [
  {
    connector: 'microsoft365',
    platform: 'microsoft365',
    tenant: 'f67a73f9-1da3-4124-974d-72e2bc80841b',
    status: 'incomplete',
    requests: 9,
    collectors: [
      {
        collector: 'service-principals',
        status: 'complete',
        reason: null,
        httpStatus: null,
        api: null,
        requests: 4,
        items: 20_417,
        startedAt: null,
        finishedAt: null,
        notes: [],
      },
      {
        collector: 'oauth2-permission-grants',
        status: 'failed',
        reason:
          'Insufficient privileges to complete the operation: DelegatedPermissionGrant.Read.All is missing',
        httpStatus: 403,
        api: 'GET /oauth2PermissionGrants',
        requests: 5,
        items: 0,
        startedAt: null,
        finishedAt: null,
        notes: ['full read: --full'],
      },
    ],
  },
];

afterEach(() => setTableWidth(null));

const widest = (text: string) => Math.max(...text.split('\n').map((l) => stringWidth(l)));

describe.each([80, 200])('tables at %i columns', (width) => {
  it('findings: fit the width, every word of every title is there, golden text', async () => {
    setTableWidth(width);
    const text = await collectText(findingsChunks(streamOf(FINDINGS), 'table'));
    expect(widest(text)).toBeLessThanOrEqual(width);
    const words = text.split(/\s+/);
    for (const f of FINDINGS) {
      for (const w of f.title.split(/\s+/)) expect(text.includes(w) || words.includes(w)).toBe(true);
      expect(text).toContain(f.fingerprint.slice(0, 10));
    }
    await expect(text).toMatchFileSnapshot(`./golden/findings-${width}.txt`);
  });

  it('coverage: fits the width, the reason wrapped not cut, golden text', async () => {
    setTableWidth(width);
    const text = renderCoverage(COVERAGE);
    expect(widest(text)).toBeLessThanOrEqual(width);
    expect(text).toContain('microsoft365:f67a73f9-1da3-4124-974d-72e2bc80841b:\n');
    // Wrapped, perhaps inside a long word, but every character is there.
    expect(text.replace(/\s+/g, '')).toContain('DelegatedPermissionGrant.Read.Allismissing');
    await expect(text).toMatchFileSnapshot(`./golden/coverage-${width}.txt`);
  });
});

describe('tables when not a terminal', () => {
  it('keep each row on one line, whole', async () => {
    setTableWidth(undefined);
    const text = await collectText(findingsChunks(streamOf(FINDINGS), 'table'));
    const lines = text.split('\n');
    for (const f of FINDINGS) expect(lines.some((l) => l.includes(f.title))).toBe(true);
  });
});
