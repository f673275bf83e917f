import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator, type World } from '@grantscope/emulator';
import { GithubConfig, type GithubConfigInput } from '../../connectors/github/config.js';
import github from '../../connectors/github/index.js';
import type { ConnectorContext } from '../../src/connector/context.js';
import type { CoverageReport } from '../../src/connector/coverage.js';
import type { ModelRecord } from '../../src/model/record.js';
import { collectScan, createTestContext, type TestContextOptions } from './connector-context.js';

/**
 * The GitHub connector against the emulator, through the real SDK and App auth flow: starts the
 * emulator on a world, writes the scanner's config files (private key) to a temp dir, and scans.
 * Used by the connector's tests and the benchmark.
 */
export interface EmulatedGithub {
  emu: RunningEmulator;
  /** Directory holding the files `clientSetup()` returned (the app's private key). */
  dir: string;
  /** The `github:` config section the emulator hands out. */
  config: GithubConfigInput;
  scan(options?: {
    config?: Partial<GithubConfigInput>;
    context?: Partial<TestContextOptions>;
    /** Interrupts the scan when aborted. */
    signal?: AbortSignal;
  }): Promise<{
    records: ModelRecord[];
    coverage: CoverageReport;
    ctx: ConnectorContext & { sleeps: number[] };
  }>;
  stop(): Promise<void>;
}

export async function emulatedGithub(
  world: string | World,
  options: { now?: Date } = {},
): Promise<EmulatedGithub> {
  const emu = await startEmulator({ world, ...(options.now ? { now: options.now } : {}) });
  const dir = await mkdtemp(join(tmpdir(), 'gs-github-'));
  const writeSetup = async () => {
    const setup = emu.clientSetup();
    for (const [name, content] of Object.entries(setup.files))
      await writeFile(join(dir, name), content, { mode: 0o600 });
    return setup.config.github as GithubConfigInput;
  };
  const config = await writeSetup();
  return {
    emu,
    dir,
    config,
    async scan(opts = {}) {
      const current = await writeSetup();
      const parsed = GithubConfig.parse({ ...current, ...opts.config });
      const ctx = await createTestContext({
        connector: github,
        tenant: parsed.org,
        caCert: emu.caCert,
        configDir: dir,
        // Fast retries: plugin-retry's back-off base comes from the context's retry policy.
        http: { retry: { baseDelayMs: 1, maxDelayMs: 1000 } },
        ...opts.context,
      });
      const scanCtx = opts.signal ? { ...ctx, signal: opts.signal } : ctx;
      const { records, coverage } = await collectScan(github, parsed, scanCtx);
      // A configuration problem stops the scan, as the engine does (src/scan/run-scan.ts).
      if (scanCtx.coverage.fatal) throw scanCtx.coverage.fatal;
      return { records, coverage, ctx: scanCtx };
    },
    stop: () => emu.stop(),
  };
}
