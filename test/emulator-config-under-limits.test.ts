import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METERING_LIMITS } from '../bench/emulator-limits.js';
import { loadConfig } from '../src/config/config.js';
import { loadConnectors } from '../src/connector/registry.js';
import { writeClientConfig } from '../src/demo/client-config.js';
import { REALISTIC_LIMITS } from '../src/emulator/limits.js';
import { startEmulator } from '../src/emulator/server.js';
import { loadWorld } from '../src/emulator/world.js';
import { ROOT, tempDir } from './support/cli.js';

/**
 * The grantscope.yaml the emulator writes is what `scan` reads as is, with or without limits: under a
 * connection pool it sets `concurrency` for the pool (src/emulator/limits.ts `scannerConcurrency`), and with limits
 * that hold nothing back (the bench's metering limits, a pool of 1,000) it must still be a valid config.
 */
describe.each([
  ['github', 'github-generated.yaml'],
  ['microsoft365', 'm365-demo.yaml'],
])('the config the emulator writes under limits (%s)', (platform, file) => {
  const world = loadWorld(join(ROOT, 'fixtures', 'worlds', 'test', file));

  async function writtenConfig(limits: typeof REALISTIC_LIMITS) {
    const emu = await startEmulator({ world, limits });
    try {
      const { configFile } = writeClientConfig(emu, tempDir('gs-emu-limits-config-'));
      return loadConfig(configFile, await loadConnectors([], { builtins: [platform] }));
    } finally {
      await emu.stop();
    }
  }

  it('a pool of 8: concurrency 16, so the pool stays full while answers are read', async () => {
    const config = await writtenConfig(REALISTIC_LIMITS);
    expect(config.settings.concurrency).toBe(16);
  });

  it('a pool wider than any config may ask for: a valid config with the default concurrency', async () => {
    const config = await writtenConfig(METERING_LIMITS);
    expect(config.settings.concurrency).toBe(8);
  });
});
