import { parseYaml, readYamlFile, validateYaml, type YamlSource } from '../config/yaml-file.js';
import type { Vocabulary } from '../connector/vocabulary.js';
import { type Policy, policySchema } from './schema.js';

/** The policy in force when no policy file is given: the rules' and the connectors' defaults. */
export function defaultPolicy(vocabulary: Vocabulary): Policy {
  return policySchema(vocabulary).parse({ version: 1 });
}

/** Parse and validate policy YAML; errors (`ConfigError`) name the file, the key path and the line. */
export function parsePolicy(src: YamlSource, vocabulary: Vocabulary): Policy {
  return validateYaml(parseYaml(src), policySchema(vocabulary));
}

/** Read a policy file. Throws `ConfigError` for a missing file, bad YAML or an invalid setting. */
export function loadPolicy(file: string, vocabulary: Vocabulary): Policy {
  return parsePolicy(readYamlFile(file), vocabulary);
}
