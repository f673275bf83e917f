import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/main.js';
import { runCli } from './support/cli.js';

/** Commander's part of the help: usage, description, arguments, options (our Examples come after). */
const commanderPart = (help: string) => help.split(/\n(?:Examples|Start here):\n/)[0]!;

/** Every command and subcommand of the program, as the words a user types (`reviews due`). */
function commandsOf(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  return cmd.commands.flatMap((sub) => {
    const here = [...path, sub.name()];
    return [{ path: here, cmd: sub }, ...commandsOf(sub, here)];
  });
}

/** What `grantscope <path> --help` prints, rendered in this process (the help width is read per call). */
function helpOf(cmd: Command): string {
  let out = '';
  cmd.configureOutput({ writeOut: (s) => (out += s) });
  cmd.outputHelp();
  return out;
}

// In-process for every command and subcommand (one process start each would cost ~20 s of suite time);
// the spawned CLI is checked below at the top level and for one command.
describe('--help of every command has examples and wraps to the width it is given', async () => {
  const columns = process.env.COLUMNS;
  beforeAll(() => {
    process.env.COLUMNS = '80';
  });
  afterAll(() => {
    if (columns === undefined) delete process.env.COLUMNS;
    else process.env.COLUMNS = columns;
  });
  const program = await buildProgram();
  const all = commandsOf(program);

  it('covers the documented commands', () => {
    const names = all.map((c) => c.path.join(' '));
    for (const name of [
      'scan',
      'findings',
      'reviews due',
      'tickets sync',
      'doctor',
      'init',
      'worker',
      'migrate',
    ])
      expect(names).toContain(name);
  });

  it.each(all.map((c) => [c.path.join(' '), c.cmd] as const))(
    '%s: examples, and no line of commander help is wider than 80 columns at COLUMNS=80',
    (name, cmd) => {
      const help = helpOf(cmd);
      // A command group (`tickets`, `reviews`) may teach through its subcommands' examples instead.
      if (cmd.commands.length === 0) {
        expect(help).toContain('Examples:');
        expect(help).toContain(`$ grantscope ${name}`);
      }
      const wide = commanderPart(help)
        .split('\n')
        .filter((l) => l.length > 80);
      expect(wide).toEqual([]);
    },
  );
});

describe('--help of the CLI as a user runs it', () => {
  it('top level: no line of commander help is wider than 80 columns at COLUMNS=80, and it starts the user off', async () => {
    const r = await runCli(['--help'], { env: { COLUMNS: '80' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Start here:');
    expect(
      commanderPart(r.stdout)
        .split('\n')
        .filter((l) => l.length > 80),
    ).toEqual([]);
  });

  it('descriptions are paragraphs: at 200 columns a description line runs past the old hard wrap', async () => {
    const r = await runCli(['scan', '--help'], { env: { COLUMNS: '200' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('$ grantscope scan');
    const description = r.stdout.split('\n\n')[1]!;
    expect(description.split('\n')[0]!.length).toBeGreaterThan(120);
  });
});
