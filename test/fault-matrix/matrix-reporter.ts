import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Reporter, TestModule } from 'vitest/node';
import { FAULTS, PLATFORMS } from './cells.js';
import type { CellRecord } from './fault-matrix-suite.js';

/** Where the last run's table is written (ignored by git), for pasting into a closing note. */
export const LAST_RUN = join(dirname(fileURLToPath(import.meta.url)), 'last-run.md');

interface Cell {
  state: string;
  summary: string;
  error: string | null;
}

/** The assertion's own words, without vitest's expected/received detail. */
function shortError(message: string): string {
  const first = message.split('\n')[0]!.split(': expected ')[0]!.split('. If this is')[0]!;
  return first.length > 120 ? `${first.slice(0, 119)}…` : first;
}

/** The fault matrix as a Markdown table: faults × platforms, pass/FAIL with what the scan did. */
export function matrixTable(cells: Map<string, Cell>): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
  const lines = [`| Fault | ${PLATFORMS.join(' | ')} |`, `|---|${PLATFORMS.map(() => '---').join('|')}|`];
  for (const f of FAULTS) {
    const row = PLATFORMS.map((p) => {
      const c = cells.get(`${p} ${f.key}`);
      if (!c) return 'not run';
      if (c.state === 'passed') return `pass (${esc(c.summary)})`;
      const why = c.error ? `: ${esc(shortError(c.error))}` : '';
      return `**FAIL** (${esc(c.summary)}${why})`;
    });
    lines.push(`| ${f.label} | ${row.join(' | ')} |`);
  }
  const all = [...cells.values()];
  const passed = all.filter((c) => c.state === 'passed').length;
  lines.push(
    '',
    `${passed} of ${FAULTS.length * PLATFORMS.length} cells pass. In parentheses: how the fault scan ended (with the`,
    "first failed collector's reason) and, for a failed cell, the assertion that failed.",
  );
  return `${lines.join('\n')}\n`;
}

export default class FaultMatrixReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const cells = new Map<string, Cell>();
    for (const m of modules) {
      for (const test of m.children.allTests()) {
        const record = test.meta().faultCell as CellRecord | undefined;
        if (!record) continue;
        const result = test.result();
        cells.set(`${record.platform} ${record.fault}`, {
          state: result.state,
          summary: record.summary,
          error: result.errors?.[0]?.message ?? null,
        });
      }
    }
    if (cells.size === 0) return;
    const table = matrixTable(cells);
    writeFileSync(LAST_RUN, `# Fault matrix (${new Date().toISOString()})\n\n${table}`);
    process.stdout.write(`\nFault matrix (also in ${LAST_RUN}):\n\n${table}\n`);
  }
}
