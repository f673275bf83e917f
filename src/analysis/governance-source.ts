import { loadGovernance } from '../governance/load.js';
import { EMPTY_GOVERNANCE, type Governance } from '../governance/model.js';

/** The governance in force: the given file or folder, else none (nothing decided). */
export function resolveGovernance(path: string | null | undefined): Governance {
  return path ? loadGovernance(path) : EMPTY_GOVERNANCE;
}
