import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CredentialSourceError } from '../errors.js';

/**
 * Reads a secret a sink's config references by `<name>File` or `<name>Env`. The value is returned to
 * the sink only: never logged, stored or put in a ticket; errors name the key, never the value.
 */
export function readSecretRef(
  settings: Record<string, unknown>,
  name: string,
  where: { sink: string; configDir: string; env?: NodeJS.ProcessEnv },
): string | null {
  const key = `tickets.sinks[${where.sink}].${name}`;
  const file = settings[`${name}File`];
  const env = settings[`${name}Env`];
  if (typeof file === 'string') {
    const path = resolve(where.configDir, file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new CredentialSourceError(
        `${key}File: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    const value = text.trim();
    if (!value) throw new CredentialSourceError(`${key}File: ${path} is empty`);
    return value;
  }
  if (typeof env === 'string') {
    const value = (where.env ?? process.env)[env]?.trim();
    if (!value) throw new CredentialSourceError(`${key}Env: environment variable ${env} is not set`);
    return value;
  }
  return null;
}
