import { z } from 'zod';
import { Finding } from './finding.js';

/** Where the published schema lives, relative to the repository root. */
export const FINDINGS_SCHEMA_PATH = 'src/findings/finding.schema.json';

/**
 * The JSON Schema (draft 2020-12) of `grantscope findings --format json`: an array of Finding,
 * generated from the zod schema so the two cannot drift. The committed copy is checked by
 * `json-schema.test.ts`; regenerate it with
 *   GRANTSCOPE_WRITE_SCHEMA=1 npx vitest run src/findings/json-schema.test.ts
 */
export function findingsJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(z.array(Finding), { io: 'output' }) as Record<string, unknown>;
  const defs = (generated.$defs ?? {}) as Record<string, unknown>;
  // zod names the recursive JSON value type `__schema0`; give it a name readers understand.
  const unexpected = Object.keys(defs).filter((k) => k !== '__schema0');
  if (unexpected.length > 0) throw new Error(`unexpected $defs in findings schema: ${unexpected.join(', ')}`);
  const text = JSON.stringify({
    $schema: generated.$schema,
    title: 'grantscope findings',
    description: 'Output of `grantscope findings --format json`: an array of findings.',
    ...generated,
  }).replaceAll('__schema0', 'JsonValue');
  return JSON.parse(text) as Record<string, unknown>;
}

/** The schema as committed: stable formatting, trailing newline. */
export function findingsJsonSchemaText(): string {
  return `${JSON.stringify(findingsJsonSchema(), null, 2)}\n`;
}
