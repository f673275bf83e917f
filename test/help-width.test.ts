import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

const COMMANDS = [
  [],
  ['scan'],
  ['inventory'],
  ['diff'],
  ['findings'],
  ['rules'],
  ['review'],
  ['reviews', 'due'],
  ['tickets', 'sync'],
  ['demo'],
  ['emulator'],
  ['enqueue'],
  ['worker'],
  ['jobs'],
  ['schedule'],
  ['migrate'],
];

/** Commander's part of the help: usage, description, arguments, options (our Examples come after). */
const commanderPart = (help: string) => help.split(/\n(?:Examples|Start here):\n/)[0]!;

describe('--help wraps to the width it is given', () => {
  it.each(COMMANDS.map((c) => [c.join(' ') || '(top level)', c] as const))(
    '%s: no line of commander help is wider than 80 columns at COLUMNS=80',
    async (_name, cmd) => {
      const r = await runCli([...cmd, '--help'], { env: { COLUMNS: '80' } });
      expect(r.code).toBe(0);
      const wide = commanderPart(r.stdout)
        .split('\n')
        .filter((l) => l.length > 80);
      expect(wide).toEqual([]);
    },
  );

  it('descriptions are paragraphs: at 200 columns a description line runs past the old hard wrap', async () => {
    const r = await runCli(['scan', '--help'], { env: { COLUMNS: '200' } });
    const description = r.stdout.split('\n\n')[1]!;
    expect(description.split('\n')[0]!.length).toBeGreaterThan(120);
  });
});
