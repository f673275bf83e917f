import { type Command, Option } from 'commander';
import { EXIT } from '../errors.js';
import { SEVERITY_ORDER, type Severity } from '../findings/finding.js';
import type { SeverityCounts } from '../output/views/findings.js';

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

/** Incomplete (3) outranks findings (1): a partial scan cannot vouch for its findings. */
export function exitCodeFor(complete: boolean, counts: SeverityCounts, failOn: Severity | null) {
  if (!complete) return EXIT.incomplete;
  const atOrAbove = (Object.keys(counts) as Severity[]).filter(
    (s) => failOn && SEVERITY_ORDER[s] >= SEVERITY_ORDER[failOn],
  );
  if (atOrAbove.some((s) => counts[s] > 0)) return EXIT.findings;
  return EXIT.ok;
}
