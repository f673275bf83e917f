import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests run the emulator package from its TypeScript source (as tsc reads it, through the
  // `grantscope-source` condition), not from its build: one copy of its modules per test file.
  resolve: {
    alias: { '@grantscope/emulator': fileURLToPath(new URL('./src/emulator/index.ts', import.meta.url)) },
  },
  test: {
    // Forks, not threads: SDKs keep module-level state (token caches, throttle groups) that must not leak.
    pool: 'forks',
    // Vitest's default is one worker fewer than the CPUs: a single worker on the two-core CI machines,
    // where much of a file's time is spent waiting on the CLI and emulator processes it starts.
    maxWorkers: 2,
    include: ['src/**/*.test.ts', 'connectors/**/*.test.ts', 'test/**/*.test.ts'],
    // Every request sent to the emulator is checked against the vendor's API description.
    setupFiles: ['test/support/conformance.setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
