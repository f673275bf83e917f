import { UsageError } from '../../errors.js';

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
