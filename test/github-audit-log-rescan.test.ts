import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClientConfig } from '../src/demo/client-config.js';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.js';
import { loadWorld, type World } from '../src/emulator/world.js';
import { ROOT, runCli, tempDir } from './support/cli.js';

/**
 * Repository webhooks from the GHEC audit log, through the CLI: each `grantscope scan` is its own process,
 * so what the next scan needs (the marker, the repositories read) goes through the database. A webhook
 * added between two scans is found by a rescan that lists only the repository the log names.
 */
const BASE = loadWorld(join(ROOT, 'fixtures', 'worlds', 'test', 'github-generated.yaml'));

function world(hooks: unknown[]): World {
  const w = structuredClone(BASE);
  const github = w.platforms.github as { org: Record<string, unknown>; repos?: unknown[] };
  github.org = { ...github.org, enterprise_cloud: true };
  github.repos = [{ name: 'payments', id: 77, created_at: '2026-01-05T00:00:00Z', hooks }];
  return w;
}

const hookLists = (emu: RunningEmulator) =>
  emu
    .stats()
    .routes.filter((r) => r.pattern.endsWith('/repos/{owner}/{repo}/hooks'))
    .reduce((n, r) => n + r.count, 0);

describe('GitHub rescans through the CLI with the audit log', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ world: world([]) });
  });
  afterAll(() => emu?.stop());

  it('a webhook added between scans is found by a rescan that lists one repository', async () => {
    const dir = tempDir('gs-gh-audit-');
    const { configFile } = writeClientConfig(emu, dir);
    const scan = async () => {
      emu.resetStats();
      const run = await runCli(['scan', '-c', configFile, '--format', 'json', '--no-progress'], { cwd: dir });
      expect(run.code, run.stderr).toBe(0);
      return { out: JSON.parse(run.stdout), lists: hookLists(emu) };
    };
    const first = await scan();
    expect(first.lists).toBe(251);

    emu.setWorld(
      world([
        { id: 8801, url: 'https://exfil.example/hook', events: ['push'], created_at: '2026-12-01T00:00:00Z' },
      ]),
    );
    const second = await scan();
    expect(second.lists).toBe(1);
    const notes = second.out.coverage
      .flatMap((c: { collectors: { collector: string; notes: string[] }[] }) => c.collectors)
      .find((c: { collector: string }) => c.collector === 'repo-webhooks')
      .notes.join('\n');
    expect(notes).toMatch(/incremental: webhooks listed for 1 of 251 repositories/);
    // The new webhook is in the diff as an added identity, and nothing else changed.
    expect(second.out.diff.counts.identities).toMatchObject({ added: 1, removed: 0, modified: 0 });
    expect(JSON.stringify(second.out.diff.identities.added)).toContain('big-corp/payments#8801');
  }, 180_000);
});
