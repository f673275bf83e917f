import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { writeClientConfig } from '../../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { demoWorld } from '../../src/package-root.js';
import { runCli, tempDir } from '../support/cli.js';
import {
  type Baseline,
  CELL_TIMEOUT_MS,
  CELLS,
  FAULTS,
  type FaultCell,
  HTTP_SETTINGS,
  type Platform,
} from './cells.js';

/** What one cell saw, kept in the test's meta for the matrix table. */
export interface CellRecord {
  platform: Platform;
  fault: string;
  /** One line for the table: the scan's ending and what went wrong, if anything. */
  summary: string;
}

declare module 'vitest' {
  interface TaskMeta {
    faultCell?: CellRecord;
  }
}

interface Coverage {
  collectors: Array<{ collector: string; status: string; reason: string | null }>;
}

interface DiffSide {
  added: unknown[];
  removed: unknown[];
}

/**
 * One platform's row of the matrix: the emulator serves the demo world, the CLI scans it once
 * cleanly, then once under each fault from a copy of that good database, and the diff of the two
 * is read back.
 */
export function describeFaultMatrix(platform: Platform): void {
  describe(`fault matrix: ${platform}`, () => {
    let emu: RunningEmulator;
    let goodDir: string;
    let baseline: Baseline;

    beforeAll(async () => {
      emu = await startEmulator({ world: demoWorld('demo') });
      goodDir = tempDir(`gs-matrix-${platform}-`);
      const { configFile } = writeClientConfig(emu, goodDir, { http: HTTP_SETTINGS });
      const good = await runCli(['scan', '-c', configFile, '--only', platform, '--format', 'json']);
      expect(good.code, good.stderr).toBe(0);
      const inventory = await runCli(['inventory', '-c', configFile, '--format', 'json']);
      expect(inventory.code, inventory.stderr).toBe(0);
      baseline = { identities: JSON.parse(inventory.stdout) };
      expect(baseline.identities.length).toBeGreaterThan(0);
    }, CELL_TIMEOUT_MS);
    afterAll(() => emu?.stop());

    for (const cell of CELLS[platform]) {
      const label = FAULTS.find((f) => f.key === cell.fault)!.label;
      it(
        label,
        async (ctx) => {
          const record: CellRecord = {
            platform,
            fault: cell.fault,
            summary: 'hung: the scan was killed when the cell timed out',
          };
          ctx.task.meta.faultCell = record;
          const stop = new AbortController();
          onTestFinished(() => {
            stop.abort();
            emu.faults.clear(cell.fault);
          });
          await runCell(emu, goodDir, baseline, cell, record, stop.signal);
        },
        CELL_TIMEOUT_MS,
      );
    }
  });
}

async function runCell(
  emu: RunningEmulator,
  goodDir: string,
  baseline: Baseline,
  cell: FaultCell,
  record: CellRecord,
  signal: AbortSignal,
): Promise<void> {
  // A copy of the folder after the good scan: config, keys, CA and the database holding that scan.
  const dir = tempDir(`gs-matrix-${cell.platform}-${cell.fault}-`);
  // Not the response journal folder (`<db>.journal`): with the good scan's validators GitHub would
  // answer 304s, and a fault must meet the full answers a first scan gets.
  for (const name of readdirSync(goodDir)) {
    if (name.endsWith('.journal')) continue;
    cpSync(join(goodDir, name), join(dir, name));
  }
  const config = join(dir, 'grantscope.yaml');

  for (const rule of cell.rules(baseline)) emu.faults.add({ ...rule, id: cell.fault });
  // --full: the faults sit on the full reads (the grant list, each user's tokens.list), which a rescan
  // of the unchanged world would otherwise skip (delta links, token events since the good scan).
  const scan = await runCli(['scan', '-c', config, '--only', cell.platform, '--format', 'json', '--full'], {
    signal,
  });
  const rules = emu.faults.list().filter((r) => r.id === cell.fault);
  emu.faults.clear(cell.fault);
  record.summary =
    scan.code === null ? 'hung: the scan was killed when the cell timed out' : `exit ${scan.code}`;

  // Exit codes as documented: 0 complete, 3 incomplete (with --fail-on none, findings never exit 1).
  expect(scan.code, scan.stderr).not.toBeNull();
  expect([0, 3], `exit code ${scan.code}\n${scan.stderr}`).toContain(scan.code);
  const out = JSON.parse(scan.stdout) as { scan: { status: string }; coverage: Coverage[] };
  expect(out.scan.status).toBe(scan.code === 0 ? 'complete' : 'incomplete');
  const failures = out.coverage.flatMap((c) => c.collectors).filter((c) => c.status === 'failed');
  const failed = failures.map((c) => c.collector);
  const firstReason = failures[0]?.reason ? ` (${failures[0].reason.slice(0, 100)})` : '';
  record.summary =
    out.scan.status === 'complete'
      ? 'complete'
      : `incomplete: ${failed.join(', ') || 'no collector named'}${firstReason}`;

  // The fault really happened (a cell whose fault never fired proves nothing).
  for (const r of rules) expect(r.applied, `fault rule never fired: ${JSON.stringify(r)}`).toBeGreaterThan(0);

  if (cell.expect === 'complete') {
    expect(out.scan.status, 'the scanner must ride out this fault: expected a complete scan').toBe(
      'complete',
    );
  } else if (cell.expect === 'incomplete') {
    expect(out.scan.status, 'the fault never ends: the scan cannot be complete').toBe('incomplete');
  }
  if (out.scan.status === 'incomplete') {
    // Marked incomplete and names that collector: the one hit fails, nothing the fault does not reach.
    expect(failed).toContain(cell.collectors[0]);
    for (const c of failed) expect(cell.collectors, `collector ${c} failed too`).toContain(c);
    for (const c of failures)
      expect(c.reason, `collector ${c.collector} failed without a reason`).toBeTruthy();
    expect(scan.stderr).toContain(cell.collectors[0]);
  }

  // The next diff shows no false removals (the world did not change, so nothing was added either).
  const diff = await runCli(['diff', '-c', config, '--format', 'json'], { signal });
  expect(diff.code, diff.stderr).toBe(0);
  const d = JSON.parse(diff.stdout) as Record<'identities' | 'grants' | 'credentials', DiffSide>;
  const removed = {
    identities: d.identities.removed.length,
    grants: d.grants.removed.length,
    credentials: d.credentials.removed.length,
  };
  const added = {
    identities: d.identities.added.length,
    grants: d.grants.added.length,
    credentials: d.credentials.added.length,
  };
  const removedTotal = removed.identities + removed.grants + removed.credentials;
  if (removedTotal > 0) {
    record.summary += `; FALSE REMOVALS: ${removed.identities} identities, ${removed.grants} grants, ${removed.credentials} credentials`;
  }
  expect(removed, 'false removals in the diff against the good scan').toEqual({
    identities: 0,
    grants: 0,
    credentials: 0,
  });
  expect(added, 'records that are not in the world appeared').toEqual({
    identities: 0,
    grants: 0,
    credentials: 0,
  });
}
