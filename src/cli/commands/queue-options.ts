import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { DEFAULT_JOB_POLICY, type JobPolicy } from '../../queue/enqueue-round.js';

/** A whole number in [min, max] from a flag, or a usage error naming the flag. */
export function parseWholeNumber(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max)
    throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, not '${value}'`);
  return n;
}

/** A number of seconds (whole or decimal, not negative) from a flag. */
export function parseSeconds(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(n))
    throw new UsageError(`${flag}: not a number of seconds: '${value}'`);
  return n;
}

/** What `enqueue` and `schedule` ask about the round they queue. */
export interface RoundOptions {
  tenant?: string[];
  only?: string[];
  retries: string;
  retryDelay: string;
  retryBackoff: boolean;
  lease: string;
}

/** Which tenants, and how their jobs retry and are held: the same flags for `enqueue` and `schedule`. */
export function addRoundOptions(cmd: Command): Command {
  return cmd
    .option(
      '--tenant <tenant...>',
      'only these tenants: `tenant` or `connector:tenant` as `grantscope jobs` shows them (e.g. github:acme)',
    )
    .option('--only <connector...>', 'only these connectors (ids as in the config, e.g. github)')
    .option(
      '--retries <n>',
      'attempts after the first when a scan fails or its worker dies',
      String(DEFAULT_JOB_POLICY.retryLimit),
    )
    .option(
      '--retry-delay <seconds>',
      'wait before the first retry (doubled at each further one, with jitter)',
      String(DEFAULT_JOB_POLICY.retryDelaySeconds),
    )
    .option('--no-retry-backoff', 'the same delay before every retry')
    .option(
      '--lease <seconds>',
      "how long a running job's worker may stay silent before its job is handed back (a live worker renews it)",
      String(DEFAULT_JOB_POLICY.leaseSeconds),
    );
}

export function parseJobPolicy(opts: RoundOptions): JobPolicy {
  return {
    retryLimit: parseWholeNumber(opts.retries, '--retries', 0, 100),
    retryDelaySeconds: parseWholeNumber(opts.retryDelay, '--retry-delay', 0, 86_400),
    retryBackoff: opts.retryBackoff !== false,
    leaseSeconds: parseWholeNumber(opts.lease, '--lease', 1, 86_400),
  };
}
