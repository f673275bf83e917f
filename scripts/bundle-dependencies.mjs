// Step of `npm run build`, after tsc: the third-party packages on a scan's path to its first request are
// bundled (into the compiled module that uses them, or into a shared file under dist/vendor/), so that the
// modules of dist/src and dist/connectors do not import them from node_modules. Our own modules stay one
// file each, where tsc put them
// (so lazy imports stay lazy, `import.meta.url` paths such as the store's scan thread still resolve, and a
// plugin importing `grantscope/connector` shares the CLI's classes).
//
// Why: Node 20 loads ES modules one file at a time (resolve, read, compile). zod, yaml, undici and Octokit
// are ~320 files of a GitHub scan's start-up, the Azure SDKs ~300 more of an Entra scan's. A package used
// by one module only is bundled into that module (the Entra SDK into the Entra connector's modules), one
// used by several into a shared file of dist/vendor; either way each package is loaded once. Packages not
// listed stay in node_modules: native ones (better-sqlite3), the emulator (an optional peer) and those off
// the scan path (pg, pg-boss, the ticket sinks' clients).
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Packages bundled (with their own dependencies), by the name our modules import them by. */
export const BUNDLED_PACKAGES = [
  'zod',
  'yaml',
  'undici',
  'commander',
  'p-limit',
  'string-width',
  'wrap-ansi',
  '@octokit/rest',
  '@octokit/auth-app',
  '@octokit/plugin-retry',
  '@octokit/plugin-throttling',
  // The Entra and Google connectors' SDKs (~300 files for an Entra scan), loaded with their connector only.
  '@azure/identity',
  '@microsoft/microsoft-graph-client',
  'google-auth-library',
  '@googleapis/admin',
  '@googleapis/cloudresourcemanager',
  '@googleapis/iam',
];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const VENDOR = join(DIST, 'vendor');
const MARK = '// grantscope: dependencies bundled (scripts/bundle-dependencies.mjs)';

function modulesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...modulesUnder(path));
    else if (name.endsWith('.js')) out.push(path);
  }
  return out;
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const entryPoints = ['src', 'connectors'].flatMap((d) => modulesUnder(join(DIST, d)));
if (!existsSync(join(DIST, 'src', 'cli', 'bin.js'))) {
  console.error('bundle-dependencies: dist/src/cli/bin.js not found; run tsc -p tsconfig.build.json first');
  process.exit(1);
}
// Rewriting modules that already import dist/vendor would leave them pointing at deleted chunks.
if (readFileSync(join(DIST, 'src', 'cli', 'bin.js'), 'utf8').includes(MARK)) {
  console.error(
    'bundle-dependencies: dist is already bundled; run `npm run build`, which starts from a clean dist',
  );
  process.exit(1);
}
rmSync(VENDOR, { recursive: true, force: true });

const bundled = new Set(BUNDLED_PACKAGES);
const isOurs = (file) => file.startsWith(`${DIST}/src/`) || file.startsWith(`${DIST}/connectors/`);

await build({
  entryPoints,
  outdir: DIST,
  outbase: DIST,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'vendor/[name]-[hash]',
  // tsc's maps are chained: stack traces with --enable-source-maps still name the .ts lines.
  sourcemap: true,
  logLevel: 'warning',
  // CommonJS packages (undici) require Node's modules: ES modules have no `require` of their own.
  banner: {
    js: `${MARK}\nimport { createRequire as __grantscopeCreateRequire } from 'node:module';\nconst require = __grantscopeCreateRequire(import.meta.url);`,
  },
  plugins: [
    {
      name: 'keep-our-modules-and-other-packages-apart',
      setup(b) {
        b.onResolve({ filter: /.*/ }, (args) => {
          // Entry points, and what a bundled package imports (its own dependencies): bundled.
          if (args.kind === 'entry-point' || !isOurs(args.importer)) return undefined;
          const spec = args.path;
          // JSON is inlined: an external JSON import would lose its `with { type: 'json' }`.
          if (spec.startsWith('.') || spec.startsWith('/'))
            return spec.endsWith('.json') ? undefined : { path: spec, external: true };
          if (spec.startsWith('node:') || !bundled.has(packageName(spec)))
            return { path: spec, external: true };
          return undefined;
        });
      },
    },
  ],
});
console.log(
  `bundle-dependencies: ${entryPoints.length} modules; ${BUNDLED_PACKAGES.length} packages in ${readdirSync(VENDOR).filter((f) => f.endsWith('.js')).length} files under dist/vendor`,
);
