import { z } from 'zod';
import { GovernanceFileSchema } from './schema.js';

/** Where the published schema lives, relative to the repository root. */
export const GOVERNANCE_SCHEMA_PATH = 'docs/governance.schema.json';

/**
 * The JSON Schema (draft 2020-12) of a governance file, generated from the zod schema so the two cannot
 * drift (editors validate `governance.yaml` with it: `# yaml-language-server: $schema=…`). The committed
 * copy is checked by `json-schema.test.ts`; regenerate it with
 *   GRANTSCOPE_WRITE_SCHEMA=1 npx vitest run src/governance/json-schema.test.ts
 */
export function governanceJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(GovernanceFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return { $schema: generated.$schema, title: 'grantscope governance file', ...generated };
}

export function governanceJsonSchemaText(): string {
  return `${JSON.stringify(governanceJsonSchema(), null, 2)}\n`;
}
