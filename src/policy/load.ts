import { parseYaml, readYamlFile, validateYaml, type YamlSource } from '../config/yaml-file.js';
import { type Policy, PolicySchema } from './schema.js';

/** The policy in force when no policy file is given. */
export const defaultPolicy: Policy = PolicySchema.parse({ version: 1 });

/** Parse and validate policy YAML; errors (`ConfigError`) name the file, the key path and the line. */
export function parsePolicy(src: YamlSource): Policy {
  return validateYaml(parseYaml(src), PolicySchema);
}

/** Read a policy file. Throws `ConfigError` for a missing file, bad YAML or an invalid setting. */
export function loadPolicy(file: string): Policy {
  return parsePolicy(readYamlFile(file));
}
