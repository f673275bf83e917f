import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The installed package's root directory (where fixtures/ lives), from source or from dist/. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'fixtures'))) {
      const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name;
      if (name === 'grantscope') {
        cached = dir;
        return dir;
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the grantscope package root');
    dir = up;
  }
}

export function demoWorld(name: 'demo' | 'demo-changed'): string {
  return join(packageRoot(), 'fixtures', 'worlds', `${name}.yaml`);
}
