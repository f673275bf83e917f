import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../findings/finding.js';
import { compareFindings } from '../../rules/evaluate.js';
import { sortExternally } from '../external-sort.js';
import { renderCsv, renderJson } from '../format.js';
import { collectText, compareForPeople, findingsChunks, streamOf, TABLE_MAX_ROWS } from './findings.js';
import { scanReportChunks } from './scan-report.js';

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

function finding(i: number): Finding {
  return {
    fingerprint: `fp-${String((i * 7919) % 1000).padStart(4, '0')}-${i}`,
    rule: i % 2 ? 'over-privileged' : 'stale',
    severity: SEVERITIES[i % 5]!,
    platform: i % 3 ? 'github' : 'microsoft365',
    tenant: 'acme',
    identity: { kind: 'github-app-installation', id: String(i), name: i % 4 ? `App ${i % 17}` : null },
    subject: i % 5 ? null : `key-${i}`,
    title: `Finding ${i} \u202e with a format character`,
    evidence: { grants: ['contents:write'], n: i, nested: { when: '2026-01-01T00:00:00Z' } },
    remediation: 'Reduce the permissions.\nSee the settings page.',
    frameworks: { owaspNhi: ['NHI5'], nistCsf: ['PR.AA-05'], other: [] },
    firstSeen: '2026-01-01T00:00:00Z',
    lastSeen: '2026-01-02T00:00:00Z',
    scanId: 2,
  };
}

const MANY = Array.from({ length: 523 }, (_, i) => finding(i));

// A private temporary folder: other processes' sorts must not be counted as ours.
let ownTmp = '';
const savedTmp = process.env.TMPDIR;
beforeEach(() => {
  ownTmp = mkdtempSync(join(tmpdir(), 'gs-sort-test-'));
  process.env.TMPDIR = ownTmp;
});
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  rmSync(ownTmp, { recursive: true, force: true });
});

describe('streamed findings outputs', () => {
  it('sorts beyond memory through temporary runs, exactly as an in-memory sort, and cleans up', async () => {
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith('grantscope-sort-')).length;
    const sorted: Finding[] = [];
    for await (const f of sortExternally(streamOf(MANY), compareForPeople, 50)) sorted.push(f);
    expect(sorted).toEqual([...MANY].sort(compareForPeople));
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('grantscope-sort-')).length).toBe(before);
  });

  it('stops early without leaving its runs behind', async () => {
    let folder = '';
    for await (const f of sortExternally(streamOf(MANY), compareFindings, 20)) {
      folder = readdirSync(tmpdir()).find((d) => d.startsWith('grantscope-sort-')) ?? '';
      expect(f).toBeDefined();
      break;
    }
    expect(folder).not.toBe('');
    expect(existsSync(join(tmpdir(), folder))).toBe(false);
  });

  it('json is the same document JSON.stringify gives the whole array, written element by element', async () => {
    const text = await collectText(findingsChunks(streamOf(MANY), 'json'));
    expect(text).toBe(renderJson([...MANY].sort(compareFindings)));
    expect(text).toContain('\\u202e');
    expect(await collectText(findingsChunks(streamOf([]), 'json'))).toBe(renderJson([]));
  });

  it('jsonl writes one finding per line, most severe first', async () => {
    const text = await collectText(findingsChunks(streamOf(MANY.slice(0, 30)), 'jsonl'));
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(30);
    expect(lines.map((l) => JSON.parse(l))).toEqual(MANY.slice(0, 30).sort(compareFindings));
    expect(lines[0]).not.toContain('\u202e');
    expect(await collectText(findingsChunks(streamOf([]), 'jsonl'))).toBe('');
  });

  it('csv streams the same rows as the whole-table renderer', async () => {
    const text = await collectText(findingsChunks(streamOf(MANY), 'csv'));
    const header = text.slice(0, text.indexOf('\n'));
    expect(header.startsWith('fingerprint,severity,rule')).toBe(true);
    expect(text.split('\n').filter((l) => l.startsWith('fp-'))).toHaveLength(MANY.length);
    const sorted = [...MANY].sort(compareForPeople);
    const firstRow = renderCsv(sorted.slice(0, 1), [
      { header: 'fingerprint', value: (f: Finding) => f.fingerprint },
    ]);
    expect(text.split('\n')[1]!.startsWith(firstRow.split('\n')[1]!)).toBe(true);
  });

  it('a table of many findings shows the most severe ones, the count of the rest and how to get them', async () => {
    const text = await collectText(findingsChunks(streamOf(MANY), 'table'));
    const rows = text.split('\n').filter((l) => /^(critical|high|medium|low|info) /.test(l));
    expect(rows).toHaveLength(TABLE_MAX_ROWS);
    expect(rows.every((r) => r.startsWith('critical'))).toBe(false);
    expect(rows[0]!.startsWith('critical')).toBe(true);
    expect(text).toContain(`${MANY.length - TABLE_MAX_ROWS} more not shown`);
    expect(text).toContain('--format csv');
    expect(text).toMatch(/\n523 findings: 104 critical, 104 high, 105 medium, 105 low, 105 info\n$/);
  });

  it('the scan report json keeps its document shape', async () => {
    const scan = {
      id: 2,
      startedAt: '2026-01-02T00:00:00Z',
      finishedAt: '2026-01-02T00:01:00Z',
      status: 'complete' as const,
      label: null,
      toolVersion: 't',
      sources: [],
      counts: { identities: 1, grants: 2, credentials: 0 },
    };
    for (const findings of [MANY.slice(0, 40), []]) {
      const analysis = {
        previous: null,
        diff: null,
        diffSummary: null,
        findings: {
          counts: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
          recorded: null,
          read: () => streamOf(findings),
        },
      };
      const text = await collectText(scanReportChunks({ scan, coverage: [], analysis }, 'json'));
      expect(text).toBe(
        renderJson({
          scan,
          coverage: [],
          previousScan: null,
          diff: null,
          findings: [...findings].sort(compareFindings),
        }),
      );
    }
  });
});
