import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** `word`, quoted for a POSIX shell when it holds anything but safe characters. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * How the user can run this CLI again, for hints printed to copy and paste: `grantscope` when it is on
 * PATH, else `node /abs/path/to/bin.js` (a checkout run with `npm run demo`, or `npx` from a cache).
 */
export function selfCommand(env: NodeJS.ProcessEnv = process.env, script = process.argv[1]): string {
  if (onPath('grantscope', env) || !script) return 'grantscope';
  let path = script;
  try {
    path = realpathSync(script);
  } catch {
    // keep the path as given
  }
  return `${shellWord(process.execPath)} ${shellWord(path)}`;
}
