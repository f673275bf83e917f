import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.js';

/**
 * Every package the lockfile installs must declare that it runs on the Node we promise. Several packages'
 * newest majors moved to Node 22 (content-type 3 under @octokit/request, googleapis 180+, pg-boss 11):
 * they install with only a warning, so this test is what notices one arriving in an update.
 */
interface LockPackage {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  engines?: { node?: string } | string[];
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockPackage>;
};

function refusing(node: string, include: (p: LockPackage) => boolean): string[] {
  return Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && include(p))
    .flatMap(([path, p]) => {
      const range = Array.isArray(p.engines) ? undefined : p.engines?.node;
      return range && !semver.satisfies(node, range) ? [`${path}@${p.version} wants node ${range}`] : [];
    });
}

describe('dependencies run on the Node we promise', () => {
  it('every runtime package accepts the oldest Node our engines allow', () => {
    const oldest = semver.minVersion(manifest.engines.node)!.version;
    expect(refusing(oldest, (p) => !p.dev)).toEqual([]);
  });

  it('every package, tools included, accepts the Node running the tests', () => {
    expect(refusing(process.versions.node, () => true)).toEqual([]);
  });
});
