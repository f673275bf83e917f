import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Forks, not threads: SDKs keep module-level state (token caches, throttle groups) that must not leak.
    pool: 'forks',
    include: ['src/**/*.test.ts', 'connectors/**/*.test.ts', 'test/**/*.test.ts'],
    // Every request sent to the emulator is checked against the vendor's API description.
    setupFiles: ['test/support/conformance.setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
