import { createHash } from 'node:crypto';
import type { Vocabulary } from '../connector/vocabulary.js';
import type { Policy } from '../policy/index.js';

/**
 * A digest of what a findings recording's rules were evaluated with, stored per source with the
 * recording (`finding_sources.analysis_inputs`): the grantscope version and the carried rules' code, the whole
 * policy (with the connectors' defaults merged in) and the vocabulary's labels, which findings quote.
 * Findings may be carried forward only from a recording whose digest is the current one
 * (src/analysis/findings-reuse.ts).
 */
export function analysisInputs(inputs: {
  toolVersion: string;
  policy: Policy;
  vocabulary: Vocabulary;
  /** The ids of the rules whose findings may be carried (a change of the set is a change of inputs). */
  carriedRules: readonly string[];
  /**
   * Their code (`evaluate` as text): a build that changes a rule without a new version number (a
   * development build) changes the inputs too.
   */
  ruleCode?: readonly string[];
  /** How the findings are carried (a recording made for another way is never carried from). */
  scheme?: string;
}): string {
  const { vocabulary } = inputs;
  const text = JSON.stringify([
    'grantscope analysis inputs 1',
    inputs.toolVersion,
    inputs.policy,
    vocabulary.platforms,
    [...vocabulary.identityKinds],
    [...vocabulary.credentialTypes],
    [...inputs.carriedRules].sort(),
    inputs.ruleCode ?? [],
    ...(inputs.scheme !== undefined ? [inputs.scheme] : []),
  ]);
  return createHash('sha256').update(text).digest('hex');
}
