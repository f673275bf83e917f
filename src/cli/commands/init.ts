import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import {
  grantChecklist,
  INIT_PLATFORMS,
  type InitPlatform,
  type StarterAnswers,
  starterConfig,
} from '../../init/starter-config.js';
import { packageRoot } from '../../package-root.js';

interface InitOptions {
  nonInteractive?: boolean;
  platform?: string;
  out: string;
  force?: boolean;
  policy: boolean;
  org?: string;
  tenantId?: string;
  customerId?: string;
  subject?: string;
}

function parsePlatforms(value: string): InitPlatform[] {
  const list = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const unknown = list.filter((p) => !(INIT_PLATFORMS as readonly string[]).includes(p));
  if (list.length === 0 || unknown.length > 0)
    throw new UsageError(
      `--platform: ${unknown.length ? `unknown '${unknown.join("', '")}'` : 'empty'} (choose from ${INIT_PLATFORMS.join(', ')})`,
    );
  return [...new Set(list)] as InitPlatform[];
}

/** Ask on the terminal; an empty answer keeps the default shown in brackets. */
async function ask(opts: InitOptions): Promise<StarterAnswers> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // Lines through the iterator, which buffers them: `rl.question` drops lines typed (or pasted) ahead.
  const lines = rl[Symbol.asyncIterator]();
  try {
    const q = async (question: string, fallback: string) => {
      process.stderr.write(`${question} [${fallback}]: `);
      const line = await lines.next();
      if (line.done) {
        process.stderr.write('\n');
        throw new UsageError('init: input ended before every question was answered; nothing written');
      }
      return (line.value as string).trim() || fallback;
    };
    const platforms = parsePlatforms(
      await q(
        `Platforms (comma-separated: ${INIT_PLATFORMS.join(', ')})`,
        opts.platform ?? INIT_PLATFORMS.join(','),
      ),
    );
    const answers: StarterAnswers = { platforms, policy: opts.policy };
    if (platforms.includes('github'))
      answers.githubOrg = await q('GitHub organisation', opts.org ?? 'your-org');
    if (platforms.includes('microsoft365'))
      answers.tenantId = await q('Entra tenant id', opts.tenantId ?? '00000000-0000-0000-0000-000000000000');
    if (platforms.includes('google-workspace')) {
      answers.customerId = await q('Google Workspace customer id', opts.customerId ?? 'C00000000');
      answers.subject = await q('Admin to impersonate', opts.subject ?? 'grantscope-reader@example.com');
    }
    answers.policy = /^y/i.test(
      await q('Write a policy.yaml with every rule setting?', opts.policy ? 'yes' : 'no'),
    );
    return answers;
  } finally {
    rl.close();
  }
}

export function initCommand(program: Command): void {
  const cmd = program
    .command('init')
    .summary('write a starting grantscope.yaml and policy, and print what to grant')
    .description(
      'Write a commented grantscope.yaml for the chosen platforms (and a policy.yaml with every rule ' +
        'setting at its default), then print a checklist of what to grant on each platform. Asks on a ' +
        'terminal; with --non-interactive (or when stdin is not a terminal) takes the flags. Never ' +
        'overwrites a file without --force.',
    )
    .option('--non-interactive', 'do not ask; use the flags and defaults')
    .option('--platform <list>', `comma-separated platforms (default: all): ${INIT_PLATFORMS.join(',')}`)
    .option('--out <dir>', 'folder to write into', '.')
    .option('--force', 'overwrite grantscope.yaml and policy.yaml if they exist')
    .option('--no-policy', 'do not write policy.yaml')
    .option('--org <login>', 'GitHub organisation')
    .option('--tenant-id <guid>', 'Entra tenant id')
    .option('--customer-id <id>', 'Google Workspace customer id (C0…)')
    .option('--subject <email>', 'Google Workspace admin the scanner impersonates');
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope init                                          # asks
  $ grantscope init --non-interactive --platform github --org acme
  $ grantscope init --non-interactive --platform microsoft365,google-workspace --out /etc/grantscope

Then: grantscope doctor -c <out>/grantscope.yaml`,
  );
  cmd.action(async (opts: InitOptions) => {
    const interactive = !opts.nonInteractive && process.stdin.isTTY === true;
    const answers: StarterAnswers = interactive
      ? await ask(opts)
      : {
          platforms: parsePlatforms(opts.platform ?? INIT_PLATFORMS.join(',')),
          githubOrg: opts.org,
          tenantId: opts.tenantId,
          customerId: opts.customerId,
          subject: opts.subject,
          policy: opts.policy,
        };
    const dir = resolve(opts.out);
    const config = join(dir, 'grantscope.yaml');
    const policy = join(dir, 'policy.yaml');
    const targets = answers.policy ? [config, policy] : [config];
    const existing = targets.filter((f) => existsSync(f));
    if (existing.length > 0 && !opts.force)
      throw new UsageError(
        `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; pass --force to overwrite`,
      );
    mkdirSync(dir, { recursive: true });
    writeFileSync(config, starterConfig(answers), { mode: 0o600 });
    if (answers.policy) copyFileSync(join(packageRoot(), 'fixtures', 'policy.example.yaml'), policy);
    process.stdout.write(
      `Wrote ${config}${answers.policy ? ` and ${policy}` : ''}.\n\nWhat to grant:\n\n${grantChecklist(answers.platforms)}\n\nThen replace the placeholders in ${config} and run: grantscope doctor -c ${config}\n`,
    );
  });
}
