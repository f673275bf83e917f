import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { ROOT, runCli, tempDir } from './support/cli.js';

/**
 * An unchanged GitHub rescan asks with `If-None-Match` what the last complete scan received with an
 * `ETag`: GitHub answers 304, which does not count against the primary rate limit, and the scanner
 * serves the body it kept. The snapshot is the same.
 */
const WORLD = join(ROOT, 'fixtures', 'worlds', 'test', 'github-generated.yaml');

function records(file: string, scanId: number): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (
      db
        .prepare(
          `SELECT key || ' ' || hash AS r FROM identities_at_scan WHERE scan_id = ?
           UNION ALL SELECT key || ' ' || hash FROM grants_at_scan WHERE scan_id = ?
           UNION ALL SELECT key || ' ' || hash FROM credentials_at_scan WHERE scan_id = ? ORDER BY 1`,
        )
        .all(scanId, scanId, scanId) as { r: string }[]
    ).map((x) => x.r);
  } finally {
    db.close();
  }
}

/** REST answers by status, GitHub routes only. */
function restStatuses(emu: RunningEmulator): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of emu.stats().routes) {
    if (
      r.service !== 'github' ||
      r.pattern.endsWith('/graphql') ||
      /access_tokens|installation$/.test(r.pattern)
    )
      continue;
    for (const [status, n] of Object.entries(r.statuses)) out[status] = (out[status] ?? 0) + n;
  }
  return out;
}

describe('GitHub conditional requests on a rescan', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: WORLD });
  });
  afterAll(() => emu?.stop());

  it('an unchanged rescan is answered 304 for every REST list and stores the same snapshot', async () => {
    const dir = tempDir('gs-conditional-');
    const { configFile, database } = writeClientConfig(emu, dir);
    const scan = () => runCli(['scan', '-c', configFile, '--format', 'json', '--no-progress'], { cwd: dir });
    emu.resetStats();
    const first = await scan();
    expect(first.code, first.stderr).toBe(0);
    const firstRest = restStatuses(emu);
    emu.resetStats();
    const second = await scan();
    expect(second.code, second.stderr).toBe(0);
    const secondRest = restStatuses(emu);
    console.log(
      `github rescan: first scan REST ${JSON.stringify(firstRest)}, unchanged rescan REST ${JSON.stringify(secondRest)}`,
    );
    expect(firstRest['304'] ?? 0).toBe(0);
    expect(secondRest['304']).toBe(firstRest['200']);
    expect(secondRest['200'] ?? 0).toBe(0);
    expect(records(database, 2)).toEqual(records(database, 1));
    expect(JSON.parse(second.stdout).scan.status).toBe('complete');
  }, 180_000);
});
