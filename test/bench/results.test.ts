import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorRow, type Results, row, updateResults, writeResults } from '../../bench/results.js';

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

  it('GS_BENCH_UPDATE: a re-run replaces only the rows of its tasks, in their places, and says so', () => {
    const machine = (date: string, commit: string) => ({
      date,
      cpu: 'CPU',
      cores: 2,
      ramGiB: 24,
      node: 'v20',
      commit,
    });
    const earlier: Results = {
      machine: machine('2026-12-01T00:00:00Z', 'old'),
      scale: 0.1,
      sizes: { 'github small': '50 repos', 'microsoft365 large': '5,000 SPs' },
      command: 'npm run bench',
      rows: [
        row('scan github small (50 repos)', 'scan peak RSS', 100),
        row('limits microsoft365 large (5,000 SPs)', 'wall time / lower bound', 3.3, {
          target: { op: '<=', value: 1.25 },
        }),
        row('limits microsoft365 large (5,000 SPs)', 'scan wall time', 13),
        row('limits microsoft365x (not the task)', 'scan wall time', 1),
        row('store: first snapshot', 'write()', 2),
      ],
    };
    const run: Results = {
      machine: machine('2026-12-02T00:00:00Z', 'new'),
      scale: 0.1,
      sizes: { 'microsoft365 large': '5,000 SPs' },
      command: 'GS_BENCH_UPDATE=1 npm run bench -- limits microsoft365',
      rows: [
        row('limits microsoft365 large (5,000 SPs)', 'wall time / lower bound', 1.2, {
          target: { op: '<=', value: 1.25 },
        }),
      ],
    };
    const merged = updateResults(earlier, run, ['limits microsoft365']);
    expect(merged.rows.map((r) => [r.task, r.value])).toEqual([
      ['scan github small (50 repos)', 100],
      ['limits microsoft365 large (5,000 SPs)', 1.2],
      ['limits microsoft365x (not the task)', 1],
      ['store: first snapshot', 2],
    ]);
    expect(merged.machine.commit).toBe('old');
    expect(merged.updates).toEqual([
      { date: '2026-12-02T00:00:00Z', commit: 'new', command: run.command, tasks: ['limits microsoft365'] },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'bench-update-'));
    try {
      writeResults(join(dir, 'r.json'), join(dir, 'r.md'), merged);
      const md = readFileSync(join(dir, 'r.md'), 'utf8');
      expect(md).toContain(
        '- Updated: the rows of limits microsoft365 re-run on 2026-12-02T00:00:00Z at commit new',
      );
      expect(md).toContain('- Targets: 1 met, 0 missed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Another scale has other worlds: its rows cannot stand beside these.
    expect(() => updateResults(earlier, { ...run, scale: 1 }, ['limits microsoft365'])).toThrow(/scale 0.1/);
  });
});
