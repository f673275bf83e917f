import type { Vocabulary } from '../connector/vocabulary.js';
import { defaultPolicy, loadPolicy, type Policy } from '../policy/index.js';

/** The policy in force: the given file, else the built-in defaults (the rules' and the connectors'). */
export function resolvePolicy(file: string | null | undefined, vocabulary: Vocabulary): Policy {
  return file ? loadPolicy(file, vocabulary) : defaultPolicy(vocabulary);
}
