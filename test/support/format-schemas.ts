import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import Ajv04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { ROOT } from './cli.js';

/** The official schemas the finding formats are checked against (test/schemas/PROVENANCE.md). */
const schema = (path: string) => JSON.parse(readFileSync(join(ROOT, 'test', 'schemas', path), 'utf8'));

/** OASIS SARIF 2.1.0 (draft-04 JSON Schema, with its uri and date-time formats checked). */
export function sarifValidator() {
  // CommonJS default exports, as node's ESM loader presents them.
  const ajv = new Ajv04.default({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(schema('sarif-schema-2.1.0.json'));
}

/** OCSF 1.8.0 Detection Finding, generated from the ocsf-schema release by test/schemas/ocsf/generate.mjs. */
export function ocsfDetectionFindingValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  return ajv.compile(schema('ocsf/detection_finding-1.8.0.schema.json'));
}
