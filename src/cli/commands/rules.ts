import type { Command } from 'commander';
import type { OutputFormat } from '../../output/format.js';
import { renderRules } from '../../output/views/rules.js';
import { RULES } from '../../rules/registry.js';
import { addCommonOptions, type CommonOptions, createRuntime, loadVocabularyFor } from '../runtime.js';

export function rulesCommand(program: Command): void {
  const cmd = program
    .command('rules')
    .summary('list the rules, what they find and their policy settings')
    .description(
      'List every rule: what it finds, whether it needs a previous scan, the OWASP NHI Top 10 and NIST CSF 2.0 ' +
        'controls its findings map to, and each policy setting with its default. The policy file overrides ' +
        'settings as rules.<rule>.<setting>.',
    );
  addCommonOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope rules
  $ grantscope rules --format json | jq '.[] | {id, defaults}'
  $ grantscope rules --format md > rules.md`,
  );
  cmd.action(async (opts: CommonOptions) => {
    const rt = createRuntime(opts);
    // Defaults shown are those in force: the rules' own and the connectors' (config plugins included).
    rt.emit(renderRules(RULES, opts.format as OutputFormat, await loadVocabularyFor(opts)));
  });
}
