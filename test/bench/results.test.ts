import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorRow, row, writeResults } from '../../bench/results.js';

describe('bench results', () => {
  it('marks a row met or missed by its target, and leaves rows without one unchecked', () => {
    expect(row('t', 'peak RSS', 511, { unit: 'MiB', target: { op: '<', value: 512 } }).status).toBe('met');
    expect(row('t', 'peak RSS', 512, { unit: 'MiB', target: { op: '<', value: 512 } }).status).toBe('missed');
    expect(row('t', 'ratio', 1.1, { target: { op: '<=', value: 1.1 } }).status).toBe('met');
    expect(row('t', 'naive', 9.9, { target: { op: '>=', value: 10 } }).status).toBe('missed');
    expect(row('t', 'status', 'complete').status).toBe('info');
    // A target on a value that is not a number cannot be met.
    expect(row('t', 'ratio', 'n/a', { target: { op: '<=', value: 1.1 } }).status).toBe('missed');
  });

  it('writes the machine, the sizes and every row with its status to results.md and results.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
    try {
      const rows = [
        row('scan github large (5,000 repos)', 'scan peak RSS', 600, {
          unit: 'MiB',
          target: { op: '<', value: 512 },
        }),
        errorRow(
          'limits github',
          'wall time / lower bound',
          new Error('no limits\nstack'),
          { op: '<=', value: 1.25 },
          '×',
        ),
      ];
      const machine = {
        date: '2026-12-05T00:00:00Z',
        cpu: 'CPU',
        cores: 2,
        ramGiB: 24,
        node: 'v20',
        commit: 'abc',
      };
      writeResults(join(dir, 'r.json'), join(dir, 'r.md'), {
        machine,
        scale: 1,
        sizes: { 'github large': '5,000 repos' },
        command: 'npm run bench',
        rows,
      });
      const md = readFileSync(join(dir, 'r.md'), 'utf8');
      expect(md).toContain('CPU, 2 cores, 24 GiB RAM');
      expect(md).toContain('github large 5,000 repos');
      expect(md).toContain('0 met, 1 missed, 1 not measured');
      expect(md).toContain(
        '| scan github large (5,000 repos) | scan peak RSS | 600 MiB | < 512 MiB | missed |',
      );
      expect(md).toContain('| limits github | wall time / lower bound | — | <= 1.25× | error | no limits |');
      const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
      expect(json.rows.map((r: { status: string }) => r.status)).toEqual(['missed', 'error']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
