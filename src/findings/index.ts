export * from './finding.js';
export { type FingerprintParts, findingFingerprint } from './fingerprint.js';
export { frameworkRefs, frameworkRefsFor } from './frameworks.js';
export { FINDINGS_SCHEMA_PATH, findingsJsonSchema, findingsJsonSchemaText } from './json-schema.js';
