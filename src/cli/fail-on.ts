import { type Command, Option } from 'commander';
import type { Severity } from '../findings/finding.js';

const CHOICES = ['none', 'info', 'low', 'medium', 'high', 'critical'] as const;

export function failOnOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      '--fail-on <severity>',
      'exit with code 1 when a finding has at least this severity (findings accepted by an exception are ignored)',
    )
      .choices(CHOICES)
      .default('none'),
  );
}

export function parseFailOn(value: string): Severity | null {
  return value === 'none' ? null : (value as Severity);
}
