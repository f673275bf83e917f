import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.js';

/**
 * What `npm publish` would ship, from `npm pack --dry-run` on the build (`npm test` builds first): the CLI
 * and the connectors, without bench, tests or test helpers; the emulator as a package of its own.
 */
interface Packed {
  name: string;
  files: Array<{ path: string }>;
}

function pack(workspace?: string): { files: string[]; dir: string; manifest: Manifest } {
  const args = ['pack', '--dry-run', '--json', '--ignore-scripts', ...(workspace ? ['-w', workspace] : [])];
  const [packed] = JSON.parse(execFileSync('npm', args, { cwd: ROOT, encoding: 'utf8' })) as Packed[];
  const dir = workspace ? join(ROOT, workspace) : ROOT;
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  return { files: packed!.files.map((f) => f.path), dir, manifest };
}

interface Manifest {
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Test code, bench and test data, wherever they would sit in a package. */
const NOT_SHIPPED = [
  /(^|\/)test\//,
  /(^|\/)bench\//,
  /(^|\/)support\//,
  /\.test\.[cm]?[jt]s/,
  /\.bench\./,
  /(^|\/)testing\.[^/]*$/,
  /(^|\/)fixtures\/worlds\/test\//,
  // TypeScript sources (declarations are shipped).
  /(?<!\.d)\.ts$/,
];

/** The specifiers a built module imports, statically or through `import()`. */
function importsOf(source: string): string[] {
  const found = new Set<string>();
  // Statements start a line in tsc's and esbuild's output; `import(` is the dynamic form, outside comments:
  // the bundled packages keep their JSDoc (`/** @type {import('./x').T} */`, or ` * @param {import(…)}`).
  const statements = /^(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^import\s*['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(statements)) found.add((m[1] ?? m[2])!);
  const code = source.replace(/\/\*.*?\*\//g, '');
  for (const m of code.matchAll(/^(?!\s*(?:\*|\/\/|\/\*)).*?\bimport\(\s*['"]([^'"]+)['"]/gm))
    found.add(m[1]!);
  return [...found];
}

/** The package name of a bare specifier (`@scope/name/sub` → `@scope/name`). */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Every import of every shipped module resolves inside the package or to a declared dependency. */
function unresolvedImports(files: string[], dir: string, manifest: Manifest): string[] {
  const shipped = new Set(files);
  const declared = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
  const problems: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.js'))) {
    for (const spec of importsOf(readFileSync(join(dir, file), 'utf8'))) {
      if (spec.startsWith('.')) {
        const target = normalize(join(dirname(file), spec));
        if (!shipped.has(target)) problems.push(`${file} imports ${spec}, which is not shipped`);
      } else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
        if (!declared.has(packageName(spec)))
          problems.push(`${file} imports ${spec}, not a declared dependency`);
      }
    }
  }
  return problems;
}

describe('the published grantscope package', () => {
  const { files, dir, manifest } = pack();

  it('holds no test, bench or test-helper file', () => {
    expect(files.filter((f) => NOT_SHIPPED.some((re) => re.test(f)))).toEqual([]);
  });

  it('holds no emulator: that is the @grantscope/emulator package', () => {
    expect(files.filter((f) => /(^|\/)emulator\//.test(f))).toEqual([]);
    const emulatorOnly = ['selfsigned', 'graphql', '@octokit/graphql-schema'];
    expect(Object.keys(manifest.dependencies ?? {}).filter((d) => emulatorOnly.includes(d))).toEqual([]);
  });

  it('holds the CLI, the library entry, the three connectors and the demo organisation', () => {
    expect(Object.values(manifest.bin ?? {})).toEqual(['dist/src/cli/bin.js']);
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/src/cli/bin.js',
        'dist/src/index.js',
        'dist/src/index.d.ts',
        'dist/package.json',
        'dist/connectors/github/index.js',
        'dist/connectors/microsoft365/index.js',
        'dist/connectors/google-workspace/index.js',
        'fixtures/worlds/demo.yaml',
        'fixtures/worlds/demo-changed.yaml',
        'src/findings/finding.schema.json',
        'src/report/assets/report.js',
        'src/report/assets/report.css',
      ]),
    );
  });

  it('imports nothing it does not ship or declare', () => {
    expect(unresolvedImports(files, dir, manifest)).toEqual([]);
  });
});

describe('the published @grantscope/emulator package', () => {
  const { files, dir, manifest } = pack('src/emulator');

  it('holds the built emulator and no test file', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts']));
    expect(files.filter((f) => NOT_SHIPPED.some((re) => re.test(f)))).toEqual([]);
  });

  it('imports nothing it does not ship or declare', () => {
    expect(unresolvedImports(files, dir, manifest)).toEqual([]);
  });
});
