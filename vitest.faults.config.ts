import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { CELL_TIMEOUT_MS } from './test/fault-matrix/cells.js';

/**
 * The fault matrix (`npm run test:faults`): every fault on every platform, scanned through the built
 * CLI against the emulator. Apart from `npm test` because it takes minutes; CI runs both.
 */
export default defineConfig({
  // Tests run the emulator package from its TypeScript source (as tsc reads it, through the
  // `grantscope-source` condition), not from its build: one copy of its modules per test file.
  resolve: {
    alias: { '@grantscope/emulator': fileURLToPath(new URL('./src/emulator/index.ts', import.meta.url)) },
  },
  test: {
    // Forks, as in the main suite: each platform's row runs in its own process with its own emulator.
    pool: 'forks',
    // The rows mostly wait (back-offs, timeouts): run all three at once, even on two cores.
    maxWorkers: 3,
    include: ['test/fault-matrix/*.matrix.ts'],
    // Every request sent to the emulator is checked against the vendor's API description here too.
    setupFiles: ['test/support/conformance.setup.ts'],
    // The per-cell timeout is the hang guard (set on each cell); hooks run one good scan.
    testTimeout: CELL_TIMEOUT_MS,
    hookTimeout: CELL_TIMEOUT_MS,
    reporters: ['default', './test/fault-matrix/matrix-reporter.ts'],
  },
});
