import { defaultPolicy, loadPolicy, type Policy } from '../policy/index.js';

/** The policy in force: the given file, else the built-in defaults. */
export function resolvePolicy(file: string | null | undefined): Policy {
  return file ? loadPolicy(file) : defaultPolicy;
}

export function defaultPolicyValue(): Policy {
  return defaultPolicy;
}
