import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Compiles the SQLite store (and the record builders) to JavaScript for child processes, which
 * cannot run TypeScript. Output goes under the repository's git-ignored tmp/ so that bare imports
 * (better-sqlite3, zod) resolve from the project's node_modules. Returns the output root and a
 * cleanup function.
 */
export function buildStoreForChildProcesses(): { dir: string; cleanup: () => void } {
  const base = join(root, 'tmp', `store-build-${process.pid}-${Date.now()}`);
  mkdirSync(base, { recursive: true });
  const entries = [
    'src/store/sqlite/index.ts',
    'src/store/sqlite/scan-thread.ts',
    'test/support/store-records.ts',
  ];
  writeFileSync(
    join(base, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../tsconfig.json',
      compilerOptions: {
        noEmit: false,
        outDir: './out',
        rootDir: '../..',
        declaration: false,
        sourceMap: false,
      },
      files: entries.map((e) => `../../${e}`),
      include: [],
    }),
  );
  const cleanup = () => rmSync(base, { recursive: true, force: true });
  try {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(base, 'tsconfig.json')], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    cleanup();
    const output = String((err as { stdout?: Buffer }).stdout ?? '');
    throw new Error(`compiling the store for child processes failed:\n${output}`, { cause: err });
  }
  const dir = join(base, 'out');
  for (const e of entries) {
    const js = join(dir, e.replace(/\.ts$/, '.js'));
    if (!existsSync(js)) throw new Error(`build of ${e} produced no ${js}`);
  }
  return { dir, cleanup };
}
