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
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'connectors/**/*.test.ts'],
          // The in-process tests share their worker's module graph, file after file: importing it afresh
          // for each file cost most of their time (import 76 s of 204 s for 138 files; 14 s without).
          // Each file still starts its own emulators, stores and SDK clients (whose token caches and
          // throttles live on the client instance); what modules keep at their level are memos keyed by
          // content (parsed globs, certificates, query documents). They pass in any file order
          // (checked with --sequence.shuffle.files).
          isolate: false,
        },
      },
      {
        extends: true,
        // The end-to-end tests: each file in a fresh module graph, as before (their time is the CLI and
        // emulator processes they start, not imports).
        test: { name: 'e2e', include: ['test/**/*.test.ts'] },
      },
    ],
    // Every request sent to the emulator is checked against the vendor's API description.
    setupFiles: ['test/support/conformance.setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
